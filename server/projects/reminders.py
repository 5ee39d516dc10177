"""Due-date reminders, run once a day by the scheduler (server/scheduler.py): an open milestone due in
3 working days, and one past its due date, are brought to its assignees and the project lead.

Reminders go out on working days only (nobody is nagged on a Sunday, and each due date meets exactly
one working day 3 working days before it). Each is keyed per milestone, kind and day, so a job run twice
the same day, by one process or two, tells nobody twice."""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.models import User
from server.calendar.workdays import holidays_between, is_working_day, working_days_after
from server.notifications.service import notify
from server.projects.models import Milestone, MilestoneAssignee, MilestoneStatus, Project
from server.projects.notices import project_url
from server.text import N_

DUE_SOON_WORKING_DAYS = 3
# Far enough ahead to hold 3 working days whatever weekends and holidays come between.
_LOOK_AHEAD = timedelta(days=31)


async def due_date_reminders(session: AsyncSession, *, today: date) -> int:
    """Remind of the open milestones due in exactly 3 working days and of the overdue ones; returns how
    many notifications were created."""
    holidays = await holidays_between(session, today, today + _LOOK_AHEAD)
    if not is_working_day(today, holidays):
        return 0
    rows = (
        await session.execute(
            select(Milestone, Project)
            .join(Project, col(Project.id) == col(Milestone.project_id))
            .where(
                col(Milestone.status) == MilestoneStatus.open,
                col(Project.archived_at).is_(None),
                col(Milestone.due_date) <= today + _LOOK_AHEAD,
            )
            .order_by(col(Milestone.id))
        )
    ).all()
    due: list[tuple[Milestone, Project, str]] = []
    for milestone, project in rows:
        if milestone.due_date < today:
            due.append((milestone, project, "milestone_overdue"))
        elif working_days_after(today, milestone.due_date, holidays) == DUE_SOON_WORKING_DAYS:
            due.append((milestone, project, "milestone_due"))
    if not due:
        return 0
    assignees = await _assignees(session, [m.id for m, _, _ in due if m.id is not None])
    created = 0
    for milestone, project, kind in due:
        assert milestone.id is not None and project.id is not None
        message = (
            N_("Tonggak %(milestone)s di %(project)s jatuh tempo %(due)s, 3 hari kerja lagi")
            if kind == "milestone_due"
            else N_("Tonggak %(milestone)s di %(project)s melewati tenggat %(due)s")
        )
        told = await notify(
            session,
            user_ids=assignees.get(milestone.id, set()) | {project.lead_id},
            kind=kind,
            message=message,
            params={
                "milestone": milestone.title,
                "project": project.name,
                "due": milestone.due_date.isoformat(),
            },
            url=project_url(project.id),
            dedupe_key=f"{kind}:{milestone.id}:{today.isoformat()}",
        )
        created += len(told)
    return created


async def _assignees(session: AsyncSession, milestone_ids: list[int]) -> dict[int, set[int]]:
    """Each milestone's active assignees (a deactivated one is not reminded)."""
    found: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(milestone_ids), 500):
        rows = await session.execute(
            select(col(MilestoneAssignee.milestone_id), col(MilestoneAssignee.user_id))
            .join(User, col(User.id) == col(MilestoneAssignee.user_id))
            .where(
                col(MilestoneAssignee.milestone_id).in_(milestone_ids[start : start + 500]),
                col(User.is_active).is_(True),
            )
        )
        for milestone_id, user_id in rows.all():
            found[milestone_id].add(user_id)
    return found
