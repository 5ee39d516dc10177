"""Project work: create projects, manage members, plan and close milestones, post progress.

Every function takes the session, never commits (the caller's transaction does), and records the
board event of its change in that same transaction."""

from datetime import date

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Role, User
from server.accounts.service import subtree_in, unit_parents
from server.audit import HistoryEntry, record_change
from server.calendar.locks import require_days_unlocked
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.evidence.service import attach
from server.projects.access import (
    leads_unit,
    require_lead,
    require_manager,
    require_not_archived,
    visible_project,
    visible_projects_clause,
)
from server.projects.changes import (
    emit,
    jsonable,
    milestone_closed_listeners,
    milestone_event,
    notify_closed,
    record_milestone_change,
    visible_milestone,
)
from server.projects.lateness import count_late, schedule_of, stop_day
from server.projects.models import (
    MemberAdd,
    Milestone,
    MilestoneAssignee,
    MilestoneClose,
    MilestoneCreate,
    MilestoneDueDate,
    MilestoneReschedule,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ProjectCreate,
    ProjectMember,
)
from server.projects.posting import post_update
from server.projects.reads import (
    MilestoneRead,
    ProjectRead,
    UpdateRead,
    assignees_of,
    one_project_read,
    project_reads,
    update_reads,
)
from server.projects.rules import (
    REASON_MIN_CHARS,
    check_closed_on,
    check_date_in_range,
    check_due_date,
    require_quality_note,
    require_reason,
)
from server.realtime.events import access_changed

__all__ = ["milestone_closed_listeners", "post_update"]  # listeners connected in server/reactions.py


async def create_project(session: AsyncSession, *, by: User, data: ProjectCreate) -> ProjectRead:
    parents = await unit_parents(session)
    if data.unit_id not in parents:
        raise Invalid(f"Unit {data.unit_id} does not exist")
    if by.role != Role.admin and not leads_unit(by, data.unit_id, parents):
        raise Forbidden("Only an admin or a leader of the unit may create its projects")
    check_date_in_range(data.start_date, "start_date")
    check_date_in_range(data.due_date, "due_date")
    if data.due_date < data.start_date:
        raise Invalid("due_date must not be before start_date")
    lead = await session.get(User, data.lead_id)
    if lead is None or not lead.is_active:
        raise Invalid(f"Lead {data.lead_id} is not an active user")
    project = Project.model_validate(data)
    session.add(project)
    await session.flush()
    read = await one_project_read(session, project)
    await emit(session, project, "project.created", {"project": jsonable(read)})
    return read


async def add_member(session: AsyncSession, *, by: User, project_id: int, data: MemberAdd) -> ProjectRead:
    project = await visible_project(session, by, project_id)
    await require_manager(session, by, project)
    require_not_archived(project)
    member = await session.get(User, data.user_id)
    if member is None or not member.is_active:
        raise Invalid(f"User {data.user_id} is not an active user")
    if await session.get(ProjectMember, (project.id, member.id)) is not None:
        raise Conflict("This user is already a member of the project")
    session.add(ProjectMember(project_id=project.id, user_id=member.id))
    await session.flush()
    await emit(session, project, "member.added", {"project_id": project.id, "user_id": member.id})
    return await one_project_read(session, project)


async def remove_member(session: AsyncSession, *, by: User, project_id: int, user_id: int) -> None:
    project = await visible_project(session, by, project_id)
    await require_manager(session, by, project)
    require_not_archived(project)
    if await session.get(ProjectMember, (project.id, user_id)) is None:
        raise NotFound("This user is not a member of the project")
    if user_id == project.lead_id:
        raise Conflict("The project lead cannot be removed from the project")
    # Their open work would be left with an assignee who can no longer post: it is reassigned first.
    open_work = await session.scalar(
        select(Milestone.title)
        .join(MilestoneAssignee, MilestoneAssignee.milestone_id == Milestone.id)
        .where(
            Milestone.project_id == project.id,
            Milestone.status == MilestoneStatus.open,
            MilestoneAssignee.user_id == user_id,
        )
        .order_by(Milestone.due_date, Milestone.id)
        .limit(1)
    )
    if open_work is not None:
        raise Conflict(
            f"This member is an assignee of the open milestone {open_work!r}: "
            "reassign it (edit the milestone's assignees) before removing them"
        )
    await record_change(
        session,
        actor_id=by.id,
        entity="project",
        entity_id=project.id,
        action="member_removed",
        before={"user_id": user_id},
        project_id=project.id,
        subject_user_id=user_id,
    )
    await session.execute(
        delete(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user_id)
    )
    await session.flush()
    access_changed(session, user_ids=[user_id])  # their open board of this project closes
    read = await one_project_read(session, project)
    await emit(session, project, "project.updated", {"project": jsonable(read)})


async def _require_assignable(session: AsyncSession, project: Project, user_ids: list[int]) -> None:
    """Assignees are active members of the project, or its lead: nobody else's indicators can be touched."""
    if not user_ids:
        return
    members = select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)
    found = set(
        (
            await session.scalars(
                select(User.id).where(
                    User.id.in_(user_ids),
                    User.is_active,
                    or_(User.id == project.lead_id, User.id.in_(members)),
                )
            )
        ).all()
    )
    refused = [user_id for user_id in user_ids if user_id not in found]
    if refused:
        raise Invalid(
            "Assignees must be active members of this project or its lead; these are not: "
            f"user id(s) {', '.join(map(str, refused))}"
        )


async def create_milestone(
    session: AsyncSession, *, by: User, project_id: int, data: MilestoneCreate
) -> MilestoneRead:
    project = await visible_project(session, by, project_id)
    require_lead(by, project, "plan milestones")
    require_not_archived(project)
    check_due_date(data.due_date, project)
    assignee_ids = sorted(set(data.assignee_ids))
    await _require_assignable(session, project, assignee_ids)
    milestone = Milestone(
        project_id=project.id,
        title=data.title,
        weight=data.weight,
        due_date=data.due_date,
        original_due_date=data.due_date,
    )
    session.add(milestone)
    await session.flush()
    session.add(
        MilestoneDueDate(
            milestone_id=milestone.id, due_date=data.due_date, set_on=clock.today(), set_by=by.id
        )
    )
    for user_id in assignee_ids:
        session.add(MilestoneAssignee(milestone_id=milestone.id, user_id=user_id))
    await record_milestone_change(
        session,
        milestone,
        actor=by,
        action="created",
        after={
            "title": data.title,
            "due_date": data.due_date.isoformat(),
            "weight": data.weight,
            "assignee_ids": assignee_ids,
        },
    )
    return await milestone_event(session, project, milestone, "milestone.created")


async def reschedule_milestone(
    session: AsyncSession, *, by: User, milestone_id: int, data: MilestoneReschedule
) -> MilestoneRead:
    """A new due date in force from today on: the days already late stay late (DOMAIN.md §1b)."""
    milestone, project = await visible_milestone(session, by, milestone_id)
    require_lead(by, project, "reschedule milestones")
    require_not_archived(project)
    if milestone.status == MilestoneStatus.closed:
        raise Conflict("A closed milestone cannot be rescheduled; correct it instead")
    reason = require_reason(
        data.reason,
        f"Moving a due date needs a reason of at least {REASON_MIN_CHARS} characters, kept in the history",
    )
    check_due_date(data.due_date, project)
    if data.due_date == milestone.due_date:
        raise Invalid("The new due date is the same as the current one")
    old_due = milestone.due_date
    milestone.due_date = data.due_date
    session.add(milestone)
    session.add(
        MilestoneDueDate(
            milestone_id=milestone.id, due_date=data.due_date, set_on=clock.today(), set_by=by.id
        )
    )
    await record_milestone_change(
        session,
        milestone,
        actor=by,
        action="rescheduled",
        before={"due_date": old_due.isoformat()},
        after={"due_date": data.due_date.isoformat()},
        reason=reason,
    )
    return await milestone_event(session, project, milestone, "milestone.rescheduled")


async def delivered_on(session: AsyncSession, milestone_id: int, assignee_ids: list[int]) -> date | None:
    """The WIB date of the first progress update in which an assignee reported the milestone at 100%."""
    if not assignee_ids:
        return None
    first = await session.scalar(
        select(ProgressUpdate.created_at)
        .where(
            ProgressUpdate.milestone_id == milestone_id,
            ProgressUpdate.progress_pct == 100,
            ProgressUpdate.author_id.in_(assignee_ids),
        )
        .order_by(ProgressUpdate.created_at, ProgressUpdate.id)
        .limit(1)
    )
    return first.astimezone(clock.JAKARTA).date() if first is not None else None


async def close_milestone(
    session: AsyncSession, *, by: User, milestone_id: int, data: MilestoneClose
) -> MilestoneRead:
    """The lead closes a milestone: its lateness is fixed (working days against the due date in force,
    up to the accepted delivery) and its quality scored, by the lead, or, when the lead is among the
    assignees, later by the lead's rater (`quality_status` "pending" until then)."""
    milestone, project = await visible_milestone(session, by, milestone_id)
    require_lead(by, project, "close milestones")
    require_not_archived(project)
    if milestone.status == MilestoneStatus.closed:
        raise Conflict("This milestone is already closed")
    closed_on: date = data.closed_on or clock.today()
    check_closed_on(closed_on, milestone)
    note = require_quality_note(data.quality, data.note)
    delivery_reason = (data.delivery_reason or "").strip() or None
    if not data.delivery_accepted and delivery_reason is None:
        raise Invalid("Not accepting the reported delivery needs a delivery_reason saying why")
    await require_days_unlocked(session, closed_on)
    assignee_ids = (await assignees_of(session, [milestone.id]))[milestone.id]
    pending = project.lead_id in assignee_ids
    before = {"status": milestone.status.value, "progress_pct": milestone.progress_pct}
    milestone.status = MilestoneStatus.closed
    milestone.progress_pct = 100
    milestone.closed_on = closed_on
    milestone.closed_at = clock.now()
    milestone.closed_by = by.id
    milestone.close_note = note
    milestone.delivered_on = await delivered_on(session, milestone.id, assignee_ids)
    milestone.delivery_accepted = data.delivery_accepted
    milestone.delivery_reason = None if data.delivery_accepted else delivery_reason
    milestone.late_working_days = await count_late(
        session, await schedule_of(session, milestone), stop_day(milestone)
    )
    # The lead's own work is not scored by the lead: it waits for the lead's rater and counts for nobody.
    milestone.quality = None if pending else data.quality
    milestone.quality_status = "pending" if pending else "scored"
    milestone.quality_by = None if pending else by.id
    milestone.quality_note = None if pending else note
    session.add(milestone)
    after = {
        "status": "closed",
        "closed_on": closed_on.isoformat(),
        "quality": milestone.quality,
        "quality_status": milestone.quality_status,
        "days_late": max(0, (closed_on - milestone.due_date).days),
        "late_working_days": milestone.late_working_days,
        "delivered_on": milestone.delivered_on.isoformat() if milestone.delivered_on else None,
        "delivery_accepted": milestone.delivery_accepted,
    }
    if pending:
        after["quality_proposed"] = data.quality
    if milestone.delivery_reason:
        after["delivery_reason"] = milestone.delivery_reason
    await record_milestone_change(
        session, milestone, actor=by, action="closed", before=before, after=after, reason=note
    )
    if data.evidence_ids:
        await attach(
            session,
            by=by,
            evidence_ids=data.evidence_ids,
            project_id=project.id,
            close_milestone_id=milestone.id,
        )
    read = await milestone_event(session, project, milestone, "milestone.closed")
    await notify_closed(session, milestone, read.assignee_ids)
    return read


async def list_updates(
    session: AsyncSession, *, by: User, project_id: int, limit: int, before: int | None
) -> list[UpdateRead]:
    project = await visible_project(session, by, project_id)
    query = select(ProgressUpdate).where(ProgressUpdate.project_id == project.id)
    if before is not None:
        query = query.where(ProgressUpdate.id < before)
    updates = (await session.scalars(query.order_by(ProgressUpdate.id.desc()).limit(limit))).all()
    return await update_reads(session, list(updates))


async def list_history(session: AsyncSession, *, by: User, project_id: int) -> list[HistoryEntry]:
    project = await visible_project(session, by, project_id)
    rows = await session.scalars(
        select(HistoryEntry).where(HistoryEntry.project_id == project.id).order_by(HistoryEntry.id)
    )
    return list(rows.all())


async def list_projects(session: AsyncSession, *, by: User, archived: bool = False) -> list[ProjectRead]:
    """The projects `by` may see: those in work, or (`archived`) those archived."""
    parents = await unit_parents(session)
    shelved = Project.archived_at.is_not(None) if archived else Project.archived_at.is_(None)
    projects = (
        await session.scalars(
            select(Project).where(visible_projects_clause(by, parents), shelved).order_by(Project.id)
        )
    ).all()
    return await project_reads(session, list(projects))


async def member_candidates(session: AsyncSession, *, project: Project) -> list[User]:
    """Who the lead can add: active people of the project's unit and its sub-units, not yet in it."""
    members = select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)
    rows = await session.scalars(
        select(User)
        .where(
            User.unit_id.in_(subtree_in(await unit_parents(session), project.unit_id)),
            User.is_active,
            User.role != Role.admin,
            User.id != project.lead_id,
            User.id.not_in(members),
        )
        .order_by(User.name)
    )
    return list(rows.all())
