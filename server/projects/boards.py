"""What a live board shows when it opens: a project board or a unit board (the unit and its
sub-units). Loaded in a fixed number of queries however many projects the unit has."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import clock
from server.accounts.models import Role, Unit, UnitRead, User
from server.accounts.service import subtree_in, unit_parents
from server.config import get_settings
from server.db import consistent_reads
from server.errors import NotFound
from server.notifications import service as notifications
from server.projects.access import can_see_unit, visible_project
from server.projects.blockers import open_blocker_jsons
from server.projects.models import ProgressUpdate, Project
from server.projects.reads import (
    PROJECT_COLUMNS,
    UPDATE_COLUMNS,
    one_project_read,
    project_jsons,
    update_jsons,
    update_reads,
)
from server.realtime.events import board_position

RECENT_UPDATES = 20


async def check_board_access(session: AsyncSession, user: User, kind: str, board_id: int) -> None:
    """404 for a board that does not exist or that the user may not see."""
    if kind == "project":
        await visible_project(session, user, board_id)
    elif kind == "unit":
        parents = await unit_parents(session)
        if board_id not in parents or not can_see_unit(user, board_id, parents):
            raise NotFound("Board not found")
    elif kind == "user":
        # One's own bell: nobody else's (not even an admin's).
        if user.id != board_id:
            raise NotFound("Board not found")
    else:
        raise NotFound("Board not found")


async def _names(session: AsyncSession, user_ids: set[int]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    return {str(user_id): name for user_id, name in rows.all()}


def _people_in(projects: list[dict[str, Any]], author_ids: Iterable[int]) -> set[int]:
    """Everyone a board names: update authors, and the leads, members, assignees and the people in the
    milestones' history of `projects` (JSON-ready project dicts)."""
    ids = set(author_ids)
    for project in projects:
        ids.add(project["lead_id"])
        ids.update(project["member_ids"])
        for milestone in project["milestones"]:
            ids.update(milestone["assignee_ids"])
            ids.update(item["by"] for item in milestone["history"] if item["by"] is not None)
    return ids


async def project_snapshot(session: AsyncSession, project_id: int) -> dict[str, Any]:
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound("Board not found")
    read = await one_project_read(session, project)
    updates = await update_reads(
        session,
        list(
            (
                await session.scalars(
                    select(ProgressUpdate)
                    .where(ProgressUpdate.project_id == project_id)
                    .order_by(ProgressUpdate.id.desc())
                    .limit(RECENT_UPDATES)
                )
            ).all()
        ),
    )
    project = read.model_dump(mode="json")
    return {
        "project": project,
        "updates": [u.model_dump(mode="json") for u in updates],
        "people": await _names(session, _people_in([project], (u.author_id for u in updates))),
        "open_blockers": await open_blocker_jsons(session, project_ids=[project_id]),
    }


async def unit_snapshot(session: AsyncSession, unit_id: int) -> dict[str, Any]:
    parents = await unit_parents(session)
    if unit_id not in parents:
        raise NotFound("Board not found")
    unit_ids = subtree_in(parents, unit_id)
    units = (await session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.id))).all()
    # Rows and JSON-ready dicts rather than ORM objects and read models: a unit can have hundreds of
    # projects and thousands of milestones, and building objects was most of the snapshot's time.
    # An archived project leaves the board (its own page and board still show it).
    in_units = and_(Project.unit_id.in_(unit_ids), Project.archived_at.is_(None))
    projects = (await session.execute(select(*PROJECT_COLUMNS).where(in_units).order_by(Project.id))).all()
    project_ids = select(Project.id).where(in_units)
    latest_ids = (
        select(func.max(ProgressUpdate.id))
        .where(ProgressUpdate.project_id.in_(project_ids))
        .group_by(ProgressUpdate.project_id)
    )
    latest = (await session.execute(select(*UPDATE_COLUMNS).where(ProgressUpdate.id.in_(latest_ids)))).all()
    project_data = await project_jsons(session, projects, project_ids)
    # The authors of the latest updates are among the people, so one query names them all.
    people = await _names(session, _people_in(project_data, (u.author_id for u in latest)))
    return {
        "unit": UnitRead.model_validate(next(u for u in units if u.id == unit_id)).model_dump(mode="json"),
        "units": [UnitRead.model_validate(u).model_dump(mode="json") for u in units],
        "projects": project_data,
        "latest_updates": {str(u["project_id"]): u for u in await update_jsons(session, latest, people)},
        "people": people,
        "adoption": await adoption(session, unit_ids),
        # Not yet resolved (open or acknowledged), oldest first, whichever update came after them.
        "open_blockers": await open_blocker_jsons(session, project_ids=project_ids),
    }


async def adoption(session: AsyncSession, unit_ids: set[int]) -> dict[str, Any]:
    """Which ASN in staff roles have not posted an update in the last `stale_after_days` days
    (leaders and admins do not post updates, so they are not counted)."""
    days = get_settings().stale_after_days
    since = clock.now() - timedelta(days=days)
    recent_authors = select(ProgressUpdate.author_id).where(ProgressUpdate.created_at >= since)
    staff = (
        await session.execute(
            select(User.id, User.name, User.id.in_(recent_authors))
            .where(User.unit_id.in_(unit_ids), User.role == Role.staff, User.is_active)
            .order_by(User.name)
        )
    ).all()
    return {
        "days": days,
        "staff_count": len(staff),
        "quiet": [{"id": user_id, "name": name} for user_id, name, posted in staff if not posted],
    }


async def board_view(
    sessionmaker: async_sessionmaker[AsyncSession], kind: str, board_id: int
) -> tuple[int, dict[str, Any]]:
    """A board's position and its snapshot from one view of the database, so that a client resuming
    with `since=<position>` neither misses nor repeats an event."""
    async with sessionmaker() as session:
        await consistent_reads(session)
        position = await board_position(session, f"{kind}:{board_id}")
        return position, await board_snapshot(session, kind, board_id)


async def board_snapshot(session: AsyncSession, kind: str, board_id: int) -> dict[str, Any]:
    if kind == "project":
        return await project_snapshot(session, board_id)
    if kind == "user":
        return await notifications.bell_snapshot(session, board_id)
    return await unit_snapshot(session, board_id)
