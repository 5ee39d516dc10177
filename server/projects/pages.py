"""The forms on the project page: the lead plans a milestone, moves a due date with a reason, closes a
milestone with its quality score (and the delivery), corrects or reopens it, adds a member; the lead's
rater scores the quality of the lead's own work. Each calls the same service function as the API, so
the rules (and the history they write) are the API's; each works without JavaScript."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from server.deps import SessionDep
from server.pages.deps import PageForm, PageRoute, PageUser, form_number
from server.pages.forms import Problem, attempt
from server.pages.i18n import N_
from server.pages.render import render
from server.projects import corrections, service
from server.projects.models import (
    MemberAdd,
    MilestoneClose,
    MilestoneCorrect,
    MilestoneCreate,
    MilestoneQuality,
    MilestoneReschedule,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PICK_QUALITY = N_("Pilih nilai kualitas 1 sampai 5.")


def _back(project_id: int, anchor: str = "") -> str:
    return f"/projects/{project_id}?saved=1{anchor}"


def _not_saved(request: Request, project_id: int, detail: str, status_code: int = 422) -> Response:
    back = f"/projects/{project_id}"
    return render(request, "action_error.html", status_code=status_code, detail=detail, back=back)


def _refused(request: Request, project_id: int, problem: Problem) -> Response:
    return _not_saved(request, project_id, problem, problem.status_code)


async def _milestone_change(
    request: Request,
    session: SessionDep,
    project_id: int,
    milestone_id: int,
    change: Any,
    shown: tuple[int, ...] = (409, 422),
) -> Response:
    """Run a lead's or rater's change to one milestone: back to it when saved, the refusal inline when not."""
    _, problem = await attempt(change, session=session, shown=shown)
    if problem:
        return _refused(request, project_id, problem)
    return RedirectResponse(_back(project_id, f"#milestone-{milestone_id}"), status_code=303)


@router.post("/projects/{project_id}/milestones")
async def plan_milestone(
    request: Request, project_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    due, weight, assignees = (
        form.date("due_date"),
        form_number(form.text("weight", "1")),
        form.numbers("assignee_ids"),
    )
    if due is None:
        return _not_saved(request, project_id, N_("Isi tanggal tenggat yang benar."))
    if weight is None:
        return _not_saved(request, project_id, N_("Bobot harus angka 1–100."))
    if assignees is None:
        return _not_saved(request, project_id, N_("Pilih penanggung jawab dari daftar."))
    created, problem = await attempt(
        lambda: service.create_milestone(
            session,
            by=user,
            project_id=project_id,
            data=MilestoneCreate(
                title=form.text("title"), due_date=due, weight=weight, assignee_ids=assignees
            ),
        ),
        session=session,
    )
    if created is None:
        return _not_saved(request, project_id, problem or "")
    return RedirectResponse(_back(project_id, f"#milestone-{created.id}"), status_code=303)


@router.post("/projects/{project_id}/milestones/{milestone_id}/reschedule")
async def reschedule(
    request: Request, project_id: int, milestone_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    due = form.date("due_date")
    if due is None:
        return _not_saved(request, project_id, N_("Isi tanggal tenggat baru yang benar."))
    return await _milestone_change(
        request,
        session,
        project_id,
        milestone_id,
        lambda: service.reschedule_milestone(
            session,
            by=user,
            milestone_id=milestone_id,
            data=MilestoneReschedule(due_date=due, reason=form.text("reason")),
        ),
    )


@router.post("/projects/{project_id}/milestones/{milestone_id}/close")
async def close(
    request: Request, project_id: int, milestone_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    quality, closed_on = form.number("quality"), form.date("closed_on")
    if quality is None:
        return _not_saved(request, project_id, PICK_QUALITY)
    if form.text("closed_on").strip() and closed_on is None:
        return _not_saved(request, project_id, N_("Isi tanggal selesai yang benar."))
    return await _milestone_change(
        request,
        session,
        project_id,
        milestone_id,
        lambda: service.close_milestone(
            session,
            by=user,
            milestone_id=milestone_id,
            data=MilestoneClose(
                quality=quality,
                closed_on=closed_on,
                note=form.text("note").strip() or None,
                delivery_accepted=form.text("delivery_accepted", "1") != "0",
                delivery_reason=form.text("delivery_reason").strip() or None,
            ),
        ),
    )


@router.post("/projects/{project_id}/milestones/{milestone_id}/quality")
async def score_quality(
    request: Request, project_id: int, milestone_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    """The lead's rater scores the quality of a milestone the lead worked on."""
    quality = form.number("quality")
    if quality is None:
        return _not_saved(request, project_id, PICK_QUALITY)
    return await _milestone_change(
        request,
        session,
        project_id,
        milestone_id,
        lambda: corrections.score_quality(
            session,
            by=user,
            milestone_id=milestone_id,
            data=MilestoneQuality(quality=quality, note=form.text("note").strip() or None),
        ),
    )


@router.post("/projects/{project_id}/milestones/{milestone_id}/correct")
async def correct(
    request: Request, project_id: int, milestone_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    """The lead's (or an admin's) correction: empty fields stay as they are."""
    closed_on, due_date, quality = form.date("closed_on"), form.date("due_date"), form.number("quality")
    if (form.text("closed_on").strip() and closed_on is None) or (
        form.text("due_date").strip() and due_date is None
    ):
        return _not_saved(request, project_id, N_("Isi tanggal yang benar, atau kosongkan."))
    if form.text("quality").strip() and quality is None:
        return _not_saved(request, project_id, N_("Pilih nilai kualitas 1 sampai 5, atau kosongkan."))
    return await _milestone_change(
        request,
        session,
        project_id,
        milestone_id,
        lambda: corrections.correct_milestone(
            session,
            by=user,
            milestone_id=milestone_id,
            data=MilestoneCorrect(
                closed_on=closed_on,
                quality=quality,
                due_date=due_date,
                reopen=form.text("reopen") == "1",
                reason=form.text("reason"),
            ),
        ),
        shown=(403, 409, 422),
    )


@router.post("/projects/{project_id}/members")
async def add_member(
    request: Request, project_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    member_id = form.number("user_id")
    if member_id is None:
        return _not_saved(request, project_id, N_("Pilih pegawai yang akan ditambahkan."))
    _, problem = await attempt(
        lambda: service.add_member(
            session, by=user, project_id=project_id, data=MemberAdd(user_id=member_id)
        ),
        session=session,
        shown=(409, 422),
    )
    if problem:
        return _not_saved(request, project_id, problem)
    return RedirectResponse(_back(project_id), status_code=303)
