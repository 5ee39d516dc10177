"""A blocker's life cycle. A progress update that reports a blocker opens it; a leader of the project's
unit (or of a unit above it) acknowledges it from the board; its author or the project lead resolves
it with a note. Until it is resolved it stays on the boards, the project page and the home pages of its
author and the lead, however many updates come after it.

Every change records its board event (`blocker.opened|acknowledged|resolved`, data `{"blocker": ...}`)
on the project's board and the boards of its unit and every unit above, in the same transaction."""

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from server import clock
from server.accounts.models import Role, User
from server.accounts.service import unit_parents
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.projects.access import leads_unit, require_not_archived, visible_project
from server.projects.changes import emit
from server.projects.models import (
    BlockerRead,
    BlockerResolve,
    BlockerStatus,
    Milestone,
    ProgressUpdate,
    Project,
)
from server.projects.reads import UpdateRead

# What `?status=` lists: `open` is every blocker not yet resolved (open or acknowledged).
StatusFilter = Literal["open", "resolved", "all"]
UNRESOLVED = (BlockerStatus.open.value, BlockerStatus.acknowledged.value)
# The status of an update's blocker as it is posted (server/projects/service.py: post_update).
BLOCKER_OPENED = BlockerStatus.open.value

_author = aliased(User)
_acknowledger = aliased(User)
_resolver = aliased(User)


# BlockerRead's fields in order (see _FIELDS), in one statement with the project's and milestone's names
# and the names of the people involved.
_COLUMNS: tuple[Any, ...] = (
    ProgressUpdate.id,
    ProgressUpdate.project_id,
    Project.name,
    ProgressUpdate.milestone_id,
    Milestone.title,
    ProgressUpdate.author_id,
    _author.name,
    ProgressUpdate.blockers,
    ProgressUpdate.blocker_status,
    ProgressUpdate.created_at,
    ProgressUpdate.blocker_acknowledged_by,
    _acknowledger.name,
    ProgressUpdate.blocker_acknowledged_at,
    ProgressUpdate.blocker_resolved_by,
    _resolver.name,
    ProgressUpdate.blocker_resolved_at,
    ProgressUpdate.blocker_resolution,
)


def _blocker_query() -> Select[Any]:
    return (
        select(*_COLUMNS)
        .join(Project, col(Project.id) == ProgressUpdate.project_id)
        .join(Milestone, col(Milestone.id) == ProgressUpdate.milestone_id)
        .join(_author, col(_author.id) == ProgressUpdate.author_id)
        .outerjoin(_acknowledger, col(_acknowledger.id) == ProgressUpdate.blocker_acknowledged_by)
        .outerjoin(_resolver, col(_resolver.id) == ProgressUpdate.blocker_resolved_by)
        .where(col(ProgressUpdate.blocker_status).is_not(None))
        .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id))
    )


_FIELDS = (
    "update_id",
    "project_id",
    "project_name",
    "milestone_id",
    "milestone_title",
    "author_id",
    "author_name",
    "text",
    "status",
    "opened_at",
    "acknowledged_by",
    "acknowledged_by_name",
    "acknowledged_at",
    "resolved_by",
    "resolved_by_name",
    "resolved_at",
    "resolution",
)


def _read(row: Sequence[Any]) -> BlockerRead:
    values = dict(zip(_FIELDS, row, strict=True))
    values["text"] = values["text"] or ""
    return BlockerRead.model_validate(values)


async def _blockers(session: AsyncSession, *where: ColumnElement[bool]) -> list[BlockerRead]:
    rows = (await session.execute(_blocker_query().where(*where))).all()
    return [_read(row) for row in rows]


def _unresolved() -> ColumnElement[bool]:
    return col(ProgressUpdate.blocker_status).in_(UNRESOLVED)


def _on_live_projects() -> ColumnElement[bool]:
    """An archived project has left the boards and the lists of work; so have its blockers."""
    return col(Project.archived_at).is_(None)


# --- reading -------------------------------------------------------------------------------------------


async def blocker_read(session: AsyncSession, update_id: int) -> BlockerRead:
    found = await _blockers(session, col(ProgressUpdate.id) == update_id)
    if not found:
        raise NotFound("Blocker not found")
    return found[0]


async def project_blockers(
    session: AsyncSession, *, by: User, project_id: int, status: StatusFilter = "open"
) -> list[BlockerRead]:
    """A project's blockers, oldest first: the unresolved ones (`open`), the resolved ones, or all."""
    project = await visible_project(session, by, project_id)
    where = [col(ProgressUpdate.project_id) == project.id]
    if status == "open":
        where.append(_unresolved())
    elif status == "resolved":
        where.append(col(ProgressUpdate.blocker_status) == BlockerStatus.resolved.value)
    return await _blockers(session, *where)


async def open_blocker_jsons(session: AsyncSession, *, project_ids: Any) -> list[dict[str, Any]]:
    """The unresolved blockers of `project_ids` (ids or a subquery of them), oldest first, JSON-ready:
    the boards' `open_blockers`, in one query."""
    found = await _blockers(
        session, col(ProgressUpdate.project_id).in_(project_ids), _unresolved(), _on_live_projects()
    )
    return [b.model_dump(mode="json") for b in found]


async def authored_open_blockers(session: AsyncSession, *, author_id: int) -> list[BlockerRead]:
    """The unresolved blockers someone reported themselves (their home page)."""
    return await _blockers(
        session, col(ProgressUpdate.author_id) == author_id, _unresolved(), _on_live_projects()
    )


async def led_open_blockers(session: AsyncSession, *, lead_id: int) -> list[BlockerRead]:
    """The unresolved blockers on the projects someone leads, reported by others (the lead's home page)."""
    return await _blockers(
        session,
        col(Project.lead_id) == lead_id,
        col(ProgressUpdate.author_id) != lead_id,
        _unresolved(),
        _on_live_projects(),
    )


# --- who may -------------------------------------------------------------------------------------------


def may_acknowledge(user: User, project: Project, parents: dict[int, int | None]) -> bool:
    """A leader of the project's unit or of a unit above it, or an admin."""
    return user.role == Role.admin or leads_unit(user, project.unit_id, parents)


def may_resolve(user: User, *, author_id: int, lead_id: int) -> bool:
    """The blocker's author, the project lead, or an admin."""
    return user.role == Role.admin or user.id in (author_id, lead_id)


# --- the life cycle ------------------------------------------------------------------------------------


def opened_blocker(update: UpdateRead, *, project_name: str, milestone_title: str) -> BlockerRead | None:
    """The blocker a just-posted update reports, open from that moment (None if it reports none). Built
    from what the post has in hand: it costs the post no query (server/projects/posting.py sends its
    `blocker.opened` event with the update's own, and tells those who must act: notices)."""
    if not update.blockers:
        return None
    return BlockerRead(
        update_id=update.id,
        project_id=update.project_id,
        project_name=project_name,
        milestone_id=update.milestone_id,
        milestone_title=milestone_title,
        author_id=update.author_id,
        author_name=update.author_name,
        text=update.blockers,
        status=BlockerStatus.open,
        opened_at=update.created_at,
    )


def blocker_opened_event(blocker: BlockerRead) -> tuple[str, dict[str, Any]]:
    """The `blocker.opened` event of a blocker just reported, for `changes.emit_all`."""
    return "blocker.opened", _event_data(blocker)


async def _locked_blocker(session: AsyncSession, by: User, update_id: int) -> tuple[ProgressUpdate, Project]:
    """The update under a row lock (so an acknowledgement and a resolution of one blocker run one after
    the other, and the second sees the first), if `by` may see its project and it reported a blocker."""
    update = await session.get(ProgressUpdate, update_id, with_for_update=True, populate_existing=True)
    if update is None or update.blocker_status is None:
        raise NotFound("Blocker not found")
    try:
        project = await visible_project(session, by, update.project_id)
    except NotFound:
        raise NotFound("Blocker not found") from None
    return update, project


async def acknowledge(session: AsyncSession, *, by: User, update_id: int) -> BlockerRead:
    update, project = await _locked_blocker(session, by, update_id)
    if not may_acknowledge(by, project, await unit_parents(session)):
        raise Forbidden("Only a leader of the project's unit or an admin may acknowledge a blocker")
    require_not_archived(project)
    if update.blocker_status == BlockerStatus.acknowledged.value:
        raise Conflict("This blocker has already been acknowledged")
    if update.blocker_status == BlockerStatus.resolved.value:
        raise Conflict("This blocker has already been resolved")
    update.blocker_status = BlockerStatus.acknowledged.value
    update.blocker_acknowledged_by = by.id
    update.blocker_acknowledged_at = clock.now()
    return await _changed(session, project, update, "blocker.acknowledged")


async def resolve(session: AsyncSession, *, by: User, update_id: int, data: BlockerResolve) -> BlockerRead:
    update, project = await _locked_blocker(session, by, update_id)
    if not may_resolve(by, author_id=update.author_id, lead_id=project.lead_id):
        raise Forbidden("Only the author of a blocker, the project lead or an admin may resolve it")
    require_not_archived(project)
    if update.blocker_status == BlockerStatus.resolved.value:
        raise Conflict("This blocker has already been resolved")
    note = data.note.strip()
    if not note:
        raise Invalid("A note is required: say how the blocker was resolved")
    update.blocker_status = BlockerStatus.resolved.value
    update.blocker_resolved_by = by.id
    update.blocker_resolved_at = clock.now()
    update.blocker_resolution = note
    return await _changed(session, project, update, "blocker.resolved")


async def _changed(session: AsyncSession, project: Project, update: ProgressUpdate, type: str) -> BlockerRead:
    session.add(update)
    await session.flush()
    assert update.id is not None
    read = await blocker_read(session, update.id)
    await _announce(session, project, type, read)
    return read


async def _announce(session: AsyncSession, project: Project, type: str, read: BlockerRead) -> None:
    await emit(session, project, type, _event_data(read))


def _event_data(read: BlockerRead) -> dict[str, Any]:
    return {"blocker": read.model_dump(mode="json")}
