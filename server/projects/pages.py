"""The forms on the project page: the lead plans a milestone, moves a due date with a reason, closes a
milestone with its quality score (and the delivery), corrects or reopens it, adds a member; the lead's
rater scores the quality of the lead's own work. Each calls the same service function as the API, so
the rules (and the history they write) are the API's; each works without JavaScript.

A refusal draws the page the form is on again (`refused_on_page`, also for the blocker forms of
blocker_pages.py) with the message beside the field it concerns and the form open and filled in as it was
sent, instead of an error page whose "back" loses what was typed. The templates find it with the global
`page_refusal(request)` (web/templates/_form_refusal.html draws it)."""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.deps import RuntimeDep, SessionDep
from server.pages import i18n
from server.pages.deps import Form, PageForm, PageRoute, PageUser, form_number, safe_next
from server.pages.evidence_form import FIELD, EvidenceFormDep, EvidenceFormRoute, evidence_sent
from server.pages.forms import Problem, attempt
from server.pages.i18n import N_
from server.pages.render import environment, render
from server.projects import corrections, service
from server.projects.models import (
    MemberAdd,
    MilestoneClose,
    MilestoneCorrect,
    MilestoneCreate,
    MilestoneQuality,
    MilestoneReschedule,
)
from server.projects.reads import MilestoneRead
from server.projects.work_pages import my_work, project_page
from server.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PICK_QUALITY = N_("Pilih nilai kualitas 1 sampai 5.")
_PROJECT_PAGE = re.compile(r"/projects/(\d+)")


@dataclass(frozen=True)
class FormRefusal:
    form: str  # which form of the page: "close-12", "milestone-new", "resolve-40" ...
    message: str  # in the page's language
    field: str | None  # the field it concerns (the message goes beside it), None for the whole form
    typed: dict[str, Any]  # the fields as sent, to fill the form in again
    files: int = 0  # evidence files the form carried, which must be chosen again (pages/evidence_form.py)


def page_refusal(request: Request) -> FormRefusal | None:
    refusal = getattr(request.state, "form_refusal", None)
    return refusal if isinstance(refusal, FormRefusal) else None


environment.globals["page_refusal"] = page_refusal


@dataclass(frozen=True)
class Posted:
    """A form sent from a page that can be drawn again: who sent what, and where they came from."""

    request: Request
    session: AsyncSession
    runtime: Runtime
    user: User
    form: Form
    key: str  # the form's name in FormRefusal.form
    kept: tuple[str, ...]  # the fields drawn again as typed
    back: str  # the page the form is on

    async def refuse(self, problem: str, field: str | None = None, status_code: int = 422) -> Response:
        return await refused_on_page(self, Problem(problem, status_code), field)

    async def run(
        self,
        change: Callable[[], Awaitable[Any]],
        saved: Callable[[Any], str],
        shown: tuple[int, ...] = (409, 422),
    ) -> Response:
        """The change, then `saved(result)` (where to go) when it is saved, or the refusal on the page.
        A broken rule of the API's model names its field, so the message goes beside that field."""
        broken: list[str] = []

        async def tracked() -> Any:
            try:
                return await change()
            except ValidationError as exc:
                broken.extend(str((error.get("loc") or ("",))[0]) for error in exc.errors())
                raise

        done, problem = await attempt(tracked, session=self.session, shown=shown, reload=(self.user,))
        if problem is not None:
            field = broken[0] if broken else None
            if field is None and problem.status_code == 422 and len(self.kept) == 1:
                field = self.kept[0]  # the service's own rule about the form's one field (a blank note)
            return await refused_on_page(self, problem, field)
        return RedirectResponse(saved(done), status_code=303)


async def refused_on_page(posted: Posted, problem: Problem, field: str | None) -> Response:
    """The page the form was sent from (the project page, or a staff member's home) drawn again with the
    refusal (`problem.status_code`); a page with no such form to fill in again (a unit board, a leader's
    or admin's home) gets the error page with a way back."""
    request, user, path = posted.request, posted.user, urlsplit(posted.back).path
    project = _PROJECT_PAGE.fullmatch(path)
    if project is None and not (path == "/" and user.role == Role.staff):
        return render(
            request, "action_error.html", status_code=problem.status_code, detail=problem, back=posted.back
        )
    typed: dict[str, Any] = posted.form.values(*posted.kept)
    if "assignee_ids" in posted.kept:
        typed["assignee_ids"] = posted.form.texts("assignee_ids")
    said = i18n.localise_message(problem, i18n.request_locale(request))
    request.state.form_refusal = FormRefusal(posted.key, said, field, typed, evidence_sent(request))
    if project is not None:
        response = await project_page(request, int(project[1]), posted.session, posted.runtime, user)
    else:
        response = await my_work(request, posted.session, user)
    response.status_code = problem.status_code
    return response


def _back(project_id: int, anchor: str = "") -> str:
    return f"/projects/{project_id}?saved=1{anchor}"


@dataclass(frozen=True)
class Sent:
    """A form as it arrived from a page: the request, its transaction, the runtime, who sent it and what."""

    request: Request
    session: AsyncSession
    runtime: Runtime
    user: User
    form: Form

    def from_project_page(self, key: str, *kept: str) -> Posted:
        """A form of the project page (its path, without `?saved=1`, is where it is drawn again)."""
        project_id = self.request.path_params["project_id"]
        return self._posted(key, kept, f"/projects/{project_id}")

    async def run_and_go_back(self, key: str, change: Callable[[], Awaitable[Any]], *kept: str) -> Response:
        """A form sent from more than one page (a blocker's, an answer to an update): the change, then
        back to the page its `back` field names, where a refusal is drawn too."""
        page = self._posted(key, kept, safe_next(self.form.text("back")))
        return await page.run(change, lambda _: page.back, shown=(403, 409, 422))

    def _posted(self, key: str, kept: tuple[str, ...], back: str) -> Posted:
        return Posted(self.request, self.session, self.runtime, self.user, self.form, key, kept, back)


async def sent_form(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: PageUser, form: PageForm
) -> Sent:
    return Sent(request, session, runtime, user, form)


# What every form of these pages needs, in the order it is read: the transaction, the signed-in user, then
# the form (its CSRF token is checked against the user's session).
SentForm = Annotated[Sent, Depends(sent_form)]


def _to_milestone(project_id: int, milestone_id: int) -> Callable[[Any], str]:
    return lambda _: _back(project_id, f"#milestone-{milestone_id}")


@router.post("/projects/{project_id}/milestones")
async def plan_milestone(project_id: int, sent: SentForm) -> Response:
    page = sent.from_project_page("milestone-new", "title", "due_date", "weight", "assignee_ids")
    form = page.form
    due, weight, assignees = (
        form.date("due_date"),
        form_number(form.text("weight", "1")),
        form.numbers("assignee_ids"),
    )
    if due is None:
        return await page.refuse(N_("Isi tanggal tenggat yang benar."), "due_date")
    if weight is None:
        return await page.refuse(N_("Bobot harus angka 1–100."), "weight")
    if assignees is None:
        return await page.refuse(N_("Pilih penanggung jawab dari daftar."), "assignee_ids")
    return await page.run(
        lambda: service.create_milestone(
            page.session,
            by=page.user,
            project_id=project_id,
            data=MilestoneCreate(
                title=form.text("title"), due_date=due, weight=weight, assignee_ids=assignees
            ),
        ),
        lambda created: _back(project_id, f"#milestone-{created.id}"),
    )


@router.post("/projects/{project_id}/milestones/{milestone_id}/reschedule")
async def reschedule(project_id: int, milestone_id: int, sent: SentForm) -> Response:
    page = sent.from_project_page(f"reschedule-{milestone_id}", "due_date", "reason")
    due = page.form.date("due_date")
    if due is None:
        return await page.refuse(N_("Isi tanggal tenggat baru yang benar."), "due_date")
    return await page.run(
        lambda: service.reschedule_milestone(
            page.session,
            by=page.user,
            milestone_id=milestone_id,
            data=MilestoneReschedule(due_date=due, reason=page.form.text("reason")),
        ),
        _to_milestone(project_id, milestone_id),
    )


# The close form carries evidence (photos, PDFs): its route takes the larger multipart body.
evidence_router = APIRouter(include_in_schema=False, route_class=EvidenceFormRoute)


@evidence_router.post("/projects/{project_id}/milestones/{milestone_id}/close")
async def close(
    request: Request,
    project_id: int,
    milestone_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    form: EvidenceFormDep,  # before the user: its files are stored before the transaction begins
    user: PageUser,
) -> Response:
    """The lead closes a milestone, with up to four photos or PDFs as its evidence, recorded in the
    close's transaction (a refused close keeps none of them)."""
    kept = ("quality", "closed_on", "note", "delivery_accepted", "delivery_reason")
    page = Sent(request, session, runtime, user, form).from_project_page(f"close-{milestone_id}", *kept)
    quality, closed_on = form.number("quality"), form.date("closed_on")
    if quality is None:
        return await page.refuse(PICK_QUALITY, "quality")
    if form.text("closed_on").strip() and closed_on is None:
        return await page.refuse(N_("Isi tanggal selesai yang benar."), "closed_on")
    if form.problem is not None:
        return await refused_on_page(page, form.problem, FIELD)

    async def close_with_evidence() -> MilestoneRead:
        return await service.close_milestone(
            session,
            by=user,
            milestone_id=milestone_id,
            data=MilestoneClose(
                quality=quality,
                closed_on=closed_on,
                note=form.text("note").strip() or None,
                delivery_accepted=form.text("delivery_accepted", "1") != "0",
                delivery_reason=form.text("delivery_reason").strip() or None,
                evidence_ids=await form.record_uploads(session, by=user),
            ),
        )

    return await page.run(close_with_evidence, _to_milestone(project_id, milestone_id))


@router.post("/projects/{project_id}/milestones/{milestone_id}/quality")
async def score_quality(project_id: int, milestone_id: int, sent: SentForm) -> Response:
    """The lead's rater scores the quality of a milestone the lead worked on."""
    page = sent.from_project_page(f"quality-{milestone_id}", "quality", "note")
    quality = page.form.number("quality")
    if quality is None:
        return await page.refuse(PICK_QUALITY, "quality")
    return await page.run(
        lambda: corrections.score_quality(
            page.session,
            by=page.user,
            milestone_id=milestone_id,
            data=MilestoneQuality(quality=quality, note=page.form.text("note").strip() or None),
        ),
        _to_milestone(project_id, milestone_id),
    )


@router.post("/projects/{project_id}/milestones/{milestone_id}/correct")
async def correct(project_id: int, milestone_id: int, sent: SentForm) -> Response:
    """The lead's (or an admin's) correction: empty fields stay as they are."""
    page = sent.from_project_page(
        f"correct-{milestone_id}", "closed_on", "quality", "due_date", "reopen", "reason"
    )
    form = page.form
    closed_on, due_date, quality = form.date("closed_on"), form.date("due_date"), form.number("quality")
    for name, parsed in (("closed_on", closed_on), ("due_date", due_date)):
        if form.text(name).strip() and parsed is None:
            return await page.refuse(N_("Isi tanggal yang benar, atau kosongkan."), name)
    if form.text("quality").strip() and quality is None:
        return await page.refuse(N_("Pilih nilai kualitas 1 sampai 5, atau kosongkan."), "quality")
    return await page.run(
        lambda: corrections.correct_milestone(
            page.session,
            by=page.user,
            milestone_id=milestone_id,
            data=MilestoneCorrect(
                closed_on=closed_on,
                quality=quality,
                due_date=due_date,
                reopen=form.text("reopen") == "1",
                reason=form.text("reason"),
            ),
        ),
        _to_milestone(project_id, milestone_id),
        shown=(403, 409, 422),
    )


@router.post("/projects/{project_id}/members")
async def add_member(project_id: int, sent: SentForm) -> Response:
    page = sent.from_project_page("member-new", "user_id")
    member_id = page.form.number("user_id")
    if member_id is None:
        return await page.refuse(N_("Pilih pegawai yang akan ditambahkan."), "user_id")
    return await page.run(
        lambda: service.add_member(
            page.session, by=page.user, project_id=project_id, data=MemberAdd(user_id=member_id)
        ),
        lambda _: _back(project_id),
    )


# Included routes keep their own route class (the evidence form's body limit).
router.include_router(evidence_router)
