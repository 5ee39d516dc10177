"""The staff member's home ("Pekerjaan saya": their projects, the milestones they work on, their blockers and
the answers to their updates, a lead's queue) and the project page, with the update form both carry. The
forms of server/projects/pages.py draw these pages again when they refuse a change."""

from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Role, User
from server.deps import RuntimeDep, SessionDep
from server.pages.deps import PageRoute, PageUser, safe_next
from server.pages.evidence_form import FIELD, EvidenceFormDep, EvidenceFormRoute
from server.pages.forms import attempt
from server.pages.i18n import N_
from server.pages.render import render
from server.pages.update_refusal import note_refusal
from server.projects import service as projects
from server.projects.access import visible_project
from server.projects.boards import board_view
from server.projects.burnup import project_burnup
from server.projects.corrections import may_score_quality
from server.projects.models import UpdateCreate
from server.projects.queue import waiting_to_close
from server.projects.reads import UpdateRead
from server.projects.views import (
    closes_evidence,
    evidence_names,
    home_blocker_rows,
    home_responses,
    may_manage,
    project_blocker_rows,
    project_feed_responses,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)


async def my_work(request: Request, session: AsyncSession, user: User, error: str | None = None) -> Response:
    project_list = await projects.list_projects(session, by=user)
    mine = {m.id for p in project_list for m in p.milestones if user.id in m.assignee_ids}
    return render(
        request,
        "my_work.html",
        status_code=422 if error else 200,
        projects=project_list,
        my_milestones=mine,
        lead_queue=await waiting_to_close(session, lead=user),
        my_blockers=await home_blocker_rows(session, user),
        my_responses=await home_responses(session, user),
        error=error,
        saved=request.query_params.get("saved") == "1",
    )


# The update form carries evidence (photos, PDFs): its route takes the larger multipart body.
evidence_router = APIRouter(include_in_schema=False, route_class=EvidenceFormRoute)


@evidence_router.post("/projects/{project_id}/updates")
async def post_update_form(
    request: Request,
    project_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    form: EvidenceFormDep,  # before the user: its files are stored before the transaction begins
    user: PageUser,
) -> Response:
    """The no-JavaScript form behind "Kirim pembaruan"; the API's rules (UpdateCreate) apply unchanged.
    The chosen files become uploads in the post's transaction and are attached to it, so a refusal keeps
    none. A refusal draws the form's own page again (422, or 409, 413, 415) with the message beside that
    milestone's form (beside the file field when the files were refused); the typed text stays in the
    browser's draft (drafts.js), which only a success (`saved=1`) clears."""
    back = safe_next(form.text("back", "/"))
    milestone_id = form.number("milestone_id")
    progress = form.number("progress_pct")
    problem: str | None = None
    field: str | None = None
    status_code = 422
    if progress is None:
        problem = N_("Persentase kemajuan harus berupa angka bulat antara 0 dan 100.")
    elif form.problem is not None:
        problem, field, status_code = form.problem, FIELD, form.problem.status_code
    else:

        async def post() -> UpdateRead:
            return await projects.post_update(
                session,
                by=user,
                project_id=project_id,
                data=UpdateCreate(
                    milestone_id=milestone_id,
                    progress_pct=progress,
                    note=form.text("note"),
                    blockers=form.text("blockers"),
                    evidence_ids=await form.record_uploads(session, by=user),
                ),
            )

        _, refused = await attempt(
            post,
            shown=(409, 422),
            session=session,
            reload=(user,),  # the page is drawn again for the signed-in user
        )
        if refused:
            problem, status_code = refused, refused.status_code
    if problem is not None:
        note_refusal(request, milestone_id, problem, form.values("progress_pct", "note", "blockers"), field)
        if urlsplit(back).path == "/" and user.role == Role.staff:
            response = await my_work(request, session, user)
        else:
            response = await project_page(request, project_id, session, runtime, user)
        response.status_code = status_code
        return response
    parts = urlsplit(back)
    query = f"{parts.query}&saved=1" if parts.query else "saved=1"
    return RedirectResponse(urlunsplit(("", "", parts.path, query, parts.fragment)), status_code=303)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project_page(
    request: Request, project_id: int, session: SessionDep, runtime: RuntimeDep, user: PageUser
) -> Response:
    project = await visible_project(session, user, project_id)
    seq, snapshot = await board_view(runtime.read_sessionmaker, "project", project_id)
    read = snapshot["project"]
    on_closes = await closes_evidence(session, read)
    shown = [e for u in snapshot["updates"] for e in u.get("evidence", [])]
    shown += [e for items in on_closes.values() for e in items]
    return render(
        request,
        "project.html",
        project=read,
        updates=snapshot["updates"],
        people=snapshot["people"],
        seq=seq,
        can_post=project.lead_id == user.id or user.id in read["member_ids"],
        is_lead=project.lead_id == user.id,
        candidates=await projects.member_candidates(session, project=project)
        if project.lead_id == user.id
        else [],
        today=clock.today().isoformat(),
        scores_quality=await may_score_quality(session, user, project),
        burnup=await project_burnup(session, project),
        saved=request.query_params.get("saved") == "1",
        blocker_rows=await project_blocker_rows(session, user, project, snapshot["open_blockers"]),
        blockers_back=f"/projects/{project_id}#blockers",
        may_manage=await may_manage(session, user, project),
        responses=await project_feed_responses(session, user, project, snapshot["updates"]),
        closes_evidence=on_closes,
        evidence_people=await evidence_names(session, shown, snapshot["people"]),
    )


# After project_page: included routes keep their own route class (the evidence form's body limit).
router.include_router(evidence_router)
