"""Events queued in a transaction that rolls back are never published: the seq they took is handed
out again, and the real event that gets it must reach the boards."""

import json
from collections.abc import AsyncIterator

import pytest

from server.errors import Invalid
from server.pages.forms import attempt
from server.realtime.events import record_event
from server.runtime import Runtime
from tests.realtime.sockets import RecordingSocket

BOARD = "unit:515151"


@pytest.fixture
async def board(runtime: Runtime) -> AsyncIterator[RecordingSocket]:
    """A client of BOARD on the test process's hub, live from position 0."""
    socket = RecordingSocket()
    subscriber = socket.subscriber = runtime.hub.subscribe(BOARD, socket)
    await subscriber.channel.ready.wait()
    await subscriber.go_live(0)
    yield socket
    runtime.hub.unsubscribe(subscriber)


async def _events(socket: RecordingSocket, count: int) -> list[tuple[int, str]]:
    return [(m["seq"], m["type"]) for m in map(json.loads, await socket.received(count))]


async def test_a_form_attempt_that_is_refused_publishes_none_of_its_events(runtime, board):
    async with runtime.transaction() as session:

        async def refused() -> None:
            await record_event(session, boards=[BOARD], type="test.refused", data={})
            raise Invalid("a rule the input breaks")

        _, problem = await attempt(refused, session=session)
        assert problem == "a rule the input breaks"
        await record_event(session, boards=[BOARD], type="test.kept", data={})
    async with runtime.transaction() as session:
        await record_event(session, boards=[BOARD], type="test.next", data={})
    assert await _events(board, 2) == [(1, "test.kept"), (2, "test.next")]
    assert len(board.messages) == 2


async def test_a_rolled_back_savepoint_drops_its_events_and_keeps_the_earlier_ones(runtime, board):
    async with runtime.transaction() as session:
        await record_event(session, boards=[BOARD], type="test.before", data={})
        savepoint = await session.begin_nested()
        await record_event(session, boards=[BOARD], type="test.inside", data={})
        await savepoint.rollback()
        await record_event(session, boards=[BOARD], type="test.after", data={})
    assert await _events(board, 2) == [(1, "test.before"), (2, "test.after")]


async def test_a_failed_unit_of_work_publishes_nothing(runtime, board):
    with pytest.raises(Invalid):
        async with runtime.transaction() as session:
            await record_event(session, boards=[BOARD], type="test.failed", data={})
            raise Invalid("refused")
    async with runtime.transaction() as session:
        await record_event(session, boards=[BOARD], type="test.next", data={})
    assert await _events(board, 1) == [(1, "test.next")]
