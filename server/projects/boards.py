"""What a live board shows when it opens: a project board or a unit board (the unit and its
sub-units). Loaded in a fixed number of queries however many projects the unit has."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import clock
from server.accounts.models import Role, Unit, UnitRead, User
from server.accounts.service import subtree_in, unit_parents
from server.config import get_settings
from server.db import consistent_reads
from server.errors import NotFound
from server.projects.access import can_see_unit, visible_project
from server.projects.models import ProgressUpdate, Project
from server.projects.reads import ProjectRead, UpdateRead, one_project_read, project_reads, update_reads
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
    else:
        raise NotFound("Board not found")


async def _names(session: AsyncSession, user_ids: set[int]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    return {str(user_id): name for user_id, name in rows.all()}


def _people_in(projects: list[ProjectRead], updates: list[UpdateRead]) -> set[int]:
    ids: set[int] = {u.author_id for u in updates}
    for project in projects:
        ids.add(project.lead_id)
        ids.update(project.member_ids)
        for milestone in project.milestones:
            ids.update(milestone.assignee_ids)
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
    return {
        "project": read.model_dump(mode="json"),
        "updates": [u.model_dump(mode="json") for u in updates],
        "people": await _names(session, _people_in([read], updates)),
    }


async def unit_snapshot(session: AsyncSession, unit_id: int) -> dict[str, Any]:
    parents = await unit_parents(session)
    if unit_id not in parents:
        raise NotFound("Board not found")
    unit_ids = subtree_in(parents, unit_id)
    units = (await session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.id))).all()
    projects = (
        await session.scalars(select(Project).where(Project.unit_id.in_(unit_ids)).order_by(Project.id))
    ).all()
    reads = await project_reads(session, list(projects))
    latest_ids = (
        select(func.max(ProgressUpdate.id))
        .where(ProgressUpdate.project_id.in_([p.id for p in projects]))
        .group_by(ProgressUpdate.project_id)
    )
    latest = await update_reads(
        session,
        list((await session.scalars(select(ProgressUpdate).where(ProgressUpdate.id.in_(latest_ids)))).all()),
    )
    return {
        "unit": UnitRead.model_validate(next(u for u in units if u.id == unit_id)).model_dump(mode="json"),
        "units": [UnitRead.model_validate(u).model_dump(mode="json") for u in units],
        "projects": [p.model_dump(mode="json") for p in reads],
        "latest_updates": {str(u.project_id): u.model_dump(mode="json") for u in latest},
        "people": await _names(session, _people_in(reads, latest)),
        "adoption": await adoption(session, unit_ids),
    }


async def adoption(session: AsyncSession, unit_ids: set[int]) -> dict[str, Any]:
    """Which ASN in staff roles have not posted an update in the last `stale_after_days` days
    (leaders and admins do not post updates, so they are not counted)."""
    days = get_settings().stale_after_days
    since = clock.now() - timedelta(days=days)
    recent_authors = select(ProgressUpdate.author_id).where(ProgressUpdate.created_at >= since)
    staff = (
        await session.execute(
            select(User.id, User.name)
            .where(User.unit_id.in_(unit_ids), User.role == Role.staff, User.is_active)
            .order_by(User.name)
        )
    ).all()
    quiet = (
        await session.execute(
            select(User.id, User.name)
            .where(
                User.unit_id.in_(unit_ids),
                User.role == Role.staff,
                User.is_active,
                User.id.not_in(recent_authors),
            )
            .order_by(User.name)
        )
    ).all()
    return {
        "days": days,
        "staff_count": len(staff),
        "quiet": [{"id": user_id, "name": name} for user_id, name in quiet],
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
    return await unit_snapshot(session, board_id)
