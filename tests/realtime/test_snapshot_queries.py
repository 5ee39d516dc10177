"""Opening a unit board loads its snapshot in a fixed number of queries, however many projects it has."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, Unit, User
from server.projects.boards import unit_snapshot
from server.projects.models import (
    Milestone,
    MilestoneAssignee,
    MilestoneDueDate,
    ProgressUpdate,
    Project,
    ProjectMember,
)
from server.realtime.hub import Hub
from server.runtime import Runtime

CREATED = datetime(2026, 11, 2, 1, tzinfo=UTC)
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


async def build_unit(
    session: AsyncSession,
    *,
    projects: int,
    milestones_per_project: int = 10,
    people: int = 20,
    tag: str = "a",
) -> int:
    """A unit with `projects` projects of `milestones_per_project` milestones each (a third of them closed),
    two members per project, one assignee per milestone and one progress update per project, inserted
    with core inserts so that thousands of rows take a moment. Returns the unit's id."""
    unit_id = (
        await session.execute(insert(Unit).returning(Unit.id), [{"name": f"Dinas {tag}"}])
    ).scalar_one()
    user_ids = (
        (
            await session.execute(
                insert(User).returning(User.id),
                [
                    {
                        "username": f"{tag}-pegawai-{n}",
                        "name": f"Pegawai {tag} {n}",
                        "nip": f"{tag}{n}".rjust(18, "0"),
                        "role": Role.staff,
                        "unit_id": unit_id,
                        "is_active": True,
                        "created_at": CREATED,
                    }
                    for n in range(people)
                ],
            )
        )
        .scalars()
        .all()
    )
    today = date(2026, 11, 20)
    project_ids = (
        (
            await session.execute(
                insert(Project).returning(Project.id),
                [
                    {
                        "name": f"Proyek {tag} {n}",
                        "unit_id": unit_id,
                        "lead_id": user_ids[n % people],
                        "start_date": today - timedelta(days=30),
                        "due_date": today + timedelta(days=60),
                        "created_at": CREATED,
                    }
                    for n in range(projects)
                ],
            )
        )
        .scalars()
        .all()
    )
    await session.execute(
        insert(ProjectMember),
        [
            {"project_id": p, "user_id": user_ids[(n + k) % people], "added_at": CREATED}
            for n, p in enumerate(project_ids)
            for k in (1, 2)
        ],
    )
    milestones: list[dict[str, Any]] = []
    for project_id in project_ids:
        for k in range(milestones_per_project):
            due = today + timedelta(days=k * 5 - 15)
            closed = k % 3 == 0
            milestones.append(
                {
                    "project_id": project_id,
                    "title": f"Tahap {k}",
                    "weight": 1 + k % 3,
                    "due_date": due,
                    "original_due_date": due,
                    "status": "closed" if closed else "open",
                    "progress_pct": 100 if closed else (k * 10) % 100,
                    "closed_on": due if closed else None,
                    "closed_at": CREATED if closed else None,
                    "quality": 4 if closed else None,
                    "quality_status": "scored" if closed else None,
                    "late_working_days": 0 if closed else None,
                    "created_at": CREATED,
                }
            )
    milestone_ids = (
        (await session.execute(insert(Milestone).returning(Milestone.id), milestones)).scalars().all()
    )
    await session.execute(
        insert(MilestoneDueDate),
        [
            {"milestone_id": m, "due_date": row["due_date"], "set_on": CREATED.date(), "set_at": CREATED}
            for m, row in zip(milestone_ids, milestones, strict=True)
        ],
    )
    await session.execute(
        insert(MilestoneAssignee),
        [{"milestone_id": m, "user_id": user_ids[n % people]} for n, m in enumerate(milestone_ids)],
    )
    await session.execute(
        insert(ProgressUpdate),
        [
            {
                "project_id": p,
                "milestone_id": milestone_ids[n * milestones_per_project + 1],
                "author_id": user_ids[n % people],
                "progress_pct": 10,
                "note": "lanjut",
                "created_at": CREATED,
            }
            for n, p in enumerate(project_ids)
        ],
    )
    return int(unit_id)


@contextmanager
def counted_statements(session: AsyncSession, connection: Any) -> Iterator[list[str]]:
    """Every SQL statement the session sends on its `connection`, except transaction control (other work
    on the same engine, such as the runtime's background checkpoint, is not the snapshot's)."""
    statements: list[str] = []
    engine = session.bind.sync_engine  # type: ignore[union-attr]

    def count(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if conn is connection and not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _snapshot_statements(runtime: Runtime, unit_id: int) -> tuple[list[str], dict[str, Any]]:
    async with runtime.read_sessionmaker() as session:
        connection = (await session.connection()).sync_connection
        with counted_statements(session, connection) as statements:
            snapshot = await unit_snapshot(session, unit_id)
    return statements, snapshot


async def test_unit_snapshot_takes_the_same_few_queries_for_200_projects_as_for_20(runtime):
    async with runtime.transaction() as session:
        small = await build_unit(session, projects=20, tag="s")
        large = await build_unit(session, projects=200, tag="l")

    small_statements, small_snapshot = await _snapshot_statements(runtime, small)
    large_statements, large_snapshot = await _snapshot_statements(runtime, large)

    assert len(small_snapshot["projects"]) == 20 and len(large_snapshot["projects"]) == 200
    assert sum(len(p["milestones"]) for p in large_snapshot["projects"]) == 2_000
    assert len(large_snapshot["latest_updates"]) == 200
    # unit tree, units, projects, latest updates, milestones with their assignees, the due-date schedules
    # of the open milestones that were ever due before today and the holidays since (their lateness in
    # working days, DOMAIN.md §1b), the milestones' history, members, last updates, people's names (the
    # latest updates' authors among them), the latest updates' evidence, adoption, the open blockers.
    assert len(large_statements) == len(small_statements) == 14, "\n\n".join(large_statements)


async def test_boards_opening_at_once_share_one_snapshot_build():
    """Every wall screen reconnecting after a restart must not each run the snapshot's queries."""
    hub = Hub(load_events=_no_events, load_position=_position, queue_size=10, gap_wait=0.01)
    builds = 0
    release = asyncio.Event()

    async def build() -> str:
        nonlocal builds
        builds += 1
        await release.wait()
        return f"snapshot {builds}"

    waiting = [asyncio.create_task(hub.shared("unit:1", build)) for _ in range(5)]
    await asyncio.sleep(0)
    waiting[0].cancel()  # a board that goes away while it waits does not cancel the others' build
    release.set()
    assert await asyncio.gather(*waiting[1:]) == ["snapshot 1"] * 4
    assert builds == 1
    assert await hub.shared("unit:1", build) == "snapshot 2", "a board opening later gets a fresh snapshot"


async def _no_events(board: str, after: int, upto: int | None) -> list[tuple[int, str]]:
    return []


async def _position(board: str) -> int:
    return 0
