"""Closing a milestone recomputes its assignees' indicators: its cost must not grow with the history.

Builds two databases, one with 1,000 and one with 100,000 closed milestones of earlier months spread
over 1,000 people, then times closing a milestone (the whole request's work: the close, the history entry,
the board events and the indicator recomputation) for a person with the same few milestones this month."""

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.report import table, write_section
from server import clock
from server.accounts.models import Role, Unit, User
from server.config import Settings
from server.migrate import upgrade
from server.projects import service as projects
from server.projects.models import (
    Milestone,
    MilestoneAssignee,
    MilestoneClose,
    MilestoneCreate,
    Project,
    ProjectMember,
)
from server.runtime import Runtime
from tests.services import postgres_database

NOW = datetime(2026, 11, 20, 3, tzinfo=UTC)
PEOPLE = 1_000


async def _populate(runtime: Runtime, closed: int) -> tuple[User, int]:
    async with runtime.transaction() as session:
        unit = Unit(name="Dinas Bench")
        session.add(unit)
        await session.flush()
        users = [
            {
                "username": f"u{i}",
                "name": f"Pegawai {i}",
                "nip": f"19850315201001{1 + i % 2}{i:03d}"[:18].ljust(18, "0"),
                "role": Role.staff,
                "unit_id": unit.id,
                "is_active": True,
                "created_at": NOW,
            }
            for i in range(PEOPLE)
        ]
        await session.execute(insert(User), users)
        lead = await session.scalar(
            User.__table__.select().where(User.username == "u0").with_only_columns(User.id)
        )
        # Real projects have tens of milestones, not thousands: 100 per project.
        projects_table = [
            {
                "name": f"Bench {n}",
                "unit_id": unit.id,
                "lead_id": lead,
                "start_date": date(2023, 1, 1),
                "due_date": date(2027, 1, 1),
                "created_at": NOW,
            }
            for n in range(closed // 100 + 1)
        ]
        project_ids = (
            (await session.execute(insert(Project).returning(Project.id), projects_table)).scalars().all()
        )
        for start in range(0, closed, 10_000):
            batch = []
            for n in range(start, min(closed, start + 10_000)):
                closed_on = date(2026, 10, 28) - timedelta(
                    days=n % 1000
                )  # the previous ~3 years, never this month
                batch.append(
                    {
                        "project_id": project_ids[n // 100],
                        "title": f"M{n}",
                        "weight": 1 + n % 3,
                        "due_date": closed_on,
                        "original_due_date": closed_on,
                        "status": "closed",
                        "progress_pct": 100,
                        "closed_on": closed_on,
                        "closed_at": NOW,
                        "quality": 1 + n % 5,
                        "created_at": NOW,
                        "late_working_days": 0,
                        "quality_status": "scored",
                    }
                )
            ids = (await session.execute(insert(Milestone).returning(Milestone.id), batch)).scalars().all()
            await session.execute(
                insert(MilestoneAssignee), [{"milestone_id": m, "user_id": 1 + (m % PEOPLE)} for m in ids]
            )
        # The timed milestones' assignee must be a member of their project (DOMAIN.md §1b).
        await session.execute(
            insert(ProjectMember), [{"project_id": project_ids[-1], "user_id": 2, "added_at": NOW}]
        )
    async with runtime.sessionmaker() as session:
        subject = await session.get(User, 2)
        assert subject is not None
        return subject, project_ids[-1]


async def _time_closes(runtime: Runtime, subject: User, project_id: int, repeats: int) -> list[float]:
    lead = User(id=1, username="u0", name="x", nip="x", role=Role.staff, unit_id=subject.unit_id)
    durations = []
    for n in range(repeats):
        async with runtime.transaction() as session:
            milestone = await projects.create_milestone(
                session,
                by=lead,
                project_id=project_id,
                data=MilestoneCreate(
                    title=f"Now {n}", due_date=date(2026, 11, 25), assignee_ids=[subject.id]
                ),
            )
        started = time.perf_counter()
        async with runtime.transaction() as session:
            await projects.close_milestone(
                session, by=lead, milestone_id=milestone.id, data=MilestoneClose(quality=4)
            )
        durations.append((time.perf_counter() - started) * 1000)
    return durations


async def measure(url: str, closed: int, repeats: int) -> list[float]:
    upgrade(url)
    runtime = Runtime.create(Settings(database_url=url, redis_url=None))
    try:
        subject, project_id = await _populate(runtime, closed)
        await _time_closes(runtime, subject, project_id, 3)  # warm-up
        return await _time_closes(runtime, subject, project_id, repeats)
    finally:
        await runtime.engine.dispose()


def run(backend: str, sizes: list[int], repeats: int) -> list[list[object]]:
    clock.freeze(NOW)
    rows = []
    for closed in sizes:
        if backend == "postgres":
            with postgres_database() as url:
                durations = asyncio.run(measure(url, closed, repeats))
        else:
            with tempfile.TemporaryDirectory() as folder:
                durations = asyncio.run(measure(f"sqlite:///{Path(folder) / 'bench.db'}", closed, repeats))
        rows.append(
            [
                backend,
                f"{closed:,}",
                f"{statistics.median(durations):.1f}",
                f"{sorted(durations)[int(len(durations) * 0.9)]:.1f}",
            ]
        )
    clock.freeze(None)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench recompute")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    rows = []
    for backend in args.backends.split(","):
        rows += run(backend, [1_000, 100_000], args.repeats)
    ratios = []
    for small, large in zip(rows[::2], rows[1::2], strict=True):
        ratios.append(f"{small[0]}: {float(large[2]) / float(small[2]):.2f}x")
    body = table(["backend", "closed milestones in history", "median close (ms)", "p90 close (ms)"], rows)
    body += f"\n\nCost with 100,000 versus 1,000 closed milestones (median): {', '.join(ratios)} (target at most 1.5x)."
    print(body)
    write_section("recompute", "## Closing a milestone: recompute cost versus history size\n\n" + body)


if __name__ == "__main__":
    main()
