"""The change history page: the append-only trail of every change to projects, milestones, ratings,
targets, accounts, units and organisation results, newest first, filtered by a GET form. Read-only by design:
Pantau has no way to edit or delete a history entry, on this page or in the API."""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from server.accounts.admin_views import (
    ENTITIES,
    HistoryFilters,
    changes,
    history_names,
    history_page,
)
from server.calendar.periods import InvalidPeriod, parse_period
from server.deps import SessionDep
from server.pages.deps import AdminPage
from server.pages.render import render

router = APIRouter(include_in_schema=False)


def _day(raw: str, problems: list[str], field: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(field)
        return None


@router.get("/admin/history", response_class=HTMLResponse)
async def history(
    request: Request,
    session: SessionDep,
    admin: AdminPage,
    entity: str = "",
    actor: str = "",
    subject: str = "",
    period: str = "",
    date_from: str = "",
    date_to: str = "",
    page: int = 1,
) -> Response:
    """Who changed what, when (WIB), from what to what, and why. A filter that cannot be read is named on
    the page and left out, so the page always answers."""
    problems: list[str] = []
    if entity and entity not in ENTITIES:
        problems.append("entity")
        entity = ""
    period = period.strip()
    if period:
        try:
            period = str(parse_period(period))
        except InvalidPeriod:
            problems.append("period")
            period = ""
    filters = HistoryFilters(
        entity=entity,
        actor=actor.strip()[:100],
        subject=subject.strip()[:100],
        period=period,
        date_from=_day(date_from, problems, "date_from"),
        date_to=_day(date_to, problems, "date_to"),
    )
    entries, paging = await history_page(session, filters, page)
    return render(
        request,
        "admin_history.html",
        status_code=422 if problems else 200,
        rows=[(e, changes(e)) for e in entries],
        names=await history_names(session, entries),
        filters=filters,
        raw={
            "date_from": date_from,
            "date_to": date_to,
            "period": period or request.query_params.get("period", ""),
        },
        problems=problems,
        paging=paging,
        query=filters.query(),
        entities=ENTITIES,
    )
