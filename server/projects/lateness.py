"""How late a milestone is, in working days against the due date in force (DOMAIN.md §1b).

A closed milestone's lateness is fixed when it closes (and when it is corrected); an open one's is counted
up to today each time it is read. Both come from its due-date schedule (`MilestoneDueDate`: every due date
it had and the WIB day each was set) and the holiday calendar, loaded in a fixed number of queries however
many milestones are read."""

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.calendar.workdays import DueDateSet, holidays_between, late_working_days
from server.models_base import table_of
from server.projects.models import Milestone, MilestoneDueDate, MilestoneStatus

# Before the due-date schedule existed a milestone had no rows in it; it is then judged against the due
# date it has now, as if that had always been in force.
_ALWAYS = date.min

# The schedules of the open milestones that ever had a due date before `:lateness_today`, of table columns
# so that it runs as Core; `open_schedules` adds which milestones. Every event a post sends counts its
# project's lateness, so the post's statement is built once (server/projects/reads.py).
_DUE_DATE = table_of(MilestoneDueDate).c
_MILESTONE = table_of(Milestone).c
_EVER_DUE = select(_DUE_DATE.milestone_id).where(_DUE_DATE.due_date < bindparam("lateness_today"))
_OPEN_SCHEDULES = (
    select(_DUE_DATE.milestone_id, _DUE_DATE.set_on, _DUE_DATE.due_date)
    .join(table_of(Milestone), _MILESTONE.id == _DUE_DATE.milestone_id)
    .where(_MILESTONE.status == MilestoneStatus.open, _MILESTONE.id.in_(_EVER_DUE))
    .order_by(_DUE_DATE.milestone_id, _DUE_DATE.id)
)


def open_schedules(which: ColumnElement[bool]) -> Select[Any]:
    """The statement `open_late_days` runs for the milestones matching `which` (a condition on the
    milestone table's columns)."""
    return _OPEN_SCHEDULES.where(which)


async def schedule_of(session: AsyncSession, milestone: Milestone) -> list[DueDateSet]:
    """Every due date `milestone` had, in the order they were set."""
    rows = await session.execute(
        select(MilestoneDueDate.set_on, MilestoneDueDate.due_date)
        .where(MilestoneDueDate.milestone_id == milestone.id)
        .order_by(MilestoneDueDate.id)
    )
    schedule = [DueDateSet(set_on, due_date) for set_on, due_date in rows.all()]
    return schedule or [DueDateSet(_ALWAYS, milestone.due_date)]


async def count_late(session: AsyncSession, schedule: list[DueDateSet], end: date) -> int:
    """Working days late up to and including `end` (the day the clock stopped)."""
    first = min(entry.due_date for entry in schedule)
    if first >= end:
        return 0
    return late_working_days(schedule, end, await holidays_between(session, first + timedelta(days=1), end))


def stop_day(milestone: Milestone) -> date:
    """The day a closed milestone's clock stopped: the delivery an assignee reported, when the lead
    accepted it (never after the closing date); otherwise the closing date."""
    assert milestone.closed_on is not None
    if milestone.delivered_on is not None and milestone.delivery_accepted:
        return min(milestone.delivered_on, milestone.closed_on)
    return milestone.closed_on


async def open_late_days(
    session: AsyncSession,
    open_due: dict[int, date],
    statement: Select[Any],
    today: date | None = None,
    *,
    parameters: dict[str, Any] | None = None,
) -> dict[int, int]:
    """Working days late so far (up to `today`) of the open milestones in `open_due` ({id: due date now}),
    which are among those `statement` reads (`open_schedules`; `parameters` bind its bindparams when it
    was built once with some). Two queries at most: the schedules of the milestones that ever had
    a due date before today, and the holidays since the earliest."""
    today = today or clock.today()
    late: dict[int, int] = dict.fromkeys(open_due, 0)
    if not open_due:
        return late
    rows = await session.execute(statement, {**(parameters or {}), "lateness_today": today})
    schedules: dict[int, list[DueDateSet]] = defaultdict(list)
    for milestone_id, set_on, due_date in rows.all():
        if milestone_id in open_due:
            schedules[milestone_id].append(DueDateSet(set_on, due_date))
    for milestone_id, due_date in open_due.items():
        # A schedule whose dates all lie ahead ends with the due date in force now; a milestone from
        # before the schedule existed has none.
        if milestone_id not in schedules and due_date < today:
            schedules[milestone_id] = [DueDateSet(_ALWAYS, due_date)]
    if not schedules:
        return late
    first = min(entry.due_date for schedule in schedules.values() for entry in schedule)
    holidays = await holidays_between(session, first + timedelta(days=1), today)
    for milestone_id, schedule in schedules.items():
        late[milestone_id] = late_working_days(schedule, today, holidays)
    return late
