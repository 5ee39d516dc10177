"""Open work past its due date at the end of a period (DOMAIN.md §1b).

Such a milestone is not scored in the period (only a close scores it), but the person page and the
evaluation page list it as "terbuka, lewat tenggat N hari kerja", so leaving work open hides nothing.
N counts working days against the due date in force on each day (server.calendar.workdays), up to the
end of the period, or today while the period is still running. A milestone is listed from its first
working day late: due on a Friday and still open on the Sunday that ends the month is not yet late."""

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.calendar.periods import Period, today_jakarta
from server.calendar.workdays import DueDateSet, holidays_between, late_working_days
from server.projects.models import Milestone, MilestoneAssignee, MilestoneDueDate, MilestoneStatus, Project


def _schedule(milestone: Milestone, rows: list[MilestoneDueDate], end: date) -> list[DueDateSet]:
    """The due dates the milestone had by `end`, in the order they were set. A milestone without
    recorded due dates (none should exist) was due on its due date from the day it was created."""
    if not rows:
        created_on = milestone.created_at.astimezone(clock.JAKARTA).date()
        return [DueDateSet(created_on, milestone.due_date)] if created_on <= end else []
    return [DueDateSet(row.set_on, row.due_date) for row in rows if row.set_on <= end]


async def open_overdue(
    session: AsyncSession, user_ids: list[int], period: Period
) -> dict[int, list[dict[str, Any]]]:
    """Each person's open milestones that were past due at the end of `period` (or today, while it
    runs), most days late first; every asked id has a list. Three queries, whatever the number of people."""
    found: dict[int, list[dict[str, Any]]] = {user_id: [] for user_id in user_ids}
    today = today_jakarta()
    if not user_ids or period.first_day > today:
        return found
    end = min(period.last_day, today)
    once_due_before_end = select(MilestoneDueDate.milestone_id).where(
        MilestoneDueDate.due_date < end, MilestoneDueDate.set_on <= end
    )
    rows = (
        await session.execute(
            select(MilestoneAssignee.user_id, Milestone, Project.name)
            .join(Milestone, Milestone.id == MilestoneAssignee.milestone_id)
            .join(Project, Project.id == Milestone.project_id)
            .where(
                MilestoneAssignee.user_id.in_(user_ids),
                Milestone.status == MilestoneStatus.open,
                or_(Milestone.due_date < end, Milestone.id.in_(once_due_before_end)),
            )
            .order_by(Milestone.id)
        )
    ).all()
    if not rows:
        return found
    due_rows: dict[int, list[MilestoneDueDate]] = defaultdict(list)
    for due in await session.scalars(
        select(MilestoneDueDate)
        .where(MilestoneDueDate.milestone_id.in_({m.id for _, m, _ in rows}))
        .order_by(MilestoneDueDate.set_on, MilestoneDueDate.id)
    ):
        due_rows[due.milestone_id].append(due)
    schedules = {m.id: _schedule(m, due_rows[m.id], end) for _, m, _ in rows}  # type: ignore[index]
    earliest = min((entry.due_date for s in schedules.values() for entry in s), default=end)
    holidays = await holidays_between(session, earliest, end)
    for user_id, milestone, project_name in rows:
        schedule = schedules[milestone.id]
        if not schedule or schedule[-1].due_date >= end:  # not past the due date in force at the end
            continue
        days = late_working_days(schedule, end, holidays)
        if days > 0:
            found[user_id].append(
                {
                    "milestone_id": milestone.id,
                    "title": milestone.title,
                    "project_id": milestone.project_id,
                    "project_name": project_name,
                    "due_date": schedule[-1].due_date,
                    "late_working_days": days,
                }
            )
    for items in found.values():
        items.sort(key=lambda item: (-item["late_working_days"], item["milestone_id"]))
    return found
