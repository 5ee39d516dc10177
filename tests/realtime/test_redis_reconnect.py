"""The Redis broker's one subscription per process comes back by itself after Redis restarts, and
what was published while it was away is caught up from the event log."""

import asyncio
import json

import pytest

from server.config import Settings
from server.realtime.events import record_event
from server.runtime import Runtime
from tests.realtime.sockets import RecordingSocket
from tests.services import RedisProcess, free_port, redis_prefix


@pytest.fixture
async def redis_server():
    server = await RedisProcess(free_port()).start()
    yield server
    await server.stop()


async def _runtime(settings: Settings, redis_url: str, prefix: str) -> Runtime:
    runtime = Runtime.create(settings.model_copy(update={"redis_url": redis_url, "redis_prefix": prefix}))
    await runtime.start()
    return runtime


async def _publish(runtime: Runtime, board: str, n: int) -> None:
    async with runtime.transaction() as session:
        await record_event(session, boards=[board], type="test.event", data={"n": n})


async def _received(socket: RecordingSocket, count: int) -> list[int]:
    return [json.loads(message)["seq"] for message in await socket.received(count, timeout=15)]


async def test_subscription_survives_a_redis_restart(settings, runtime, redis_server):
    prefix = redis_prefix()
    publisher = await _runtime(settings, redis_server.url, prefix)
    listener = await _runtime(settings, redis_server.url, prefix)
    board = "unit:424242"
    try:
        await asyncio.wait_for(listener.broker.subscribed.wait(), 10)
        socket = RecordingSocket()
        subscriber = listener.hub.subscribe(board, socket)
        await subscriber.channel.ready.wait()
        await subscriber.go_live(0)
        await _publish(publisher, board, 1)
        assert await _received(socket, 1) == [1]

        await redis_server.stop()
        await _publish(publisher, board, 2)  # committed; its publish fails while Redis is down
        await redis_server.start()

        # Nothing new is published: the restored subscription itself catches up from the log.
        assert await _received(socket, 2) == [1, 2]
        await asyncio.wait_for(listener.broker.subscribed.wait(), 15)
        await _publish(publisher, board, 3)
        assert await _received(socket, 3) == [1, 2, 3]
    finally:
        await publisher.stop()
        await listener.stop()
