"""The admin's holiday calendar page: the holidays of a year, a form to add one (or rename it) and a
button to remove each. The rules are server/calendar/holidays.py's, the same as the API's."""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.calendar import holidays
from server.calendar.models import HolidaySet
from server.calendar.periods import MAX_PARSED_YEAR, MIN_PARSED_YEAR
from server.deps import SessionDep
from server.pages.deps import AdminPage, PageForm, PageRoute, form_number
from server.pages.forms import attempt
from server.pages.i18n import N_
from server.pages.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _year(raw: str | int | None) -> int:
    """The year asked for, or this year (WIB) when it is missing or out of range."""
    year = raw if isinstance(raw, int) else form_number(raw)
    return year if year is not None and MIN_PARSED_YEAR <= year <= MAX_PARSED_YEAR else clock.today().year


async def _page(
    request: Request,
    session: AsyncSession,
    year: int,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    detail: str | None = None,
) -> Response:
    return render(
        request,
        "admin_holidays.html",
        status_code=status_code,
        year=year,
        holidays=await holidays.list_holidays(session, year=year),
        form=form or {},
        detail=detail,
        saved=request.query_params.get("saved", ""),
        removed=request.query_params.get("removed", ""),
    )


@router.get("/admin/holidays", response_class=HTMLResponse)
async def holidays_page(request: Request, session: SessionDep, admin: AdminPage, year: str = "") -> Response:
    return await _page(request, session, _year(year))


@router.post("/admin/holidays")
async def add_holiday(request: Request, session: SessionDep, admin: AdminPage, form: PageForm) -> Response:
    shown = form.values("day", "name")
    when = form.date("day")
    if when is None:
        detail = N_("Isi tanggal yang benar.")
        return await _page(request, session, _year(None), status_code=422, form=shown, detail=detail)
    saved, problem = await attempt(
        lambda: holidays.set_holiday(session, by=admin, day=when, data=HolidaySet(name=form.text("name"))),
        session=session,
        reload=(admin,),
    )
    if saved is None:
        return await _page(request, session, _year(when.year), status_code=422, form=shown, detail=problem)
    return RedirectResponse(f"/admin/holidays?year={when.year}&saved={when.isoformat()}", status_code=303)


@router.post("/admin/holidays/{day}/delete")
async def remove_holiday(
    request: Request, day: date, session: SessionDep, admin: AdminPage, form: PageForm
) -> Response:
    await holidays.delete_holiday(session, by=admin, day=day)
    return RedirectResponse(f"/admin/holidays?year={day.year}&removed={day.isoformat()}", status_code=303)
