"""The lead's queue: milestones that an assignee reported at 100% and that wait for the lead to close them.

Reporting 100% does not close a milestone (API.md): the lead closes it, and that is when its quality and
timeliness are judged. Until then the work is done but counts for nobody, so the lead's home page lists
it, oldest report first. "Reported" is what closing will take as the delivery (DOMAIN.md §1b,
service.delivered_on): the first update of an assignee at 100%; the milestone must still stand at 100%
(an assignee who found more to do and lowered it has taken it back)."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import User
from server.projects.models import (
    Milestone,
    MilestoneAssignee,
    MilestoneStatus,
    ProgressUpdate,
    Project,
)


async def waiting_to_close(session: AsyncSession, *, lead: User) -> list[dict[str, Any]]:
    """Open milestones of the (not archived) projects `lead` leads, reported at 100% by an assignee, the
    oldest report first: `{milestone_id, title, due_date, project_id, project_name, reported_at,
    reported_on, reported_by, reported_by_name, days_waiting}`. One query."""
    rows = (
        await session.execute(
            select(
                col(Milestone.id),
                col(Milestone.title),
                col(Milestone.due_date),
                col(Project.id),
                col(Project.name),
                col(ProgressUpdate.created_at),
                col(ProgressUpdate.author_id),
                col(User.name),
            )
            .join(Project, col(Project.id) == Milestone.project_id)
            .join(ProgressUpdate, col(ProgressUpdate.milestone_id) == Milestone.id)
            .join(
                MilestoneAssignee,
                (col(MilestoneAssignee.milestone_id) == Milestone.id)
                & (col(MilestoneAssignee.user_id) == ProgressUpdate.author_id),
            )
            .join(User, col(User.id) == ProgressUpdate.author_id)
            .where(
                col(Project.lead_id) == lead.id,
                col(Project.archived_at).is_(None),
                col(Milestone.status) == MilestoneStatus.open,
                col(Milestone.progress_pct) == 100,
                col(ProgressUpdate.progress_pct) == 100,
            )
            .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id))
        )
    ).all()
    today = clock.today()
    first: dict[int | None, dict[str, Any]] = {}
    for milestone_id, title, due_date, project_id, project_name, at, author_id, author_name in rows:
        if milestone_id in first:
            continue
        reported_at: datetime = at
        reported_on = reported_at.astimezone(clock.JAKARTA).date()
        first[milestone_id] = {
            "milestone_id": milestone_id,
            "title": title,
            "due_date": due_date,
            "project_id": project_id,
            "project_name": project_name,
            "reported_at": reported_at,
            "reported_on": reported_on,
            "reported_by": author_id,
            "reported_by_name": author_name,
            "days_waiting": max(0, (today - reported_on).days),
        }
    # Rows come in report order and each milestone keeps its first report, so this is oldest first.
    return list(first.values())
