"""A milestone's `history` as the API shows it: every reschedule, edit and correction, with who, when, the
values before and after, and why (read from the append-only history table)."""

from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ClauseElement

from server.audit import HistoryEntry
from server.models_base import table_of

# What a milestone's history lists: its due-date moves, the lead's edits of an open milestone (title,
# weight, assignees: server/projects/editing.py), the quality its lead's rater scored, and every correction
# (reopening included). Creation and the close itself are the milestone's own fields.
MILESTONE_HISTORY_KINDS = ("rescheduled", "edited", "quality_scored", "corrected", "reopened")

# The columns a history item shows, read as rows, not ORM objects (identity map, instrumented attributes):
# every event a post sends reads its project's milestones' history, usually none, and loading objects for
# it cost more than the query. Table columns, so that it runs as Core; the session still flushes pending
# history first, as for an ORM select.
_HISTORY = table_of(HistoryEntry).c
_ITEM_COLUMNS: tuple[Any, ...] = (
    _HISTORY.entity_id,
    _HISTORY.at,
    _HISTORY.actor_id,
    _HISTORY.action,
    _HISTORY.before,
    _HISTORY.after,
    _HISTORY.reason,
)


def _items_where(which: ColumnElement[bool]) -> Select[Any]:
    return (
        select(*_ITEM_COLUMNS)
        .where(which, _HISTORY.entity == "milestone", _HISTORY.action.in_(MILESTONE_HISTORY_KINDS))
        .order_by(_HISTORY.id)
    )


# Built once and bound per call with the ids (an expanding IN): building the statement cost a post's event
# about as much as running it. A query of project ids (a board's) is built when asked.
_OF_MILESTONES = _items_where(_HISTORY.entity_id.in_(bindparam("ids", expanding=True)))
_OF_PROJECTS = _items_where(_HISTORY.project_id.in_(bindparam("ids", expanding=True)))
# One project (a post's event): `=`, since SQLAlchemy rewrites an expanding IN's SQL on every run.
_OF_PROJECT = _items_where(_HISTORY.project_id == bindparam("id"))


async def milestone_histories(
    session: AsyncSession,
    milestone_ids: list[int] | None = None,
    *,
    project_ids: list[int] | Select[Any] | None = None,
) -> dict[int, list[dict[str, Any]]]:
    """Each milestone's history items, oldest first (one query): of the milestones `milestone_ids`
    (every asked id has a list), or of every milestone of the projects `project_ids` (ids, or a query
    that selects them; a milestone without history has no key)."""
    found: dict[int, list[dict[str, Any]]] = {milestone_id: [] for milestone_id in milestone_ids or []}
    rows: Any  # Result rows of _ITEM_COLUMNS
    if isinstance(project_ids, ClauseElement):
        rows = await session.execute(_items_where(_HISTORY.project_id.in_(project_ids)))
    elif project_ids is not None and len(project_ids) == 1:
        rows = await session.execute(_OF_PROJECT, {"id": project_ids[0]})
    elif project_ids is not None:
        rows = await session.execute(_OF_PROJECTS, {"ids": list(project_ids)})
    elif milestone_ids:
        rows = await session.execute(_OF_MILESTONES, {"ids": list(milestone_ids)})
    else:
        return found
    for milestone_id, at, actor_id, action, before, after, reason in rows:
        found.setdefault(milestone_id, []).append(
            {"at": at, "by": actor_id, "kind": action, "before": before, "after": after, "reason": reason}
        )
    return found
