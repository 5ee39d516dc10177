"""Changing a project after it was created: its name, description and dates, archiving it (and back),
and an open milestone's title, weight and assignees. Members are added and removed in service.py.

Who may: the project's lead, a leader of its unit, or an admin manage the project itself; only the lead
edits milestones, as only the lead plans them. An archived project is read-only until it is unarchived.
Every change is kept in the history (who, when, before, after) and sent to the boards, in the caller's
transaction; nothing here commits."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import Role, Unit, User
from server.accounts.service import subtree_in, unit_parents
from server.audit import record_change
from server.errors import Conflict, Invalid
from server.projects.access import (
    leads_unit,
    require_lead,
    require_manager,
    require_not_archived,
    visible_project,
)
from server.projects.changes import (
    emit,
    jsonable,
    milestone_event,
    record_milestone_change,
    visible_milestone,
)
from server.projects.models import (
    Milestone,
    MilestoneAssignee,
    MilestoneEdit,
    MilestonePatch,
    MilestoneReschedule,
    MilestoneStatus,
    Project,
    ProjectUpdate,
)
from server.projects.reads import MilestoneRead, ProjectRead, assignees_of, milestone_reads, one_project_read
from server.projects.rules import check_date_in_range
from server.projects.service import _require_assignable, reschedule_milestone


async def _project_change(
    session: AsyncSession,
    project: Project,
    *,
    by: User,
    action: str,
    event: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> ProjectRead:
    """The history entry and the board event of a change to the project itself."""
    session.add(project)
    await record_change(
        session,
        actor_id=by.id,
        entity="project",
        entity_id=project.id or 0,
        action=action,
        before=before,
        after=after,
        project_id=project.id,
    )
    await session.flush()
    read = await one_project_read(session, project)
    await emit(session, project, event, {"project": jsonable(read)})
    return read


async def edit_project(
    session: AsyncSession, *, by: User, project_id: int, data: ProjectUpdate
) -> ProjectRead:
    """Change the fields given. A start after a milestone's due date is refused: every due date a lead
    sets lies on or after the start (rules.check_due_date), and moving the start must not break that."""
    project = await visible_project(session, by, project_id)
    await require_manager(session, by, project)
    require_not_archived(project)
    given = data.model_fields_set
    wanted: dict[str, Any] = {
        "name": data.name if "name" in given and data.name is not None else project.name,
        "description": (data.description or None) if "description" in given else project.description,
        "start_date": data.start_date or project.start_date,
        "due_date": data.due_date or project.due_date,
    }
    check_date_in_range(wanted["start_date"], "start_date")
    check_date_in_range(wanted["due_date"], "due_date")
    if wanted["due_date"] < wanted["start_date"]:
        raise Invalid("due_date must not be before start_date")
    if wanted["start_date"] > project.start_date:
        first = (
            await session.execute(
                select(col(Milestone.title), col(Milestone.due_date))
                .where(col(Milestone.project_id) == project.id)
                .order_by(col(Milestone.due_date), col(Milestone.id))
                .limit(1)
            )
        ).first()
        if first is not None and first.due_date < wanted["start_date"]:
            raise Invalid(
                f"start_date {wanted['start_date'].isoformat()} is after the due date of the milestone "
                f"{first.title!r} ({first.due_date.isoformat()}): choose a start on or before it"
            )
    before = {key: getattr(project, key) for key, value in wanted.items() if getattr(project, key) != value}
    if not before:
        return await one_project_read(session, project)
    for key in before:
        setattr(project, key, wanted[key])
    return await _project_change(
        session,
        project,
        by=by,
        action="edited",
        event="project.updated",
        before={key: _json(value) for key, value in before.items()},
        after={key: _json(wanted[key]) for key in before},
    )


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def archive_project(session: AsyncSession, *, by: User, project_id: int) -> ProjectRead:
    """Off the boards and the lists of work, read-only; its record stays for the evaluations."""
    project = await visible_project(session, by, project_id)
    await require_manager(session, by, project)
    if project.archived_at is not None:
        raise Conflict("This project is already archived")
    project.archived_at = clock.now()
    project.archived_by = by.id
    return await _project_change(
        session,
        project,
        by=by,
        action="archived",
        event="project.archived",
        after={"archived_at": project.archived_at.isoformat()},
    )


async def unarchive_project(session: AsyncSession, *, by: User, project_id: int) -> ProjectRead:
    project = await visible_project(session, by, project_id)
    await require_manager(session, by, project)
    if project.archived_at is None:
        raise Conflict("This project is not archived")
    before = {"archived_at": project.archived_at.isoformat()}
    project.archived_at = None
    project.archived_by = None
    return await _project_change(
        session, project, by=by, action="unarchived", event="project.unarchived", before=before
    )


async def edit_milestone(
    session: AsyncSession, *, by: User, milestone_id: int, data: MilestoneEdit
) -> MilestoneRead:
    """The lead changes an open milestone's title, weight or assignees. A closed one is corrected
    instead (corrections.py), so that what counted in an evaluation changes only with a reason."""
    milestone, project = await visible_milestone(session, by, milestone_id)
    require_lead(by, project, "edit milestones")
    require_not_archived(project)
    if milestone.status == MilestoneStatus.closed:
        raise Conflict("A closed milestone cannot be edited; correct it instead")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if data.title is not None and data.title != milestone.title:
        before["title"], after["title"] = milestone.title, data.title
    if data.weight is not None and data.weight != milestone.weight:
        before["weight"], after["weight"] = milestone.weight, data.weight
    if data.assignee_ids is not None:
        current = sorted((await assignees_of(session, [milestone_id]))[milestone_id])
        wanted = sorted(set(data.assignee_ids))
        if wanted != current:
            # Only the newly added must be assignable now: one who stays keeps their own work.
            await _require_assignable(session, project, [i for i in wanted if i not in current])
            before["assignee_ids"], after["assignee_ids"] = current, wanted
            for user_id in set(current) - set(wanted):
                link = await session.get(MilestoneAssignee, (milestone_id, user_id))
                await session.delete(link)
            for user_id in set(wanted) - set(current):
                session.add(MilestoneAssignee(milestone_id=milestone_id, user_id=user_id))
    if not after:
        return (await milestone_reads(session, [milestone]))[0]
    milestone.title = after.get("title", milestone.title)
    milestone.weight = after.get("weight", milestone.weight)
    session.add(milestone)
    await record_milestone_change(session, milestone, actor=by, action="edited", before=before, after=after)
    return await milestone_event(session, project, milestone, "milestone.edited")


async def patch_milestone(
    session: AsyncSession, *, by: User, milestone_id: int, data: MilestonePatch
) -> MilestoneRead:
    """`PATCH /api/v1/milestones/{id}`: an edit (title, weight, assignees) and/or a reschedule (a due
    date with its reason), in that order, in one transaction."""
    edits = data.model_fields_set & {"title", "weight", "assignee_ids"}
    if not edits and data.due_date is None:
        raise Invalid(
            "Nothing to change: send due_date with a reason to reschedule, or title, weight or assignee_ids"
        )
    read = None
    if edits:
        read = await edit_milestone(
            session,
            by=by,
            milestone_id=milestone_id,
            data=MilestoneEdit(title=data.title, weight=data.weight, assignee_ids=data.assignee_ids),
        )
    if data.due_date is not None:
        read = await reschedule_milestone(
            session,
            by=by,
            milestone_id=milestone_id,
            data=MilestoneReschedule(due_date=data.due_date, reason=data.reason or ""),
        )
    assert read is not None
    return read


# --- what the new-project form offers -----------------------------------------------------------------


async def creatable_units(session: AsyncSession, *, by: User) -> list[Unit]:
    """The units `by` may create projects in: every unit for an admin, a leader's unit and those below
    it; none for anyone else."""
    if by.role not in (Role.admin, Role.leader):
        return []
    parents = await unit_parents(session)
    ids = [unit_id for unit_id in parents if by.role == Role.admin or leads_unit(by, unit_id, parents)]
    if not ids:
        return []
    return list(
        (await session.scalars(select(Unit).where(col(Unit.id).in_(ids)).order_by(col(Unit.name)))).all()
    )


async def lead_candidates(session: AsyncSession, *, units: list[Unit]) -> list[User]:
    """Who can lead a project of these units: their active staff and leaders."""
    if not units:
        return []
    parents = await unit_parents(session)
    ids: set[int] = set()
    for unit in units:
        ids |= subtree_in(parents, unit.id or 0)
    rows = await session.scalars(
        select(User)
        .where(col(User.unit_id).in_(ids), col(User.is_active), col(User.role) != Role.admin)
        .order_by(func.lower(col(User.name)))
    )
    return list(rows.all())
