"""Managing a project in the browser: a leader of a unit (or an admin) creates one; its lead, a leader of
its unit or an admin changes its name, description and dates, removes members, archives it and brings it
back; its lead edits an open milestone's title, weight and assignees. Each form calls the same service
function as the API, so the rules and the history they write are the API's; a refusal is said next to
the form it concerns, and nothing is written."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import User
from server.deps import SessionDep
from server.errors import Forbidden, NotFound
from server.pages.deps import PageForm, PageRoute, PageUser
from server.pages.forms import Problem, attempt
from server.pages.i18n import N_
from server.pages.render import render
from server.projects import editing, service
from server.projects.access import require_manager, visible_project
from server.projects.models import Milestone, MilestoneEdit, ProjectCreate, ProjectUpdate
from server.projects.reads import one_project_read

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PROJECT_FIELDS = ("name", "description", "unit_id", "lead_id", "start_date", "due_date")
NOT_A_DATE = N_("Isi tanggal mulai dan tanggal selesai yang benar.")
MAY_NOT_CREATE = N_("Hanya pimpinan unit atau admin yang dapat membuat proyek.")


# --- a new project --------------------------------------------------------------------------------------


async def _new_page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    form: dict[str, str] | None = None,
    detail: str | None = None,
    status_code: int = 200,
) -> Response:
    units = await editing.creatable_units(session, by=user)
    if not units:
        raise Forbidden(MAY_NOT_CREATE)
    today = clock.today().isoformat()
    return render(
        request,
        "project_new.html",
        status_code=status_code,
        units=units,
        leads=await editing.lead_candidates(session, units=units),
        form=form or {"start_date": today, "lead_id": str(user.id)},
        detail=detail,
    )


@router.get("/projects/new", response_class=HTMLResponse)
async def new_project_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    return await _new_page(request, session, user)


@router.post("/projects/new")
async def create_project(request: Request, session: SessionDep, user: PageUser, form: PageForm) -> Response:
    typed = form.values(*PROJECT_FIELDS)
    unit_id, lead_id = form.number("unit_id"), form.number("lead_id")
    start, due = form.date("start_date"), form.date("due_date")
    if unit_id is None or lead_id is None:
        detail = N_("Pilih unit dan ketua tim dari daftar.")
        return await _new_page(request, session, user, form=typed, detail=detail, status_code=422)
    if start is None or due is None:
        return await _new_page(request, session, user, form=typed, detail=NOT_A_DATE, status_code=422)
    created, problem = await attempt(
        lambda: service.create_project(
            session,
            by=user,
            data=ProjectCreate(
                name=form.text("name"),
                description=form.text("description").strip() or None,
                unit_id=unit_id,
                lead_id=lead_id,
                start_date=start,
                due_date=due,
            ),
        ),
        session=session,
        reload=(user,),
    )
    if created is None:
        assert problem is not None
        return await _new_page(
            request, session, user, form=typed, detail=problem, status_code=problem.status_code
        )
    return RedirectResponse(f"/projects/{created.id}", status_code=303)


# --- changing a project ---------------------------------------------------------------------------------


async def _edit_page(
    request: Request,
    session: AsyncSession,
    user: User,
    project_id: int,
    *,
    detail: str | None = None,
    detail_at: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The edit page; `detail` is a refusal said next to the form `detail_at` names ("project",
    "member-<id>", "milestone-<id>", "archive")."""
    project = await visible_project(session, user, project_id)
    await require_manager(session, user, project)
    read = (await one_project_read(session, project)).model_dump(mode="json")
    ids = {read["lead_id"], *read["member_ids"]}
    rows = await session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(ids)))
    names: dict[int | None, str] = dict(rows.all())
    is_lead = project.lead_id == user.id
    return render(
        request,
        "project_edit.html",
        status_code=status_code,
        project=read,
        people={str(key): value for key, value in names.items()},
        is_lead=is_lead,
        candidates=await service.member_candidates(session, project=project),
        form=form or {},
        detail=detail,
        detail_at=detail_at,
        saved=request.query_params.get("saved", ""),
    )


def _saved(project_id: int, what: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/projects/{project_id}/edit?saved={what}{anchor}", status_code=303)


@router.get("/projects/{project_id}/edit", response_class=HTMLResponse)
async def edit_project_page(
    request: Request, project_id: int, session: SessionDep, user: PageUser
) -> Response:
    return await _edit_page(request, session, user, project_id)


@router.post("/projects/{project_id}/edit")
async def edit_project(
    request: Request, project_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    typed = form.values("name", "description", "start_date", "due_date")
    start, due = form.date("start_date"), form.date("due_date")

    async def refused(detail: str, status_code: int = 422) -> Response:
        return await _edit_page(
            request,
            session,
            user,
            project_id,
            detail=detail,
            detail_at="project",
            form=typed,
            status_code=status_code,
        )

    if start is None or due is None:
        return await refused(NOT_A_DATE)
    _, problem = await attempt(
        lambda: editing.edit_project(
            session,
            by=user,
            project_id=project_id,
            data=ProjectUpdate(
                name=form.text("name"),
                description=form.text("description").strip() or None,
                start_date=start,
                due_date=due,
            ),
        ),
        session=session,
        shown=(409, 422),
        reload=(user,),
    )
    if problem:
        return await refused(problem, problem.status_code)
    return _saved(project_id, "project")


async def _change(
    request: Request,
    session: AsyncSession,
    user: User,
    project_id: int,
    change: Any,
    *,
    at: str,
    done: str,
) -> Response:
    """Run one change; back to the edit page, with the refusal next to the form `at` when it is one."""
    _, problem = await attempt(change, session=session, shown=(409, 422), reload=(user,))
    if problem:
        return await _refused(request, session, user, project_id, problem, at)
    return _saved(project_id, done, f"#{at}")


async def _refused(
    request: Request, session: AsyncSession, user: User, project_id: int, problem: Problem, at: str
) -> Response:
    return await _edit_page(
        request, session, user, project_id, detail=problem, detail_at=at, status_code=problem.status_code
    )


@router.post("/projects/{project_id}/archive")
async def archive(
    request: Request, project_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    _, problem = await attempt(
        lambda: editing.archive_project(session, by=user, project_id=project_id),
        session=session,
        shown=(409,),
        reload=(user,),
    )
    if problem:
        return await _refused(request, session, user, project_id, problem, "archive")
    return RedirectResponse(f"/projects/{project_id}?archived=1", status_code=303)


@router.post("/projects/{project_id}/unarchive")
async def unarchive(
    request: Request, project_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    return await _change(
        request,
        session,
        user,
        project_id,
        lambda: editing.unarchive_project(session, by=user, project_id=project_id),
        at="archive",
        done="unarchived",
    )


@router.post("/projects/{project_id}/members/{member_id}/remove")
async def remove_member(
    request: Request, project_id: int, member_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    return await _change(
        request,
        session,
        user,
        project_id,
        lambda: service.remove_member(session, by=user, project_id=project_id, user_id=member_id),
        at="members",
        done="member",
    )


@router.post("/projects/{project_id}/milestones/{milestone_id}/edit")
async def edit_milestone(
    request: Request, project_id: int, milestone_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    at = f"milestone-{milestone_id}"
    milestone = await session.get(Milestone, milestone_id)
    if milestone is None or milestone.project_id != project_id:
        raise NotFound("Milestone not found")
    weight, assignees = form.number("weight"), form.numbers("assignee_ids")
    if weight is None:
        return await _refused(request, session, user, project_id, Problem(N_("Bobot harus angka 1–100.")), at)
    if assignees is None:
        message = N_("Pilih penanggung jawab dari daftar.")
        return await _refused(request, session, user, project_id, Problem(message), at)
    return await _change(
        request,
        session,
        user,
        project_id,
        lambda: editing.edit_milestone(
            session,
            by=user,
            milestone_id=milestone_id,
            data=MilestoneEdit(title=form.text("title"), weight=weight, assignee_ids=assignees),
        ),
        at=at,
        done="milestone",
    )
