"""The admin's page for survey answers that were stored but not counted (/admin/survey-answers): filter by
unit, period and status; clear a suspect answer or exclude a counted one, with a reason."""

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.admin_views import unit_tree, user_names
from server.accounts.service import list_units
from server.calendar.periods import InvalidPeriod, Period, parse_period
from server.deps import SessionDep
from server.feedback import review
from server.feedback.ikm import ELEMENTS
from server.feedback.models import Feedback, ReviewDecision
from server.pages.deps import AdminPage, PageForm, PageRoute, form_number
from server.pages.forms import attempt
from server.pages.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PATH = "/admin/survey-answers"

Decision = Callable[..., Awaitable[Feedback]]
DECISIONS: dict[str, Decision] = {"clear": review.clear_answer, "exclude": review.exclude_answer}


def _filters(unit: str, period: str, status: str) -> tuple[int | None, Period, str, list[str]]:
    """The filters as typed, read leniently: what cannot be read is named on the page and left out."""
    problems: list[str] = []
    unit_id = form_number(unit)
    if unit.strip() and unit_id is None:
        problems.append("unit")
    try:
        chosen = parse_period(period.strip() or None)
    except InvalidPeriod:
        problems.append("period")
        chosen = parse_period(None)
    if status not in review.LIST_FILTERS:
        problems.append("status")
        status = review.UNCOUNTED
    return unit_id, chosen, status, problems


def _query(unit_id: int | None, period: Period, status: str) -> str:
    return urlencode({"unit": unit_id or "", "period": str(period), "status": status})


async def _page(
    request: Request,
    session: AsyncSession,
    *,
    unit_id: int | None,
    period: Period,
    status: str,
    problems: list[str],
    status_code: int = 200,
    done: str = "",
    failed: tuple[int, str, str] | None = None,  # (answer id, the reason typed, the refusal's message)
) -> HTMLResponse:
    units = await list_units(session)
    if unit_id is not None and unit_id not in {u.id for u in units}:
        problems, unit_id = [*problems, "unit"], None
    found = await review.list_answers(session, period=period, unit_id=unit_id, status=status)
    people = {f.employee_id for f in found.answers} | {f.reviewed_by for f in found.answers}
    names = await user_names(session, {p for p in people if p is not None})
    return render(
        request,
        "admin_survey_answers.html",
        status_code=422 if problems and status_code == 200 else status_code,
        tree=unit_tree(units),
        unit_names={u.id: u.name for u in units},
        unit_id=unit_id,
        period=period,
        status=status,
        statuses=review.LIST_FILTERS,
        problems=problems,
        found=found,
        names=names,
        elements=[code for code, _ in ELEMENTS],
        query=_query(unit_id, period, status),
        done=done,
        failed_id=failed[0] if failed else None,
        failed_reason=failed[1] if failed else "",
        detail=failed[2] if failed else None,
    )


@router.get(PATH, response_class=HTMLResponse)
async def survey_answers(
    request: Request,
    session: SessionDep,
    admin: AdminPage,
    unit: str = "",
    period: str = "",
    status: str = review.UNCOUNTED,
    done: str = "",
) -> Response:
    """Answers of a period; by default the ones not counted (duplicate, suspect, excluded)."""
    unit_id, chosen, status, problems = _filters(unit, period, status)
    return await _page(
        request,
        session,
        unit_id=unit_id,
        period=chosen,
        status=status,
        problems=problems,
        done=done if done in DECISIONS else "",
    )


@router.post(PATH + "/{feedback_id}/{decision}")
async def decide(
    feedback_id: int, decision: str, request: Request, session: SessionDep, admin: AdminPage, form: PageForm
) -> Response:
    """Clear a suspect answer or exclude a counted one; back to the same list, or the list with the
    refusal (reason too short, not that status any more, period locked) next to the answer."""
    unit_id, period, status, _ = _filters(form.text("unit"), form.text("period"), form.text("status"))
    action = DECISIONS.get(decision)
    if action is None:
        return await _page(
            request, session, unit_id=unit_id, period=period, status=status, problems=["decision"]
        )
    reason = form.text("reason")

    async def run() -> Feedback:
        checked = ReviewDecision(reason=reason)  # the API's rule for a reason, refused here as on the API
        return await action(session, feedback_id=feedback_id, by=admin, reason=checked.reason)

    _, problem = await attempt(run, session=session, shown=(409, 422), reload=(admin,))
    if problem:
        return await _page(
            request,
            session,
            unit_id=unit_id,
            period=period,
            status=status,
            problems=[],
            status_code=problem.status_code,
            failed=(feedback_id, reason, problem),
        )
    query = _query(unit_id, period, status)
    return RedirectResponse(f"{PATH}?{query}&done={decision}#answer-{feedback_id}", status_code=303)
