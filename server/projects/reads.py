"""The API's read shapes for projects, milestones and updates, loaded in a fixed number of queries
however many projects are asked for (boards show hundreds)."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from server import clock
from server.accounts.models import User
from server.config import get_settings
from server.projects.health import project_health
from server.projects.models import (
    Health,
    Milestone,
    MilestoneAssignee,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ProjectMember,
)


class MilestoneRead(SQLModel):
    id: int
    project_id: int
    title: str
    due_date: date
    original_due_date: date
    weight: int
    assignee_ids: list[int]
    status: MilestoneStatus
    progress_pct: int
    closed_on: date | None
    quality: int | None
    # Final lateness of a closed milestone (API); null while it is open.
    days_late: int | None
    # How many days an open milestone is past its due date today (0 when not yet due).
    days_overdue: int


class ProjectRead(SQLModel):
    id: int
    name: str
    description: str | None
    unit_id: int
    lead_id: int
    start_date: date
    due_date: date
    status: str
    progress_pct: float
    health: Health
    member_ids: list[int]
    milestones: list[MilestoneRead]
    last_update_at: datetime | None
    stale: bool


class UpdateRead(SQLModel):
    id: int
    project_id: int
    milestone_id: int
    author_id: int
    author_name: str
    progress_pct: int
    note: str | None
    blockers: str | None
    created_at: datetime


def milestone_read(milestone: Milestone, assignee_ids: list[int], today: date) -> MilestoneRead:
    closed = milestone.status == MilestoneStatus.closed
    return MilestoneRead(
        id=milestone.id,
        project_id=milestone.project_id,
        title=milestone.title,
        due_date=milestone.due_date,
        original_due_date=milestone.original_due_date,
        weight=milestone.weight,
        assignee_ids=sorted(assignee_ids),
        status=milestone.status,
        progress_pct=milestone.progress_pct,
        closed_on=milestone.closed_on,
        quality=milestone.quality,
        days_late=max(0, (milestone.closed_on - milestone.due_date).days)
        if closed and milestone.closed_on
        else None,
        days_overdue=0 if closed else max(0, (today - milestone.due_date).days),
    )


def weighted_progress(milestones: list[MilestoneRead]) -> float:
    total = sum(m.weight for m in milestones)
    if total == 0:
        return 0.0
    return round(sum(m.weight * m.progress_pct for m in milestones) / total, 1)


async def assignees_of(session: AsyncSession, milestone_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    if milestone_ids:
        rows = await session.execute(
            select(MilestoneAssignee.milestone_id, MilestoneAssignee.user_id).where(
                MilestoneAssignee.milestone_id.in_(milestone_ids)
            )
        )
        for milestone_id, user_id in rows.all():
            found[milestone_id].append(user_id)
    return found


async def milestone_reads(session: AsyncSession, milestones: list[Milestone]) -> list[MilestoneRead]:
    assignees = await assignees_of(session, [m.id for m in milestones])
    today = clock.today()
    return [milestone_read(m, assignees[m.id], today) for m in milestones]


async def project_reads(session: AsyncSession, projects: list[Project]) -> list[ProjectRead]:
    if not projects:
        return []
    ids = [p.id for p in projects]
    milestones = (
        await session.scalars(
            select(Milestone).where(Milestone.project_id.in_(ids)).order_by(Milestone.due_date, Milestone.id)
        )
    ).all()
    by_project: dict[int, list[MilestoneRead]] = defaultdict(list)
    for read in await milestone_reads(session, list(milestones)):
        by_project[read.project_id].append(read)
    members: dict[int, list[int]] = defaultdict(list)
    for project_id, user_id in (
        await session.execute(
            select(ProjectMember.project_id, ProjectMember.user_id).where(ProjectMember.project_id.in_(ids))
        )
    ).all():
        members[project_id].append(user_id)
    last_update = dict(
        (
            await session.execute(
                select(ProgressUpdate.project_id, func.max(ProgressUpdate.created_at))
                .where(ProgressUpdate.project_id.in_(ids))
                .group_by(ProgressUpdate.project_id)
            )
        ).all()
    )
    return [project_read(p, by_project[p.id], sorted(members[p.id]), last_update.get(p.id)) for p in projects]


def project_read(
    project: Project, milestones: list[MilestoneRead], member_ids: list[int], last_update_at: datetime | None
) -> ProjectRead:
    today = clock.today()
    progress = weighted_progress(milestones)
    if last_update_at is not None and last_update_at.tzinfo is None:
        last_update_at = last_update_at.replace(tzinfo=clock.UTC)
    done = bool(milestones) and all(m.status == MilestoneStatus.closed for m in milestones)
    quiet_since = last_update_at or project.created_at
    return ProjectRead(
        id=project.id,
        name=project.name,
        description=project.description,
        unit_id=project.unit_id,
        lead_id=project.lead_id,
        start_date=project.start_date,
        due_date=project.due_date,
        status="completed" if done else "active",
        progress_pct=progress,
        health=project_health(
            start_date=project.start_date,
            due_date=project.due_date,
            progress_pct=progress,
            open_due_dates=[m.due_date for m in milestones if m.status == MilestoneStatus.open],
            today=today,
        ),
        member_ids=member_ids,
        milestones=milestones,
        last_update_at=last_update_at,
        stale=not done and clock.now() - quiet_since > timedelta(days=get_settings().stale_after_days),
    )


async def one_project_read(session: AsyncSession, project: Project) -> ProjectRead:
    return (await project_reads(session, [project]))[0]


async def update_reads(session: AsyncSession, updates: list[ProgressUpdate]) -> list[UpdateRead]:
    author_ids = {u.author_id for u in updates}
    names = (
        dict((await session.execute(select(User.id, User.name).where(User.id.in_(author_ids)))).all())
        if updates
        else {}
    )
    return [UpdateRead(**u.model_dump(), author_name=names.get(u.author_id, "")) for u in updates]
