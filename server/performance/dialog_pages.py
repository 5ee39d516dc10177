"""The dialog kinerja forms on the evaluation page (the rater) and the person page (the ASN, or the rater):
a new entry, and an edit of one's own. Each calls the same service as the API and goes back (303) to the
page it was sent from (`back`); a refusal draws that page again with the message beside the form and
what was typed kept."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.calendar.periods import Period
from server.deps import PeriodDep, SessionDep
from server.pages import i18n
from server.pages.deps import Form, PageForm, PageRoute, PageUser
from server.pages.forms import Problem, attempt
from server.pages.render import render
from server.performance import dialog, pages
from server.performance.dialog_views import dialog_view
from server.performance.views import trend

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Refusals a person can act on, shown beside the form: a rule broken (422), a locked period (409). A 403
# (a reader writing, a kind not theirs: the page offers no such form) goes to the error page.
SHOWN = (409, 422)
FIELDS = ("kind", "text", "due_date", "reply_to")


def _back(form: Form, user_id: int, period: Period) -> str:
    """The evaluation page (the rater's) or the person page, at the dialog."""
    page = "/evaluation" if form.text("back") == "evaluation" else ""
    return f"/people/{user_id}{page}?period={period}#dialog"


@router.post("/people/{user_id}/dialog")
async def post_dialog_entry(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep, form: PageForm
) -> Response:
    """A note or an action (the rater) or a reply (the ASN) in the period's dialog."""
    subject, _ = await dialog.readable_subject(session, user, user_id)
    due_date, reply_to = form.text("due_date").strip(), form.text("reply_to").strip()
    _, problem = await attempt(
        lambda: dialog.add_entry(
            session,
            by=user,
            subject=subject,
            period=period,
            **_entry_fields(form, period, due_date, reply_to),
        ),
        session=session,
        shown=SHOWN,
        reload=(user, subject),
    )
    if problem:
        return await _again(request, session, user, subject, period, form, problem, "new")
    return RedirectResponse(_back(form, user_id, period), status_code=303)


def _entry_fields(form: Form, period: Period, due_date: str, reply_to: str) -> dict[str, Any]:
    """The API's own model checks the fields (a blank text, a date that is no date), then the service
    the rules."""
    body = dialog.DialogEntryCreate.model_validate(
        {
            "period": str(period),
            "kind": form.text("kind"),
            "text": form.text("text"),
            "due_date": due_date or None,
            "reply_to": reply_to or None,
        }
    )
    return body.model_dump(include={"kind", "text", "due_date", "reply_to"})


@router.post("/people/{user_id}/dialog/{entry_id}/edit")
async def post_dialog_edit(
    request: Request,
    user_id: int,
    entry_id: int,
    session: SessionDep,
    user: PageUser,
    period: PeriodDep,
    form: PageForm,
) -> Response:
    """The author's change of an entry's text (and an action's due date); the previous text is kept."""
    subject, _ = await dialog.readable_subject(session, user, user_id)
    due_date = form.text("due_date").strip()

    async def edit() -> object:
        body = dialog.DialogEntryEdit.model_validate(
            {"text": form.text("text"), "due_date": due_date or None}
        )
        return await dialog.edit_entry(
            session, by=user, entry_id=entry_id, text=body.text, due_date=body.due_date
        )

    _, problem = await attempt(edit, session=session, shown=SHOWN, reload=(user, subject))
    if problem:
        return await _again(request, session, user, subject, period, form, problem, str(entry_id))
    return RedirectResponse(_back(form, user_id, period), status_code=303)


async def _again(
    request: Request,
    session: AsyncSession,
    user: User,
    subject: User,
    period: Period,
    form: Form,
    problem: Problem,
    at: str,
) -> Response:
    """The page the form came from, drawn again with the refusal beside the form."""
    assert subject.id is not None
    said = i18n.localise_message(str(problem), i18n.request_locale(request))
    view = await dialog_view(
        session, user, subject, period, problem=said, problem_at=at, form=form.values(*FIELDS)
    )
    if form.text("back") == "evaluation":
        return await pages._evaluation(
            request, session, user, subject.id, period, status_code=problem.status_code, dialog=view
        )
    context = await pages._person_context(session, user, subject.id, period)
    context["dialog"] = view
    return render(
        request,
        "person.html",
        status_code=problem.status_code,
        trend=await trend(session, context["person"], period),
        **context,
    )
