"""Two real app processes on PostgreSQL + Redis close the same milestone at the same moment: exactly one
close wins (issue 11: both got 200, with two "closed" rows and two events)."""

import asyncio
import json
from collections import Counter

import httpx
import psycopg
import pytest

from tests.realtime.scenario import arrange
from tests.services import REDIS_URL, AppProcess, app_env, free_port, postgres_database, redis_prefix

pytestmark = pytest.mark.multiprocess


@pytest.fixture
async def two_processes():
    with postgres_database() as url:
        env = app_env(url, REDIS_URL, redis_prefix(), PANTAU_BOOTSTRAP_ADMIN="admin:admin-password")
        processes = [AppProcess(env, free_port()), AppProcess(env, free_port())]
        try:
            await asyncio.gather(*(p.start() for p in processes))
            yield url, processes
        finally:
            await asyncio.gather(*(p.stop() for p in processes))


def _rows(url: str, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(query, params).fetchall()


async def test_two_processes_closing_one_milestone_at_once_one_wins(two_processes):
    url, (a, b) = two_processes
    async with (
        httpx.AsyncClient(base_url=f"http://{a.address}") as via_a,
        httpx.AsyncClient(base_url=f"http://{b.address}") as via_b,
    ):
        world = await arrange(via_a, projects=3)
        for project, milestone in world["projects"]:
            close = f"/api/v1/milestones/{milestone['id']}/close"
            responses = await asyncio.gather(
                via_a.post(close, json={"quality": 3}, headers=world["staff"]),
                via_b.post(close, json={"quality": 4}, headers=world["staff"]),
            )
            assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
            closed_rows = _rows(
                url,
                "SELECT count(*) FROM history WHERE entity = 'milestone' AND entity_id = %s AND action = 'closed'",
                milestone["id"],
            )
            assert closed_rows == [(1,)]
            events = Counter(
                board
                for board, message in _rows(
                    url, "SELECT board, message FROM board_event WHERE type = 'milestone.closed'"
                )
                if json.loads(message)["data"]["milestone"]["id"] == milestone["id"]
            )
            assert events == {f"project:{project['id']}": 1, f"unit:{world['unit']['id']}": 1}, events
