"""Working days (DOMAIN.md §1b): Monday–Friday in WIB, minus the holiday calendar.

Lateness is counted in working days against the due date *in force* on each day: a due date applies from
the day it was set, so moving it never rewrites days that were already late.

Counting is arithmetic (whole weeks, then the holidays in the range), not a walk over the days: a unit
board counts the lateness of a thousand open milestones each time it opens."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.calendar.models import Holiday

SATURDAY = 5
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DueDateSet:
    """From `set_on` (a WIB date) on, the milestone was due on `due_date`."""

    set_on: date
    due_date: date


async def holidays_between(session: AsyncSession, first: date, last: date) -> frozenset[date]:
    rows = await session.scalars(select(Holiday.date).where(Holiday.date >= first, Holiday.date <= last))
    return frozenset(rows.all())


def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def _weekdays_through(day: date) -> int:
    """Monday–Friday dates from 1 January of year 1 (a Monday) up to and including `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def working_days_between(first: date, last: date, holidays: frozenset[date]) -> int:
    """Working days d with first <= d <= last (0 when last is before first)."""
    if last < first:
        return 0
    weekdays = _weekdays_through(last) - _weekdays_through(first) + (first.weekday() < SATURDAY)
    closed = sum(1 for day in holidays if first <= day <= last and day.weekday() < SATURDAY)
    return weekdays - closed


def working_days_after(start: date, end: date, holidays: frozenset[date]) -> int:
    """Working days d with start < d <= end (0 when end is not after start)."""
    if end <= start:
        return 0
    return working_days_between(start + ONE_DAY, end, holidays)


def late_working_days(schedule: Iterable[DueDateSet], end: date, holidays: frozenset[date]) -> int:
    """Working days up to and including `end` (the delivery date, or today for open work) that were past
    the due date in force on that day. `schedule` is every due date the milestone had; entries set on the
    same day keep their given order (the later one is in force). Before the first `set_on`, the first due
    date is in force."""
    ordered = sorted(schedule, key=lambda entry: entry.set_on)
    count = 0
    for n, entry in enumerate(ordered):
        # The days this entry was in force: from its set_on until the day before the next one was set.
        last = end if n + 1 == len(ordered) else min(end, ordered[n + 1].set_on - ONE_DAY)
        if entry.due_date >= last:
            continue
        first = entry.due_date + ONE_DAY if n == 0 else max(entry.set_on, entry.due_date + ONE_DAY)
        count += working_days_between(first, last, holidays)
    return count
