"""The regency's holiday calendar (libur nasional, cuti bersama), kept by the admin. Working days are
Monday–Friday minus these dates (server/calendar/workdays.py). Every change is in the history.

A holiday changes the lateness of open milestones at once; a closed milestone's lateness was fixed when
it closed and changes only through a correction."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.audit import record_change
from server.calendar.models import Holiday, HolidayRead, HolidaySet
from server.calendar.periods import MAX_PARSED_YEAR, MIN_PARSED_YEAR
from server.errors import Forbidden, Invalid, NotFound


def _require_admin(user: User) -> None:
    if user.role != Role.admin:
        raise Forbidden("Only an admin may change the holiday calendar")


def _check_day(day: date) -> None:
    if not MIN_PARSED_YEAR <= day.year <= MAX_PARSED_YEAR:
        raise Invalid(f"A holiday must fall in the years {MIN_PARSED_YEAR}-{MAX_PARSED_YEAR}")


def history_id(day: date) -> int:
    """A holiday's id in the history (whose ids are numbers): its date as YYYYMMDD."""
    return day.year * 10000 + day.month * 100 + day.day


async def list_holidays(session: AsyncSession, *, year: int) -> list[HolidayRead]:
    rows = await session.scalars(
        select(Holiday)
        .where(Holiday.date >= date(year, 1, 1), Holiday.date <= date(year, 12, 31))
        .order_by(Holiday.date)
    )
    return [HolidayRead(date=h.date, name=h.name) for h in rows.all()]


async def set_holiday(session: AsyncSession, *, by: User, day: date, data: HolidaySet) -> HolidayRead:
    """Add a holiday, or rename one."""
    _require_admin(by)
    _check_day(day)
    name = data.name.strip()
    if not name:
        raise Invalid("A holiday needs a name, e.g. Hari Raya Idulfitri")
    holiday = await session.get(Holiday, day)
    before = {"name": holiday.name} if holiday else None
    if holiday is None:
        holiday = Holiday(date=day, name=name, updated_by=by.id)
    holiday.name, holiday.updated_by = name, by.id
    session.add(holiday)
    await record_change(
        session,
        actor_id=by.id,
        entity="holiday",
        entity_id=history_id(day),
        action="updated" if before else "created",
        before=before,
        after={"date": day.isoformat(), "name": name},
    )
    await session.flush()
    return HolidayRead(date=day, name=name)


async def delete_holiday(session: AsyncSession, *, by: User, day: date) -> None:
    _require_admin(by)
    holiday = await session.get(Holiday, day)
    if holiday is None:
        raise NotFound(f"{day.isoformat()} is not in the holiday calendar")
    await record_change(
        session,
        actor_id=by.id,
        entity="holiday",
        entity_id=history_id(day),
        action="deleted",
        before={"date": day.isoformat(), "name": holiday.name},
    )
    await session.delete(holiday)
    await session.flush()
