"""The admin's period locks page (/admin/periods): a year's months, quarters and the year itself, each
locked or open, with the form that locks a period that has ended or unlocks one with a reason. Thin: the
rules are server.calendar.locks'."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.calendar import locks
from server.calendar.models import PeriodUnlock
from server.calendar.periods import (
    MAX_PARSED_YEAR,
    MIN_PARSED_YEAR,
    InvalidPeriod,
    Period,
    parse_period,
    today_jakarta,
)
from server.deps import SessionDep
from server.errors import NotFound
from server.pages.deps import AdminPage, PageForm, PageRoute, form_number
from server.pages.forms import attempt
from server.pages.i18n import N_
from server.pages.render import render
from server.performance.views import people_names

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _year(raw: str | None, fallback: int) -> int:
    """The year asked for, or this year when it is missing or unreadable."""
    year = form_number(raw)
    return year if year is not None and MIN_PARSED_YEAR <= year <= MAX_PARSED_YEAR else fallback


async def _periods_page(
    request: Request,
    session: AsyncSession,
    year: int,
    *,
    status_code: int = 200,
    error: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    states = await locks.period_states(session, year=year)
    names = await people_names(session, {s["locked_by"] for s in states if s["locked_by"]})
    groups = [(N_("Bulanan"), states[:12]), (N_("Triwulanan"), states[12:16]), (N_("Tahunan"), states[16:])]
    return render(
        request,
        "admin_periods.html",
        status_code=status_code,
        year=year,
        groups=groups,
        names=names,
        error=error,
        form=form or {},
        saved=request.query_params.get("saved"),
        years=(max(MIN_PARSED_YEAR, year - 1), min(MAX_PARSED_YEAR, year + 1)),
    )


@router.get("/admin/periods", response_class=HTMLResponse)
async def periods_page(
    request: Request, session: SessionDep, admin: AdminPage, year: str | None = None
) -> Response:
    """Which periods of the year are locked; lock one that has ended, or unlock one with a reason."""
    return await _periods_page(request, session, _year(year, today_jakarta().year))


def _period_or_404(text: str) -> Period:
    try:
        return parse_period(text)
    except InvalidPeriod:
        raise NotFound("Period not found") from None


def _done(period: Period, action: str) -> RedirectResponse:
    return RedirectResponse(
        f"/admin/periods?year={period.year}&saved={action}#periode-{period}", status_code=303
    )


@router.post("/admin/periods/{period}/lock")
async def post_lock(
    request: Request, period: str, session: SessionDep, admin: AdminPage, form: PageForm
) -> Response:
    chosen = _period_or_404(period)
    _, problem = await attempt(
        lambda: locks.lock_period(session, by_id=admin.id, period=chosen),
        session=session,
        reload=(admin,),
    )
    if problem:
        return await _periods_page(
            request, session, chosen.year, status_code=422, error={"period": str(chosen), "text": problem}
        )
    return _done(chosen, "locked")


@router.post("/admin/periods/{period}/unlock")
async def post_unlock(
    request: Request, period: str, session: SessionDep, admin: AdminPage, form: PageForm
) -> Response:
    reason = form.text("reason")
    chosen = _period_or_404(period)
    _, problem = await attempt(
        lambda: locks.unlock_period(
            session, by_id=admin.id, period=chosen, reason=PeriodUnlock(reason=reason).reason
        ),
        session=session,
        reload=(admin,),
    )
    if problem:
        return await _periods_page(
            request,
            session,
            chosen.year,
            status_code=422,
            error={"period": str(chosen), "text": problem},
            form={"period": str(chosen), "reason": reason},
        )
    return _done(chosen, "unlocked")
