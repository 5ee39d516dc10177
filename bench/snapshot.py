"""What opening a large unit board costs the server: 200 projects with 2,000 milestones.

Times what the board socket does before its first message: `board_view` (the board's position and
`unit_snapshot`, from one view of the database) and serialising the snapshot message, on SQLite and
on PostgreSQL. Target: under 100 ms. The query count is pinned by tests/realtime/test_snapshot_queries.py."""

import argparse
import asyncio
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.report import table, write_section
from server.config import Settings
from server.migrate import upgrade
from server.projects.boards import board_view
from server.runtime import Runtime
from tests.realtime.test_snapshot_queries import build_unit
from tests.services import postgres_database

TARGET_MS = 100.0


async def measure(url: str, repeats: int) -> tuple[list[float], int]:
    upgrade(url)
    runtime = Runtime.create(Settings(database_url=url, redis_url=None))
    try:
        async with runtime.transaction() as session:
            unit_id = await build_unit(session, projects=200, milestones_per_project=10)
        # As the app's lifespan does after start-up (server/app.py): without it every full collection
        # walks the import-time objects, a ~65 ms pause in one snapshot out of seven here that the
        # served app does not have.
        gc.collect()
        gc.freeze()
        durations, size = [], 0
        for n in range(repeats + 3):
            started = time.perf_counter()
            position, data = await board_view(runtime.read_sessionmaker, "unit", unit_id)
            message = json.dumps(
                {"seq": position, "type": "snapshot", "scope": f"unit:{unit_id}", "data": data},
                separators=(",", ":"),
                ensure_ascii=False,
            )
            elapsed = (time.perf_counter() - started) * 1000
            if n >= 3:  # the first few warm the statement cache and the connection pool
                durations.append(elapsed)
            size = len(message.encode())
        return durations, size
    finally:
        gc.unfreeze()
        await runtime.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench snapshot")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    rows = []
    for backend in args.backends.split(","):
        if backend == "postgres":
            with postgres_database() as url:
                durations, size = asyncio.run(measure(url, args.repeats))
        else:
            with tempfile.TemporaryDirectory() as folder:
                durations, size = asyncio.run(measure(f"sqlite:///{Path(folder) / 'bench.db'}", args.repeats))
        median = statistics.median(durations)
        p90 = sorted(durations)[int(len(durations) * 0.9)]
        rows.append(
            [
                backend,
                f"{median:.1f}",
                f"{p90:.1f}",
                f"{max(durations):.1f}",
                f"{size / 1024:.0f}",
                "met" if p90 < TARGET_MS else "MISSED",
            ]
        )
    body = table(
        [
            "backend",
            "median (ms)",
            "p90 (ms)",
            "max (ms)",
            "snapshot message (KiB)",
            f"p90 < {TARGET_MS:.0f} ms",
        ],
        rows,
    )
    body += (
        "\n\nA unit board with 200 projects and 2,000 milestones: the board's position and snapshot "
        "(`board_view`) plus serialising the message, as a connecting board costs it; "
        f"{args.repeats} repeats after 3 warm-ups in one process, with the start-up objects frozen out of the "
        "garbage collector as the app does. Load average at the start "
        f"{load[0]:.2f} (the machine may be shared). The query count is fixed by "
        "tests/realtime/test_snapshot_queries.py (9 statements for 20 or 200 projects). Where the time goes and "
        "what to change: the notes of `python -m bench ws` on live boards."
    )
    print(body)
    if not args.no_write:
        write_section("snapshot", "## Opening a large unit board: snapshot render time\n\n" + body)


if __name__ == "__main__":
    main()
