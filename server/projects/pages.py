"""The project lead's forms on the project page: plan a milestone, move a due date with a reason,
close a milestone with its quality score, add a member. Each calls the same service function as the
API, so the rules (and the history they write) are the API's; each works without JavaScript."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from server.bodylimit import body_limited_route
from server.deps import SessionDep
from server.pages.forms import attempt
from server.pages.i18n import N_
from server.pages.render import render
from server.pages.routes import PageUser, check_csrf
from server.projects import service
from server.projects.models import MemberAdd, MilestoneClose, MilestoneCreate, MilestoneReschedule

FORM_BODY_LIMIT = 64 * 1024
router = APIRouter(include_in_schema=False, route_class=body_limited_route(FORM_BODY_LIMIT))


def _back(project_id: int, anchor: str = "") -> str:
    return f"/projects/{project_id}?saved=1{anchor}"


def _not_saved(request: Request, project_id: int, detail: str) -> Response:
    return render(
        request, "action_error.html", status_code=422, detail=detail, back=f"/projects/{project_id}"
    )


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@router.post("/projects/{project_id}/milestones")
async def plan_milestone(
    request: Request,
    project_id: int,
    session: SessionDep,
    user: PageUser,
    csrf_token: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    weight: Annotated[str, Form()] = "1",
    assignee_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    check_csrf(request, csrf_token)
    due = _date(due_date)
    if due is None:
        return _not_saved(request, project_id, N_("Isi tanggal tenggat yang benar."))
    if not weight.strip().isdigit():
        return _not_saved(request, project_id, N_("Bobot harus angka 1–100."))
    created, problem = await attempt(
        lambda: service.create_milestone(
            session,
            by=user,
            project_id=project_id,
            data=MilestoneCreate(
                title=title.strip(), due_date=due, weight=int(weight), assignee_ids=assignee_ids or []
            ),
        ),
        session=session,
    )
    if created is None:
        return _not_saved(request, project_id, problem or "")
    return RedirectResponse(_back(project_id, f"#milestone-{created.id}"), status_code=303)


@router.post("/projects/{project_id}/milestones/{milestone_id}/reschedule")
async def reschedule(
    request: Request,
    project_id: int,
    milestone_id: int,
    session: SessionDep,
    user: PageUser,
    csrf_token: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    due = _date(due_date)
    if due is None:
        return _not_saved(request, project_id, N_("Isi tanggal tenggat baru yang benar."))
    _, problem = await attempt(
        lambda: service.reschedule_milestone(
            session, by=user, milestone_id=milestone_id, data=MilestoneReschedule(due_date=due, reason=reason)
        ),
        session=session,
    )
    if problem:
        return _not_saved(request, project_id, problem)
    return RedirectResponse(_back(project_id, f"#milestone-{milestone_id}"), status_code=303)


@router.post("/projects/{project_id}/milestones/{milestone_id}/close")
async def close(
    request: Request,
    project_id: int,
    milestone_id: int,
    session: SessionDep,
    user: PageUser,
    csrf_token: Annotated[str, Form()] = "",
    quality: Annotated[str, Form()] = "",
    closed_on: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    if quality not in {"1", "2", "3", "4", "5"}:
        return _not_saved(request, project_id, N_("Pilih nilai kualitas 1 sampai 5."))
    _, problem = await attempt(
        lambda: service.close_milestone(
            session,
            by=user,
            milestone_id=milestone_id,
            data=MilestoneClose(quality=int(quality), closed_on=_date(closed_on), note=note.strip() or None),
        ),
        session=session,
    )
    if problem:
        return _not_saved(request, project_id, problem)
    return RedirectResponse(_back(project_id, f"#milestone-{milestone_id}"), status_code=303)


@router.post("/projects/{project_id}/members")
async def add_member(
    request: Request,
    project_id: int,
    session: SessionDep,
    user: PageUser,
    csrf_token: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    if not user_id.isdigit():
        return _not_saved(request, project_id, N_("Pilih pegawai yang akan ditambahkan."))
    _, problem = await attempt(
        lambda: service.add_member(
            session, by=user, project_id=project_id, data=MemberAdd(user_id=int(user_id))
        ),
        session=session,
        shown=(409, 422),
    )
    if problem:
        return _not_saved(request, project_id, problem)
    return RedirectResponse(_back(project_id), status_code=303)
