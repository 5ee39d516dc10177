"""Project work: create projects, manage members, plan and close milestones, post progress.

Every function takes the session, never commits (the caller's transaction does), and records the
board event of its change in that same transaction."""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Role, User
from server.accounts.service import subtree_in, unit_ancestors, unit_parents
from server.audit import HistoryEntry, record_change
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.projects.access import (
    leads_unit,
    require_lead,
    require_manager,
    require_poster,
    visible_project,
    visible_projects_clause,
)
from server.projects.models import (
    MemberAdd,
    Milestone,
    MilestoneAssignee,
    MilestoneClose,
    MilestoneCreate,
    MilestoneReschedule,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ProjectCreate,
    ProjectMember,
    UpdateCreate,
)
from server.projects.reads import (
    MilestoneRead,
    ProjectRead,
    UpdateRead,
    milestone_reads,
    one_project_read,
    project_jsons,
    project_reads,
    update_reads,
)
from server.realtime.events import project_board, record_event, unit_board

MilestoneClosedListener = Callable[[AsyncSession, Milestone, list[int]], Awaitable[None]]
# The performance domain registers here to recompute indicators when a milestone closes.
milestone_closed_listeners: list[MilestoneClosedListener] = []


async def boards_of(session: AsyncSession, project: Project) -> list[str]:
    """The project's own board and the board of its unit and of every unit above it."""
    return [project_board(project.id)] + [
        unit_board(u) for u in await unit_ancestors(session, project.unit_id)
    ]


async def _emit(session: AsyncSession, project: Project, type: str, data: dict[str, Any]) -> None:
    await record_event(session, boards=await boards_of(session, project), type=type, data=data)


def _jsonable(read: Any) -> dict[str, Any]:
    return read.model_dump(mode="json")


async def _history(
    session: AsyncSession,
    milestone: Milestone,
    *,
    actor: User | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    await record_change(
        session,
        actor_id=actor.id if actor else None,
        entity="milestone",
        entity_id=milestone.id,
        action=action,
        before=before,
        after=after,
        reason=reason,
        project_id=milestone.project_id,
    )


async def _user_ids_exist(session: AsyncSession, user_ids: list[int]) -> None:
    found = (
        set((await session.scalars(select(User.id).where(User.id.in_(user_ids)))).all())
        if user_ids
        else set()
    )
    missing = sorted(set(user_ids) - found)
    if missing:
        raise Invalid(f"Unknown user id(s): {', '.join(map(str, missing))}")


async def create_project(session: AsyncSession, *, by: User, data: ProjectCreate) -> ProjectRead:
    parents = await unit_parents(session)
    if data.unit_id not in parents:
        raise Invalid(f"Unit {data.unit_id} does not exist")
    if by.role != Role.admin and not leads_unit(by, data.unit_id, parents):
        raise Forbidden("Only an admin or a leader of the unit may create its projects")
    if data.due_date < data.start_date:
        raise Invalid("due_date must not be before start_date")
    lead = await session.get(User, data.lead_id)
    if lead is None or not lead.is_active:
        raise Invalid(f"Lead {data.lead_id} is not an active user")
    project = Project.model_validate(data)
    session.add(project)
    await session.flush()
    read = await one_project_read(session, project)
    await _emit(session, project, "project.created", {"project": _jsonable(read)})
    return read


async def add_member(session: AsyncSession, *, by: User, project_id: int, data: MemberAdd) -> ProjectRead:
    project = await visible_project(session, by, project_id)
    await require_manager(session, by, project)
    member = await session.get(User, data.user_id)
    if member is None or not member.is_active:
        raise Invalid(f"User {data.user_id} is not an active user")
    if await session.get(ProjectMember, (project.id, member.id)) is not None:
        raise Conflict("This user is already a member of the project")
    session.add(ProjectMember(project_id=project.id, user_id=member.id))
    await session.flush()
    await _emit(session, project, "member.added", {"project_id": project.id, "user_id": member.id})
    return await one_project_read(session, project)


async def remove_member(session: AsyncSession, *, by: User, project_id: int, user_id: int) -> None:
    project = await visible_project(session, by, project_id)
    await require_manager(session, by, project)
    if await session.get(ProjectMember, (project.id, user_id)) is None:
        raise NotFound("This user is not a member of the project")
    await session.execute(
        delete(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user_id)
    )
    await session.flush()
    read = await one_project_read(session, project)
    await _emit(session, project, "project.updated", {"project": _jsonable(read)})


async def _milestone_with_project(
    session: AsyncSession, by: User, milestone_id: int
) -> tuple[Milestone, Project]:
    milestone = await session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound("Milestone not found")
    try:
        project = await visible_project(session, by, milestone.project_id)
    except NotFound:
        raise NotFound("Milestone not found") from None
    return milestone, project


async def _milestone_event(
    session: AsyncSession, project: Project, milestone: Milestone, type: str
) -> MilestoneRead:
    await session.flush()
    read = (await milestone_reads(session, [milestone]))[0]
    project_read = await one_project_read(session, project)
    await _emit(session, project, type, {"milestone": _jsonable(read), "project": _jsonable(project_read)})
    return read


async def create_milestone(
    session: AsyncSession, *, by: User, project_id: int, data: MilestoneCreate
) -> MilestoneRead:
    project = await visible_project(session, by, project_id)
    require_lead(by, project, "plan milestones")
    assignee_ids = sorted(set(data.assignee_ids))
    await _user_ids_exist(session, assignee_ids)
    milestone = Milestone(
        project_id=project.id,
        title=data.title,
        weight=data.weight,
        due_date=data.due_date,
        original_due_date=data.due_date,
    )
    session.add(milestone)
    await session.flush()
    for user_id in assignee_ids:
        session.add(MilestoneAssignee(milestone_id=milestone.id, user_id=user_id))
    await _history(
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
    return await _milestone_event(session, project, milestone, "milestone.created")


async def reschedule_milestone(
    session: AsyncSession, *, by: User, milestone_id: int, data: MilestoneReschedule
) -> MilestoneRead:
    milestone, project = await _milestone_with_project(session, by, milestone_id)
    require_lead(by, project, "reschedule milestones")
    reason = (data.reason or "").strip()
    if not reason:
        raise Invalid("Moving a due date needs a reason")
    if milestone.status == MilestoneStatus.closed:
        raise Conflict("A closed milestone cannot be rescheduled")
    if data.due_date == milestone.due_date:
        raise Invalid("The new due date is the same as the current one")
    today = clock.today()
    old_due = milestone.due_date
    # Lateness already accrued against the old date stays on the record.
    milestone.accrued_late_days += max(0, (today - old_due).days)
    milestone.due_date = data.due_date
    milestone.due_date_set_at = clock.now()
    session.add(milestone)
    await _history(
        session,
        milestone,
        actor=by,
        action="rescheduled",
        before={"due_date": old_due.isoformat()},
        after={"due_date": data.due_date.isoformat(), "accrued_late_days": milestone.accrued_late_days},
        reason=reason,
    )
    return await _milestone_event(session, project, milestone, "milestone.rescheduled")


async def close_milestone(
    session: AsyncSession, *, by: User, milestone_id: int, data: MilestoneClose
) -> MilestoneRead:
    milestone, project = await _milestone_with_project(session, by, milestone_id)
    require_lead(by, project, "close milestones")
    if milestone.status == MilestoneStatus.closed:
        raise Conflict("This milestone is already closed")
    today = clock.today()
    closed_on: date = data.closed_on or today
    if closed_on > today:
        raise Invalid(
            f"closed_on {closed_on.isoformat()} is in the future (today is {today.isoformat()} WIB)"
        )
    before = {"status": milestone.status.value, "progress_pct": milestone.progress_pct}
    milestone.status = MilestoneStatus.closed
    milestone.progress_pct = 100
    milestone.closed_on = closed_on
    milestone.closed_at = clock.now()
    milestone.closed_by = by.id
    milestone.quality = data.quality
    milestone.close_note = data.note
    session.add(milestone)
    await _history(
        session,
        milestone,
        actor=by,
        action="closed",
        before=before,
        after={
            "status": "closed",
            "closed_on": closed_on.isoformat(),
            "quality": data.quality,
            "days_late": max(0, (closed_on - milestone.due_date).days),
        },
        reason=data.note,
    )
    read = await _milestone_event(session, project, milestone, "milestone.closed")
    for listener in milestone_closed_listeners:
        await listener(session, milestone, read.assignee_ids)
    return read


async def post_update(session: AsyncSession, *, by: User, project_id: int, data: UpdateCreate) -> UpdateRead:
    project = await visible_project(session, by, project_id)
    await require_poster(session, by, project)
    if data.milestone_id is None:
        raise Invalid("milestone_id is required: say which milestone this update is about")
    milestone = await session.get(Milestone, data.milestone_id)
    if milestone is None or milestone.project_id != project.id:
        raise Invalid(f"Milestone {data.milestone_id} is not a milestone of this project")
    if milestone.status == MilestoneStatus.closed:
        raise Conflict("This milestone is closed; updates are no longer accepted")
    note = (data.note or "").strip() or None
    if data.progress_pct < milestone.progress_pct and note is None:
        raise Invalid(
            f"Progress goes down from {milestone.progress_pct}% to {data.progress_pct}%: add a note explaining why"
        )
    update = ProgressUpdate(
        project_id=project.id,
        milestone_id=milestone.id,
        author_id=by.id,
        progress_pct=data.progress_pct,
        note=note,
        blockers=(data.blockers or "").strip() or None,
    )
    milestone.progress_pct = data.progress_pct
    session.add(update)
    session.add(milestone)
    await session.flush()
    update_read = UpdateRead(**update.model_dump(), author_name=by.name)
    # The event's objects as JSON straight from the rows: every post pays for them before it is seen.
    (project_json,) = await project_jsons(session, [project], [project.id])
    milestone_json = next(m for m in project_json["milestones"] if m["id"] == milestone.id)
    await _emit(
        session,
        project,
        "progress.posted",
        {"update": _jsonable(update_read), "milestone": milestone_json, "project": project_json},
    )
    return update_read


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


async def list_projects(session: AsyncSession, *, by: User) -> list[ProjectRead]:
    parents = await unit_parents(session)
    projects = (
        await session.scalars(
            select(Project).where(visible_projects_clause(by, parents)).order_by(Project.id)
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
