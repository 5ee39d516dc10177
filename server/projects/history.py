"""A milestone's `history` as the API shows it: every reschedule, edit and correction, with who, when, the
values before and after, and why (read from the append-only history table)."""

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit import HistoryEntry

# What a milestone's history lists: its due-date moves, the lead's edits of an open milestone (title,
# weight, assignees: server/projects/editing.py), the quality its lead's rater scored, and every correction
# (reopening included). Creation and the close itself are the milestone's own fields.
MILESTONE_HISTORY_KINDS = ("rescheduled", "edited", "quality_scored", "corrected", "reopened")


def history_item(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "by": entry.actor_id,
        "kind": entry.action,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }


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
    if project_ids is not None:
        which = HistoryEntry.project_id.in_(project_ids)
    elif milestone_ids:
        which = HistoryEntry.entity_id.in_(milestone_ids)
    else:
        return found
    rows = await session.scalars(
        select(HistoryEntry)
        .where(which, HistoryEntry.entity == "milestone", HistoryEntry.action.in_(MILESTONE_HISTORY_KINDS))
        .order_by(HistoryEntry.id)
    )
    for entry in rows:
        found.setdefault(entry.entity_id, []).append(history_item(entry))
    return found
