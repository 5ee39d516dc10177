"""What the unit board page shows around its live snapshot: the layout (the ordinary board or the wall
screen), the units above it and the sub-units below it, the open blockers' ages and the recent activity.
Plain functions for the page handler (server/pages/routes.py: unit_board_page)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import Unit, User
from server.accounts.service import ancestors_in, subtree_in, unit_parents
from server.pages import i18n
from server.projects.access import can_see_unit
from server.projects.views import evidence_names

WALL = "wall"
# A wall screen turns its page every `page_seconds` (?page_seconds=N): long enough to read a page of cards,
# short enough that every project comes round within a minute or two. Out-of-range values are brought into
# range rather than refused: the URL is typed once into a kiosk that nobody watches.
PAGE_SECONDS = 15
PAGE_SECONDS_RANGE = (5, 600)
# How long a changed card stays highlighted: long enough to be seen from across the room (issue 13).
HIGHLIGHT_SECONDS = 12
ACTIVITY_ITEMS = 8


def page_seconds(raw: str | None) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return PAGE_SECONDS
    low, high = PAGE_SECONDS_RANGE
    return max(low, min(high, value))


def clock_time(value: datetime | str) -> str:
    """14.05 (14:05 in English), in WIB: the wall screen's clock and the times of its activity strip."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    locale = i18n.current_locale()
    return format_datetime(value, "HH:mm" if locale == "en" else "HH.mm", tzinfo=clock.JAKARTA, locale=locale)


def _age_minutes(opened_at: str, now: datetime) -> int:
    opened = datetime.fromisoformat(opened_at.replace("Z", "+00:00"))
    return max(0, int((now - opened).total_seconds() // 60))


async def board_surroundings(
    session: AsyncSession, *, user: User, unit_id: int, board: Mapping[str, Any], query: Mapping[str, str]
) -> dict[str, Any]:
    """The page's context beside the snapshot. `board` is the unit board's snapshot (JSON-ready)."""
    parents = await unit_parents(session)
    above = list(reversed(ancestors_in(parents, unit_id)[1:]))
    rows = (await session.execute(select(col(Unit.id), col(Unit.name)).where(col(Unit.id).in_(above)))).all()
    names = {unit: name for unit, name in rows if unit is not None}
    # A unit above is named, and linked only when its board is the viewer's to see (else it would be a 404).
    trail = [{"id": i, "name": names.get(i, ""), "link": can_see_unit(user, i, parents)} for i in above]
    counts: dict[int, int] = {}
    for project in board["projects"]:
        counts[project["unit_id"]] = counts.get(project["unit_id"], 0) + 1
    children = sorted(
        (u for u in board["units"] if u["parent_id"] == unit_id), key=lambda u: u["name"].lower()
    )
    sub_units = [
        {**unit, "projects": sum(counts.get(i, 0) for i in subtree_in(parents, unit["id"]))}
        for unit in children
    ]
    now = clock.now()
    blockers = [
        {**blocker, "age_minutes": _age_minutes(blocker["opened_at"], now)}
        for blocker in board.get("open_blockers", [])
    ]
    names_by_project = {p["id"]: p["name"] for p in board["projects"]}
    updates = sorted(board["latest_updates"].values(), key=lambda u: u["created_at"], reverse=True)
    activity = [
        {
            **update,
            "project_name": names_by_project.get(update["project_id"], ""),
            "time": clock_time(update["created_at"]),
        }
        for update in updates[:ACTIVITY_ITEMS]
    ]
    shown = [item for update in activity for item in update.get("evidence", [])]
    wall = query.get("layout") == WALL
    # Links to other boards (units above and below) keep the wall screen's layout and its pace.
    keep = f"?layout={WALL}" + (
        f"&page_seconds={page_seconds(query['page_seconds'])}" if "page_seconds" in query else ""
    )
    return {
        "wall": wall,
        "page_seconds": page_seconds(query.get("page_seconds")),
        "highlight_seconds": HIGHLIGHT_SECONDS,
        "clock_time": clock_time(now),
        "trail": trail,
        "sub_units": sub_units,
        "open_blockers": blockers,
        "activity": activity,
        "evidence_people": await evidence_names(session, shown, board.get("people", {})),
        "layout_query": keep if wall else "",
    }
