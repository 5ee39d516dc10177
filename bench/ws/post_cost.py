"""What one progress post costs the server, measured in process without the network or the boards:
`python -m bench.ws post-cost [--backend sqlite|postgres] [--posts N] [--blockers] [--profile FILE]`.

The app (`server.app.create_app`, its lifespan and runtime as `pantau serve` runs them) on a fresh database
(a SQLite file, or a fresh PostgreSQL database with Redis as the scaled system uses), an organisation like
the bench's (`servers.arrange_pantau`: a staff member who leads 10 projects of one milestone each), then
posts one after the other straight into the ASGI app, with the bench poster's bodies (progress `n % 101` with
a note; `--blockers`: each post reports a blocker too). Prints the CPU time and wall time per post and the
SQL statements per post (transaction control and PRAGMAs left out), and the Python function calls per
post (cProfile's exact count over `--calls` posts: unlike CPU time, not moved by a busy machine). `--profile FILE`: a pyinstrument profile
of the posting loop, as text (FILE.txt) and HTML (FILE.html).

The integrator's figure for issue 16 item 3 (the scaled post cost): `--backend postgres`, before and after."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@contextmanager
def statement_counter(engine: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(SKIPPED):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def _arrange(runtime: Any, projects: int) -> tuple[str, list[tuple[int, int]]]:
    from server.accounts.models import Role
    from tests import factories

    async with runtime.transaction() as db:
        admin_unit = await factories.make_unit(db, name="Sekretariat")
        admin = await factories.make_user(db, unit=admin_unit, role=Role.admin)
        unit = await factories.make_unit(db, name="Dinas PUPR")
        await factories.make_user(db, unit=unit, role=Role.leader, name="kadis")
        staff = await factories.make_user(db, unit=unit, name="asn")
        made = []
        for n in range(projects):
            project = await factories.make_project(db, by=admin, unit=unit, lead=staff, name=f"Jalan {n}")
            milestone = await factories.make_milestone(
                db, project=project, lead=staff, assignee_ids=[staff.id]
            )
            made.append((project.id, milestone.id))
    token = factories.auth(staff, runtime.secret_key)["Authorization"]
    return token, made


class AsgiPoster:
    """One POST straight into the ASGI app: the middleware, routing, dependencies and handler run as under
    uvicorn; only the HTTP parsing and the socket are left out."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        data = json.dumps(body).encode()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"authorization", self.token),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            await asyncio.Event().wait()  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def _body(n: int, milestone_id: int, blockers: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"milestone_id": milestone_id, "progress_pct": n % 101, "note": f"bench {n}"}
    if blockers:
        body["blockers"] = f"kendala {n}"
    return body


async def measure(url: str, redis_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    from server.app import create_app
    from server.config import Settings
    from server.migrate import upgrade
    from tests.services import redis_prefix

    upgrade(url)
    settings = Settings(database_url=url, redis_url=redis_url, redis_prefix=redis_prefix(), scheduler=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        token, projects = await _arrange(runtime, 10)
        poster = AsgiPoster(app, token)

        async def one(n: int) -> None:
            project_id, milestone_id = projects[n % len(projects)]
            status, answer = await poster.post(
                f"/api/v1/projects/{project_id}/updates", _body(n, milestone_id, args.blockers)
            )
            assert status == 201, answer

        for n in range(args.warm_up):
            await one(n)
        with statement_counter(runtime.engine) as statements:
            await one(args.warm_up)
        per_post = len(statements)
        gc.collect()
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005, async_mode="disabled")
            profiler.start()
        calls = 0.0
        if args.calls:
            # Python function calls per post (cProfile counts them exactly): a figure that, unlike CPU time,
            # a busy machine does not move.
            import cProfile
            import pstats

            counting = cProfile.Profile()
            counting.enable()
            for n in range(args.warm_up + 1, args.warm_up + 1 + args.calls):
                await one(n)
            counting.disable()
            calls = pstats.Stats(counting).total_calls / args.calls  # type: ignore[attr-defined]
        cpu: list[float] = []
        wall: list[float] = []
        first = args.warm_up + 1 + args.calls
        for n in range(first, first + args.posts):
            started_cpu, started = time.process_time(), time.perf_counter()
            await one(n)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
        if profiler is not None:
            profiler.stop()
            with open(f"{args.profile}.txt", "w") as out:
                out.write(profiler.output_text(unicode=True, color=False, show_all=False))
            with open(f"{args.profile}.html", "w") as out:
                out.write(profiler.output_html())
    return {
        "calls": calls,
        "statements": per_post,
        "statement_text": statements,
        "cpu_ms_mean": 1000 * statistics.fmean(cpu),
        "cpu_ms_median": 1000 * statistics.median(cpu),
        "wall_ms_median": 1000 * statistics.median(wall),
        "wall_ms_p99": 1000 * sorted(wall)[int(len(wall) * 0.99) - 1],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.services import REDIS_URL, postgres_database

    if args.backend == "postgres":
        with postgres_database() as url:
            return await measure(url, REDIS_URL, args)
    with tempfile.TemporaryDirectory(prefix="pantau-post-cost-") as folder:
        return await measure(f"sqlite:///{folder}/pantau.db", None, args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ws post-cost")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--warm-up", type=int, default=200)
    parser.add_argument("--blockers", action="store_true", help="every post reports a blocker")
    parser.add_argument("--profile", help="write a pyinstrument profile to PROFILE.txt and PROFILE.html")
    parser.add_argument("--show-statements", action="store_true")
    parser.add_argument(
        "--calls", type=int, default=200, help="posts counted under cProfile for the calls per post (0: none)"
    )
    args = parser.parse_args(argv)
    from bench.ws.machine import use_uvloop

    use_uvloop()
    result = asyncio.run(run(args))
    print(
        f"{args.backend}{' with blockers' if args.blockers else ''}: {result['statements']} statements per post,"
        f" CPU {result['cpu_ms_mean']:.2f} ms mean / {result['cpu_ms_median']:.2f} ms median per post,"
        f" wall {result['wall_ms_median']:.2f} ms median, {result['wall_ms_p99']:.2f} ms p99"
        f" ({args.posts} posts one after the other)"
        + (f"; {result['calls']:,.0f} Python function calls per post" if args.calls else "")
    )
    if args.show_statements:
        print("\n\n".join(result["statement_text"]))
