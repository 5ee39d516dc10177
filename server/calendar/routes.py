"""The holiday calendar (API v1): everyone signed in reads it; the admin keeps it."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from server import clock
from server.bodylimit import API_BODY_LIMIT, body_limited_route
from server.calendar import holidays
from server.calendar.models import HolidayRead, HolidaySet
from server.calendar.periods import MAX_PARSED_YEAR, MIN_PARSED_YEAR
from server.deps import CurrentUser, SessionDep
from server.errors import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/v1",
    tags=["calendar"],
    responses=ERROR_RESPONSES,
    route_class=body_limited_route(API_BODY_LIMIT),
)

Year = Annotated[
    int | None, Query(ge=MIN_PARSED_YEAR, le=MAX_PARSED_YEAR, description="Default: this year (WIB)")
]


@router.get("/holidays")
async def list_holidays(session: SessionDep, user: CurrentUser, year: Year = None) -> list[HolidayRead]:
    """The non-working days of a year (libur nasional, cuti bersama), in date order. Working days are
    Monday–Friday minus these dates; lateness is counted in working days."""
    return await holidays.list_holidays(session, year=year or clock.today().year)


@router.put("/holidays/{day}")
async def set_holiday(day: date, body: HolidaySet, session: SessionDep, user: CurrentUser) -> HolidayRead:
    """Add a holiday or rename it (admin). Open milestones' lateness follows at once; a closed
    milestone's lateness was fixed when it closed."""
    return await holidays.set_holiday(session, by=user, day=day, data=body)


@router.delete("/holidays/{day}", status_code=204)
async def delete_holiday(day: date, session: SessionDep, user: CurrentUser) -> Response:
    """Remove a holiday (admin); 404 when the date is not in the calendar."""
    await holidays.delete_holiday(session, by=user, day=day)
    return Response(status_code=204)
