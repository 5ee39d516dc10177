"""A Redis that stays connected but stops answering (here: a proxy that stops forwarding) costs a write
nothing, is noticed by the subscription within seconds, and boards on other processes still get every
event: from the log while Redis is paused, through Redis again once it answers."""

import asyncio
import json
import time

import httpx
import pytest

from server.app import create_app
from server.runtime import Runtime
from tests.realtime.sockets import RecordingSocket
from tests.services import redis_prefix

# "A write costs nothing" is measured in wall time: these run alone, after the main passes (scripts/test).
pytestmark = pytest.mark.timing


async def _until(condition, timeout: float) -> float:
    """Wait until `condition()` holds; returns how long it took."""
    started = time.monotonic()

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)
    return time.monotonic() - started


async def test_writes_stay_fast_and_boards_catch_up_while_redis_is_paused(
    settings, world, setup, paused_redis
):
    configured = settings.model_copy(update={"redis_url": paused_redis.url, "redis_prefix": redis_prefix()})
    writer_app = create_app(configured)  # the process that takes the posts
    listener = Runtime.create(configured)  # another process, with a board open
    board = f"project:{setup.project.id}"
    socket = RecordingSocket()
    async with (
        writer_app.router.lifespan_context(writer_app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=writer_app), base_url="http://test") as http,
    ):
        await listener.start()
        try:
            await asyncio.wait_for(listener.broker.subscribed.wait(), 10)
            subscriber = socket.subscriber = listener.hub.subscribe(board, socket)
            await subscriber.channel.ready.wait()
            await subscriber.go_live(subscriber.channel.position or 0)

            async def post(pct: int) -> float:
                started = time.monotonic()
                response = await http.post(
                    f"/api/v1/projects/{setup.project.id}/updates",
                    json={"milestone_id": setup.milestone.id, "progress_pct": pct},
                    headers=world.auth(world.member),
                )
                assert response.status_code == 201, response.text
                return time.monotonic() - started

            def seqs() -> list[int]:
                return [json.loads(message)["seq"] for message in socket.messages]

            await post(10)
            await _until(lambda: len(socket.messages) == 1, 5)

            paused_redis.pause()
            durations = [await post(pct) for pct in (20, 30, 40)]
            assert max(durations) < 0.5, f"a post waited for the paused Redis: {durations}"
            caught_up = await _until(lambda: len(socket.messages) == 4, 10)
            assert caught_up < 5, "the other process's board read the events from the log within seconds"
            noticed = await _until(lambda: not listener.broker.subscribed.is_set(), 10)
            assert noticed < 6, "the subscription noticed that Redis stopped answering"

            paused_redis.resume()
            await asyncio.wait_for(listener.broker.subscribed.wait(), 15)
            log_reads: list[int] = []
            load_events = listener.hub.load_events

            async def counted(board: str, after: int, upto: int | None) -> list[tuple[int, str]]:
                log_reads.append(after)
                return await load_events(board, after, upto)

            listener.hub.load_events = counted
            await post(50)
            await _until(lambda: len(socket.messages) == 5, 5)
            assert log_reads == [], "after Redis resumed, the event came through Redis, not from the log"
            first = seqs()[0]
            assert seqs() == list(range(first, first + 5)), "every event once, in order"
        finally:
            await listener.stop()
