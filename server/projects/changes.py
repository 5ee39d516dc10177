"""What every change to a milestone brings with it: the row lock that makes concurrent changes of one
milestone run one after the other, its history entry, its board event (in the same transaction), and the
reaction of the performance domain, which recomputes the indicators the change touched."""

from datetime import date
from typing import Any, Protocol

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.service import unit_ancestors
from server.audit import record_change
from server.errors import NotFound
from server.projects.access import visible_project
from server.projects.models import Milestone, Project
from server.projects.reads import MilestoneRead, milestone_reads, one_project_read
from server.realtime.events import project_board, record_events, unit_board


class MilestoneClosedListener(Protocol):
    """Called after a milestone closes, its quality is scored, or it is corrected or reopened.
    `previous_closed_on` is the closing date it had before a correction moved or cleared it (so the
    month it no longer counts in is recomputed too); None otherwise."""

    async def __call__(
        self,
        session: AsyncSession,
        milestone: Milestone,
        assignee_ids: list[int],
        *,
        previous_closed_on: date | None = None,
    ) -> None: ...


# Who reacts, in the same transaction: see server/reactions.py, the one module that connects every
# domain's reactions (the performance domain recomputes the timeliness and quality indicators).
milestone_closed_listeners: list[MilestoneClosedListener] = []


async def notify_closed(
    session: AsyncSession,
    milestone: Milestone,
    assignee_ids: list[int],
    *,
    previous_closed_on: date | None = None,
) -> None:
    for listener in milestone_closed_listeners:
        await listener(session, milestone, assignee_ids, previous_closed_on=previous_closed_on)


async def boards_of(session: AsyncSession, project: Project | Row[Any]) -> list[str]:
    """The project's own board and the board of its unit and of every unit above it."""
    return [project_board(project.id)] + [
        unit_board(u) for u in await unit_ancestors(session, project.unit_id)
    ]


async def emit(session: AsyncSession, project: Project, type: str, data: dict[str, Any]) -> None:
    await emit_all(session, project, [(type, data)])


async def emit_all(
    session: AsyncSession, project: Project | Row[Any], events: list[tuple[str, dict[str, Any]]]
) -> None:
    """Several events of one change, in order, on the project's boards (two statements for them all).
    `project` is the ORM project or a row with its `id` and `unit_id`."""
    await record_events(session, boards=await boards_of(session, project), events=events)


def jsonable(read: Any) -> dict[str, Any]:
    return read.model_dump(mode="json")


async def locked_milestone(session: AsyncSession, milestone_id: int) -> Milestone | None:
    """The milestone, read afresh under a row lock held until the transaction ends: every write path
    takes it before looking at the milestone's state, so two closes (or a close and an update) on
    PostgreSQL run one after the other and the second sees the first's result. SQLite already runs
    writers one at a time (BEGIN IMMEDIATE) and ignores FOR UPDATE."""
    return await session.get(Milestone, milestone_id, with_for_update=True, populate_existing=True)


async def visible_milestone(session: AsyncSession, by: User, milestone_id: int) -> tuple[Milestone, Project]:
    """The locked milestone and its project, if `by` may see the project; otherwise 404."""
    milestone = await locked_milestone(session, milestone_id)
    if milestone is None:
        raise NotFound("Milestone not found")
    try:
        project = await visible_project(session, by, milestone.project_id)
    except NotFound:
        raise NotFound("Milestone not found") from None
    return milestone, project


async def record_milestone_change(
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


async def milestone_event(
    session: AsyncSession, project: Project, milestone: Milestone, type: str
) -> MilestoneRead:
    """The milestone as the API reads it now, sent to the boards as `type` with its project."""
    await session.flush()
    read = (await milestone_reads(session, [milestone]))[0]
    project_read = await one_project_read(session, project)
    await emit(session, project, type, {"milestone": jsonable(read), "project": jsonable(project_read)})
    return read
