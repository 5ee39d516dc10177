"""Period locks: after the admin locks a period, nothing counts into it any more (409 `period locked`).

Ratings check their own period (`require_unlocked`); a change to a source dated on a day (a close, a
correction, an answer) checks the month, quarter and year that day counts in (`require_days_unlocked`).
The admin locks a period once it has ended and its evaluation is done, and may unlock it with a reason;
both are kept in the history (entity "period")."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.audit import record_change
from server.calendar.models import PeriodLock
from server.calendar.periods import Period, today_jakarta
from server.db import transaction_lock
from server.errors import Conflict, Invalid


class PeriodLocked(Conflict):
    def __init__(self, period: str) -> None:
        super().__init__(f"period locked: {period} is locked; ask an admin to unlock it first")
        self.period = period


def periods_containing(day: date) -> list[Period]:
    """The month, quarter and year a day counts in."""
    quarter = (day.month - 1) // 3 + 1
    return [
        Period("month", day.year, day.month),
        Period("quarter", day.year, quarter),
        Period("year", day.year, 1),
    ]


async def locked_periods(session: AsyncSession, periods: list[str]) -> list[str]:
    rows = await session.scalars(
        select(PeriodLock.period).where(PeriodLock.period.in_(periods), PeriodLock.locked.is_(True))
    )
    return sorted(rows.all())


async def require_unlocked(session: AsyncSession, period: Period) -> None:
    """A rating of `period`: refused when that period is locked."""
    if await locked_periods(session, [str(period)]):
        raise PeriodLocked(str(period))


async def require_days_unlocked(session: AsyncSession, *days: date | None) -> None:
    """A source change dated on these days (a close, a correction, an answer): refused when the month,
    quarter or year any of them counts in is locked."""
    names = sorted({str(p) for day in days if day is not None for p in periods_containing(day)})
    locked = await locked_periods(session, names) if names else []
    if locked:
        raise PeriodLocked(locked[0])


# --- the admin's locks ----------------------------------------------------------------------------------

UNLOCK_REASON_MIN = 10


def periods_of_year(year: int) -> list[Period]:
    """The 12 months, 4 quarters and the year itself: every period that can be locked in a year."""
    return [
        *(Period("month", year, m) for m in range(1, 13)),
        *(Period("quarter", year, q) for q in range(1, 5)),
        Period("year", year, 1),
    ]


def history_id(period: Period) -> int:
    """The period as the history table's integer entity id: 202611 (a month), 202624 (Q4: 20 + the
    quarter) and 202600 (the year); the `period` column holds its name."""
    number = {"month": period.number, "quarter": 20 + period.number, "year": 0}[period.kind]
    return period.year * 100 + number


def _state(period: Period, row: PeriodLock | None) -> dict[str, Any]:
    locked = row is not None and row.locked
    return {
        "period": str(period),
        "locked": locked,
        "locked_at": row.locked_at if locked and row is not None else None,
        "locked_by": row.locked_by if locked and row is not None else None,
        "ended": period.last_day < today_jakarta(),
    }


async def period_states(session: AsyncSession, *, year: int) -> list[dict[str, Any]]:
    """Whether each period of the year is locked, months first, then quarters, then the year."""
    periods = periods_of_year(year)
    rows = await session.scalars(select(PeriodLock).where(PeriodLock.period.in_([str(p) for p in periods])))
    by_name = {row.period: row for row in rows.all()}
    return [_state(period, by_name.get(str(period))) for period in periods]


async def _row_for_update(session: AsyncSession, period: Period) -> PeriodLock:
    """The period's lock row (a new, unlocked one when there is none yet). Two admins locking or
    unlocking the same period at once are served one after the other."""
    await transaction_lock(session, f"period-lock:{period}")
    row = await session.get(PeriodLock, str(period), populate_existing=True)
    return row or PeriodLock(period=str(period), locked=False)


async def lock_period(session: AsyncSession, *, by_id: int, period: Period) -> dict[str, Any]:
    """Lock a period whose evaluation is done. Only a period that has ended can be locked: a running
    period still receives survey answers, closes and ratings that belong in it. Locking a locked
    period changes nothing."""
    if period.last_day >= today_jakarta():
        raise Invalid(
            f"Period {period} has not ended yet (it ends on {period.last_day.isoformat()}); only a period "
            "that has ended can be locked"
        )
    row = await _row_for_update(session, period)
    if row.locked:
        return _state(period, row)
    row.locked, row.locked_at, row.locked_by = True, clock.now(), by_id
    session.add(row)
    await record_change(
        session,
        actor_id=by_id,
        entity="period",
        entity_id=history_id(period),
        action="locked",
        before={"locked": False},
        after={"locked": True},
        period=str(period),
    )
    await session.flush()
    return _state(period, row)


async def unlock_period(session: AsyncSession, *, by_id: int, period: Period, reason: str) -> dict[str, Any]:
    """Unlock a period, with a reason of at least 10 characters kept in the history. Unlocking a period
    that is not locked changes nothing."""
    reason = reason.strip()
    if len(reason) < UNLOCK_REASON_MIN:
        raise Invalid(
            f"Unlocking a period needs a reason of at least {UNLOCK_REASON_MIN} characters; it is kept in "
            "the history"
        )
    row = await _row_for_update(session, period)
    if not row.locked:
        return _state(period, None)
    before = {"locked": True, "locked_at": row.locked_at.isoformat() if row.locked_at else None}
    row.locked, row.locked_at, row.locked_by = False, None, None
    session.add(row)
    await record_change(
        session,
        actor_id=by_id,
        entity="period",
        entity_id=history_id(period),
        action="unlocked",
        before=before,
        after={"locked": False},
        reason=reason,
        period=str(period),
    )
    await session.flush()
    return _state(period, row)
