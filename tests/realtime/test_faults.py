"""Faults Pantau survives: Redis restarting and an app process killed while boards watch and updates
are posted across two processes; the database refusing connections for a while."""

import asyncio
import os
import signal

import httpx
import psycopg
import pytest

from tests.realtime.scenario import arrange
from tests.realtime.watchers import Poster, Watcher
from tests.services import (
    AppProcess,
    RedisProcess,
    TcpProxy,
    app_env,
    free_port,
    postgres_database,
    redis_prefix,
)

pytestmark = pytest.mark.multiprocess

POSTS = 60


@pytest.fixture
async def cluster():
    """Two app processes on a fresh PostgreSQL database and a private Redis this test may restart."""
    redis_server = await RedisProcess(free_port()).start()
    with postgres_database() as url:
        env = app_env(url, redis_server.url, redis_prefix(), PANTAU_BOOTSTRAP_ADMIN="admin:admin-password")
        processes = [AppProcess(env, free_port()), AppProcess(env, free_port())]
        try:
            await asyncio.gather(*(p.start() for p in processes))
            yield processes, redis_server, url
        finally:
            await asyncio.gather(*(p.stop() for p in processes))
            await redis_server.stop()


async def _settle(
    watchers: list[Watcher], expected: set[int], stop: asyncio.Event, timeout: float = 60
) -> None:
    async def everyone_has_all() -> None:
        while not all(expected <= set(w.updates) for w in watchers):
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(everyone_has_all(), timeout)
    except TimeoutError:
        state = [(len(expected - set(w.updates)), w.since, w.reconnects) for w in watchers]
        raise AssertionError(
            f"boards still missing updates (missing, last seq, reconnects): {state}"
        ) from None
    finally:
        stop.set()


def _check(watchers: list[Watcher], poster: Poster, database_url: str) -> None:
    with psycopg.connect(database_url) as db:
        stored = {row[0] for row in db.execute("SELECT id FROM progress_update")}
    assert set(poster.created) == stored and len(poster.created) == POSTS
    for watcher in watchers:
        assert watcher.consecutive(), "a board saw a gap or a repeat"
        assert sorted(watcher.updates) == sorted(stored), "a board missed or doubled an update"
        assert watcher.snapshots_after_start == 0


async def test_redis_restart_loses_and_doubles_nothing(cluster):
    (a, b), redis_server, url = cluster
    async with httpx.AsyncClient(base_url=f"http://{a.address}") as http:
        world = await arrange(http)
    servers = [a.address, b.address]
    stop = asyncio.Event()
    watchers = [Watcher([servers[n % 2]], ("unit", world["unit"]["id"]), world["leader"]) for n in range(6)]
    tasks = await Watcher.start_all(watchers, stop)
    poster = Poster(
        servers,
        f"/api/v1/projects/{world['project']['id']}/updates",
        world["staff"],
        world["milestone"]["id"],
    )
    for n in range(POSTS):
        if n == POSTS // 3:
            await redis_server.stop()
        if n == 2 * POSTS // 3:
            await redis_server.start()
        await poster.post(n)
    await _settle(watchers, set(poster.created), stop)
    await asyncio.gather(*tasks)
    _check(watchers, poster, url)


async def test_killed_process_boards_resume_on_the_other(cluster):
    (a, b), _, url = cluster
    async with httpx.AsyncClient(base_url=f"http://{b.address}") as http:
        world = await arrange(http)
    stop = asyncio.Event()
    watchers = [
        Watcher([a.address, b.address], ("unit", world["unit"]["id"]), world["leader"]) for _ in range(4)
    ]
    tasks = await Watcher.start_all(watchers, stop)
    poster = Poster(
        [b.address],
        f"/api/v1/projects/{world['project']['id']}/updates",
        world["staff"],
        world["milestone"]["id"],
    )
    for n in range(POSTS):
        if n == POSTS // 2:
            os.kill(a.process.pid, signal.SIGKILL)
        await poster.post(n)
    await _settle(watchers, set(poster.created), stop)
    await asyncio.gather(*tasks)
    assert all(w.reconnects >= 1 for w in watchers)
    _check(watchers, poster, url)


async def test_database_refusing_connections_gives_503_then_recovers():
    with postgres_database() as url:
        proxy = await TcpProxy(free_port(), ("127.0.0.1", 5432)).start()
        proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        app = AppProcess(
            app_env(proxied, None, redis_prefix(), PANTAU_BOOTSTRAP_ADMIN="admin:admin-password"), free_port()
        )
        await app.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://{app.address}", timeout=30) as http:
                world = await arrange(http)
                updates = f"/api/v1/projects/{world['project']['id']}/updates"
                body = {"milestone_id": world["milestone"]["id"], "progress_pct": 10}
                assert (await http.post(updates, json=body, headers=world["staff"])).status_code == 201
                await proxy.stop()
                refused = await http.post(updates, json=body | {"progress_pct": 20}, headers=world["staff"])
                assert refused.status_code == 503 and "detail" in refused.json()
                assert (await http.get("/healthz")).status_code == 503
                await proxy.start()
                recovered = await http.post(updates, json=body | {"progress_pct": 30}, headers=world["staff"])
                assert recovered.status_code == 201
        finally:
            await app.stop()
            await proxy.stop()
        with psycopg.connect(url) as db:
            stored = [row[0] for row in db.execute("SELECT progress_pct FROM progress_update ORDER BY id")]
        assert stored == [10, 30], "the refused request must have written nothing"
