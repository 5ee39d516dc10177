"""Two real app processes on PostgreSQL + Redis: a board on either sees every event exactly once."""

import asyncio
import random

import httpx
import pytest

from tests.realtime.boards import open_board, receive
from tests.realtime.scenario import arrange
from tests.services import REDIS_URL, AppProcess, app_env, free_port, postgres_database, redis_prefix

pytestmark = pytest.mark.multiprocess


@pytest.fixture
async def two_processes():
    with postgres_database() as url:
        env = app_env(url, REDIS_URL, redis_prefix(), PANTAU_BOOTSTRAP_ADMIN="admin:admin-password")
        # Both start at once on an empty database: migrations must not trip over each other.
        processes = [AppProcess(env, free_port()), AppProcess(env, free_port())]
        try:
            await asyncio.gather(*(p.start() for p in processes))
            yield processes
        finally:
            await asyncio.gather(*(p.stop() for p in processes))


async def test_event_crosses_processes_and_since_replay_loses_nothing(two_processes):
    a, b = two_processes
    async with (
        httpx.AsyncClient(base_url=f"http://{a.address}") as via_a,
        httpx.AsyncClient(base_url=f"http://{b.address}") as via_b,
    ):
        world = await arrange(via_a)
        updates_url = f"/api/v1/projects/{world['project']['id']}/updates"

        async def post(http: httpx.AsyncClient, pct: int) -> int:
            body = {"milestone_id": world["milestone"]["id"], "progress_pct": pct}
            response = await http.post(updates_url, json=body, headers=world["staff"])
            assert response.status_code == 201, response.text
            return response.json()["id"]

        async with open_board(b.address, "unit", world["unit"]["id"], world["leader"]) as board_on_b:
            snapshot = await receive(board_on_b)
            assert snapshot["type"] == "snapshot"
            posted = await post(via_a, 10)
            event = await receive(board_on_b)
            assert event["type"] == "progress.posted" and event["seq"] == snapshot["seq"] + 1
            assert event["data"]["update"]["id"] == posted
            last_seen = event["seq"]

        missed = [await post(via_a, 20), await post(via_b, 30), await post(via_a, 40)]
        async with open_board(
            a.address, "unit", world["unit"]["id"], world["leader"], since=last_seen
        ) as board_on_a:
            replayed = [await receive(board_on_a) for _ in missed]
            assert [m["seq"] for m in replayed] == [last_seen + 1, last_seen + 2, last_seen + 3]
            assert [m["data"]["update"]["id"] for m in replayed] == missed
            live = await post(via_b, 50)
            after = await receive(board_on_a)
            assert after["seq"] == last_seen + 4 and after["data"]["update"]["id"] == live


async def test_board_dropped_at_random_moments_sees_every_event_once(two_processes):
    a, b = two_processes
    rng = random.Random(20261128)
    async with (
        httpx.AsyncClient(base_url=f"http://{a.address}") as via_a,
        httpx.AsyncClient(base_url=f"http://{b.address}") as via_b,
    ):
        world = await arrange(via_a)
        updates_url = f"/api/v1/projects/{world['project']['id']}/updates"
        total = 40
        posted: list[int] = []

        async def writer(http: httpx.AsyncClient, pcts: range) -> None:
            for pct in pcts:
                body = {"milestone_id": world["milestone"]["id"], "progress_pct": pct, "note": "naik turun"}
                response = await http.post(updates_url, json=body, headers=world["staff"])
                assert response.status_code == 201, response.text
                posted.append(response.json()["id"])

        seen_seqs: list[int] = []
        seen_updates: list[int] = []

        # The snapshot is taken before any update is posted, so every update must arrive as an event.
        async with open_board(b.address, "unit", world["unit"]["id"], world["leader"]) as ws:
            start = (await receive(ws))["seq"]

        async def reader() -> None:
            since = start
            while len(seen_updates) < total:
                server = rng.choice([a, b])
                async with open_board(
                    server.address, "unit", world["unit"]["id"], world["leader"], since=since
                ) as ws:
                    for _ in range(rng.randint(1, 6)):
                        message = await receive(ws)
                        assert message["type"] == "progress.posted", (
                            "a replayable since must not get a snapshot"
                        )
                        seen_seqs.append(message["seq"])
                        seen_updates.append(message["data"]["update"]["id"])
                        since = message["seq"]
                        if len(seen_updates) == total:
                            break

        async with asyncio.timeout(120):
            await asyncio.gather(writer(via_a, range(0, 40, 2)), writer(via_b, range(1, 40, 2)), reader())
        assert seen_seqs == list(range(start + 1, start + 1 + total)), "gaps or repeats in seq"
        assert sorted(seen_updates) == sorted(posted) and len(set(seen_updates)) == total
