"""The per-process fan-out puts events in order, drops duplicates and fills gaps from the log."""

import asyncio

from server.realtime.hub import Hub


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


def make_hub(log: Log, gap_wait: float = 0.01, queue_size: int = 100) -> Hub:
    return Hub(load_events=log.load_events, load_position=log.load_position, queue_size=queue_size, gap_wait=gap_wait)


async def drain(queue: asyncio.Queue, count: int) -> list[int]:
    return [(await asyncio.wait_for(queue.get(), 5))[0] for _ in range(count)]


async def test_out_of_order_publishes_reach_clients_in_order():
    log = Log(position=5)
    hub = make_hub(log, gap_wait=5)
    async with hub.subscribe("unit:1") as subscriber:
        await subscriber.channel.ready.wait()
        for seq in (7, 6, 8):
            hub.deliver("unit:1", seq, log.commit(seq))
        assert await drain(subscriber.queue, 3) == [6, 7, 8]
        assert log.reads == 0


async def test_duplicates_are_dropped():
    log = Log(position=0)
    hub = make_hub(log)
    async with hub.subscribe("unit:1") as subscriber:
        await subscriber.channel.ready.wait()
        message = log.commit(1)
        hub.deliver("unit:1", 1, message)
        hub.deliver("unit:1", 1, message)
        hub.deliver("unit:1", 2, log.commit(2))
        assert await drain(subscriber.queue, 2) == [1, 2]
        assert subscriber.queue.empty()


async def test_a_lost_event_is_read_from_the_log():
    log = Log(position=0)
    hub = make_hub(log)
    async with hub.subscribe("unit:1") as subscriber:
        await subscriber.channel.ready.wait()
        log.commit(1)  # committed, but its publish never arrives
        hub.deliver("unit:1", 2, log.commit(2))
        assert await drain(subscriber.queue, 2) == [1, 2]


async def test_catch_up_after_broker_reconnect_delivers_what_was_missed():
    log = Log(position=0)
    hub = make_hub(log)
    async with hub.subscribe("project:3") as subscriber:
        await subscriber.channel.ready.wait()
        log.commit(1)
        log.commit(2)
        await hub.catch_up_all()
        assert await drain(subscriber.queue, 2) == [1, 2]


async def test_events_before_the_channel_knows_its_position_are_not_lost():
    log = Log(position=3)
    hub = make_hub(log)
    async with hub.subscribe("unit:1") as subscriber:
        hub.deliver("unit:1", 3, "old")  # at or before the position the channel will read: dropped
        hub.deliver("unit:1", 4, "event 4")  # published before the channel has read its position (3)
        await subscriber.channel.ready.wait()
        assert await drain(subscriber.queue, 1) == [4]


async def test_full_queue_marks_subscriber_overflowed_and_spares_others():
    log = Log(position=0)
    hub = make_hub(log, queue_size=2)
    async with hub.subscribe("unit:1") as slow, hub.subscribe("unit:1") as fast:
        await slow.channel.ready.wait()
        for seq in (1, 2):
            hub.deliver("unit:1", seq, log.commit(seq))
        assert await drain(fast.queue, 2) == [1, 2]
        hub.deliver("unit:1", 3, log.commit(3))
        assert slow.overflowed.is_set() and not fast.overflowed.is_set()
        assert await drain(fast.queue, 1) == [3]


async def test_channel_is_forgotten_when_its_last_client_leaves():
    hub = make_hub(Log())
    async with hub.subscribe("unit:1"):
        assert "unit:1" in hub.channels
    assert "unit:1" not in hub.channels and hub.connection_count() == 0
