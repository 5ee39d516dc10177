"""Pydantic's own serialiser against the hand-built JSON of server/projects/reads.py (issue 17 item 3).

A post sends its project (with every milestone) in the `progress.posted` event, and a board snapshot
sends every project of the unit. Both are built by `_project_fields` and then turned into JSON either by
`project_as_json` (hand-built, in place) or by `ProjectRead(...).model_dump(mode="json")`. This times only that
last step, on the same fields read once from SQLite: one project of 10 milestones (a post) and 200
projects of 10 milestones (a large unit's snapshot). The hand-built form is kept only if it is clearly
faster; tests/projects/test_reads_json.py holds it equal to the model's dump, field by field."""

import argparse
import asyncio
import copy
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.report import table, write_section
from server.config import Settings
from server.migrate import upgrade
from server.projects.models import Project
from server.projects.read_json import project_as_json
from server.projects.reads import MilestoneRead, ProjectRead, _project_fields
from server.runtime import Runtime
from tests.realtime.test_snapshot_queries import build_unit


def _by_model(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        ProjectRead(**(f | {"milestones": [MilestoneRead(**m) for m in f["milestones"]]})).model_dump(
            mode="json"
        )
        for f in found
    ]


def _by_hand(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for fields in found:
        project_as_json(fields)
    return found


def _time(function: Any, found: list[dict[str, Any]], repeats: int) -> tuple[float, float]:
    """Median and p95 in milliseconds; each run gets its own deep copy (the hand-built form works in
    place), made outside the timing."""
    durations = []
    for _ in range(repeats):
        fresh = copy.deepcopy(found)
        started = time.perf_counter()
        function(fresh)
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[int(len(durations) * 0.95) - 1]


async def _fields(projects: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        runtime = Runtime.create(Settings(database_url=url, redis_url=None))
        try:
            async with runtime.transaction() as session:
                unit_id = await build_unit(session, projects=projects, milestones_per_project=10)
                rows = list((await session.scalars(select(Project).where(Project.unit_id == unit_id))).all())
                return await _project_fields(session, rows, [p.id for p in rows])
        finally:
            await runtime.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench serialise")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    rows = []
    for label, projects, repeats in (
        ("a post: 1 project, 10 milestones", 1, args.repeats * 10),
        ("a snapshot: 200 projects, 2,000 milestones", 200, args.repeats // 10 or 1),
    ):
        found = asyncio.run(_fields(projects))
        assert _by_model(copy.deepcopy(found)) == _by_hand(copy.deepcopy(found))
        model = _time(_by_model, found, repeats)
        hand = _time(_by_hand, found, repeats)
        rows.append(
            [
                label,
                f"{model[0]:.3f} / {model[1]:.3f}",
                f"{hand[0]:.3f} / {hand[1]:.3f}",
                f"{model[0] / hand[0]:.1f}×",
            ]
        )
    body = table(
        ["what is serialised", "model_dump ms (median / p95)", "hand-built ms", "model ÷ hand"], rows
    )
    print(body)
    write_section("serialise", "## Serialising projects: pydantic against hand-built\n\n" + body)
