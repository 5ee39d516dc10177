"""The per-process fan-out puts events in order, drops duplicates, fills gaps from the log, writes to
clients directly while their sockets take it, and never lets a slow client hold up the others."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server.realtime.hub import Hub, Subscriber
from tests.realtime.sockets import RecordingSocket


class Log:
    """Stands in for the event log table: the events committed so far."""

    def __init__(self, position: int = 0) -> None:
        self.events: dict[int, str] = {}
        self.position = position
        self.reads = 0

    def commit(self, seq: int) -> str:
        self.events[seq] = f"event {seq}"
        self.position = max(self.position, seq)
        return self.events[seq]

    async def load_events(self, board: str, after: int, upto: int | None) -> list[tuple[int, str]]:
        self.reads += 1
        return [(s, m) for s, m in sorted(self.events.items()) if s > after and (upto is None or s <= upto)]

    async def load_position(self, board: str) -> int:
        return self.position

    async def load_positions(self, boards: list[str]) -> dict[str, int]:
        return {board: self.position for board in boards}


def make_hub(log: Log, gap_wait: float = 0.01, queue_size: int = 100) -> Hub:
    return Hub(
        load_events=log.load_events,
        load_position=log.load_position,
        load_positions=log.load_positions,
        queue_size=queue_size,
        gap_wait=gap_wait,
    )


async def seqs(socket: RecordingSocket, count: int) -> list[int]:
    return [int(message.split()[1]) for message in await socket.received(count)]


@asynccontextmanager
async def live(hub: Hub, board: str, last: int) -> AsyncIterator[tuple[Subscriber, RecordingSocket]]:
    """A client of `board` whose opening messages ended at seq `last`."""
    socket = RecordingSocket()
    subscriber = socket.subscriber = hub.subscribe(board, socket)
    try:
        await subscriber.channel.ready.wait()
        await subscriber.go_live(last)
        yield subscriber, socket
    finally:
        hub.unsubscribe(subscriber)


async def test_out_of_order_publishes_reach_clients_in_order():
    log = Log(position=5)
    hub = make_hub(log, gap_wait=5)
    async with live(hub, "unit:1", 5) as (_, socket):
        for seq in (7, 6, 8):
            hub.deliver("unit:1", seq, log.commit(seq))
        assert await seqs(socket, 3) == [6, 7, 8]
        assert log.reads == 0


async def test_duplicates_are_dropped():
    log = Log(position=0)
    hub = make_hub(log)
    async with live(hub, "unit:1", 0) as (_, socket):
        message = log.commit(1)
        hub.deliver("unit:1", 1, message)
        hub.deliver("unit:1", 1, message)
        hub.deliver("unit:1", 2, log.commit(2))
        assert await seqs(socket, 2) == [1, 2]
        assert len(socket.messages) == 2


async def test_a_lost_event_is_read_from_the_log():
    log = Log(position=0)
    hub = make_hub(log)
    async with live(hub, "unit:1", 0) as (_, socket):
        log.commit(1)  # committed, but its publish never arrives
        hub.deliver("unit:1", 2, log.commit(2))
        assert await seqs(socket, 2) == [1, 2]


async def test_catch_up_after_broker_reconnect_delivers_what_was_missed():
    log = Log(position=0)
    hub = make_hub(log)
    async with live(hub, "project:3", 0) as (_, socket):
        log.commit(1)
        log.commit(2)
        await hub.catch_up_all()
        assert await seqs(socket, 2) == [1, 2]


async def test_a_lost_event_reaches_a_quiet_board_at_the_next_position_check():
    log = Log(position=0)
    hub = make_hub(log)
    async with live(hub, "unit:1", 0) as (_, socket):
        log.commit(1)  # committed, its publish lost, and no later event reveals the gap
        await hub.check_positions()
        assert await seqs(socket, 1) == [1]


async def test_an_event_on_its_way_at_the_position_check_is_not_read_from_the_log():
    log = Log(position=0)
    hub = make_hub(log, gap_wait=0.01)
    async with live(hub, "unit:1", 0) as (subscriber, socket):
        message = log.commit(1)
        await hub.check_positions()  # the database is ahead: event 1 is committed, not yet delivered
        hub.deliver("unit:1", 1, message)
        gap_check = subscriber.channel._gap_task
        assert gap_check is not None
        await gap_check
        assert await seqs(socket, 1) == [1] and log.reads == 0


async def test_events_before_the_channel_knows_its_position_are_not_lost():
    log = Log(position=3)
    hub = make_hub(log)
    socket = RecordingSocket()
    subscriber = hub.subscribe("unit:1", socket)
    hub.deliver("unit:1", 3, "old")  # at or before the position the channel will read: dropped
    hub.deliver("unit:1", 4, "event 4")  # published before the channel has read its position (3)
    await subscriber.channel.ready.wait()
    await subscriber.go_live(3)
    assert await seqs(socket, 1) == [4]


async def test_events_wait_in_order_while_a_socket_is_full_and_flow_again_after():
    log = Log(position=0)
    hub = make_hub(log)
    async with live(hub, "unit:1", 0) as (subscriber, socket):
        hub.deliver("unit:1", 1, log.commit(1))
        assert socket.messages == ["event 1"], "written straight from the fan-out, no task in between"
        socket.fill()
        for seq in (2, 3, 4):
            hub.deliver("unit:1", seq, log.commit(seq))
        assert len(subscriber.backlog) == 3 and len(socket.messages) == 1, "nothing more on a full socket"
        socket.drain()
        assert socket.messages == ["event 1", "event 2", "event 3", "event 4"]
        hub.deliver("unit:1", 5, log.commit(5))
        assert socket.messages[-1] == "event 5" and not subscriber.backlog


async def test_a_client_too_far_behind_is_marked_overflowed_and_spares_others():
    log = Log(position=0)
    hub = make_hub(log, queue_size=2)
    async with live(hub, "unit:1", 0) as (slow, slow_socket), live(hub, "unit:1", 0) as (fast, fast_socket):
        slow_socket.fill()
        for seq in (1, 2):  # the full socket takes nothing more: both wait in the backlog
            hub.deliver("unit:1", seq, log.commit(seq))
        assert not slow.overflowed and len(slow.backlog) == 2
        hub.deliver("unit:1", 3, log.commit(3))
        assert slow.overflowed and slow_socket.closed_too_slow and not fast.overflowed
        assert not slow.backlog, "its backlog is let go at once"
        hub.deliver("unit:1", 4, log.commit(4))
        assert slow_socket.messages == [] and not slow.backlog
        assert await seqs(fast_socket, 4) == [1, 2, 3, 4]


async def test_going_live_sends_what_arrived_during_the_opening_and_fills_gaps_from_the_log():
    log = Log(position=2)
    hub = make_hub(log, gap_wait=5)
    socket = RecordingSocket()
    subscriber = hub.subscribe("unit:1", socket)
    await subscriber.channel.ready.wait()
    # While the snapshot (at position 1, shared with a board that opened earlier) is sent, 3 and 4
    # arrive; 2 was handed out before this client subscribed.
    log.commit(2)
    for seq in (3, 4):
        hub.deliver("unit:1", seq, log.commit(seq))
    assert socket.messages == [], "nothing is written before the opening messages"
    await subscriber.go_live(1)
    assert await seqs(socket, 3) == [2, 3, 4]
    hub.deliver("unit:1", 5, log.commit(5))
    assert await seqs(socket, 4) == [2, 3, 4, 5]


async def test_channel_is_forgotten_when_its_last_client_leaves():
    hub = make_hub(Log())
    subscriber = hub.subscribe("unit:1", RecordingSocket())
    assert "unit:1" in hub.channels
    hub.unsubscribe(subscriber)
    assert "unit:1" not in hub.channels and hub.connection_count() == 0
