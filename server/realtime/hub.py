"""Per-process fan-out of board events to connected clients.

One broker subscription per process delivers every event here. For each board with at least one
client, a BoardChannel puts events back in sequence order (publishes from concurrent transactions can
arrive out of order, and Redis can drop messages while it restarts), fills any gap from the event log,
and hands each event's frame, built once, to every client (see Subscriber).

Every second or so the hub also reads the positions of all its open boards in one query
(`watch_positions`): a board whose event never arrived (its publish failed, Redis dropped it) reads it
from the log then, even when no later event comes along to reveal the gap."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from websockets.frames import Frame, Opcode

from server.realtime.access import AccessWatch, Viewer

log = logging.getLogger(__name__)

LoadEvents = Callable[[str, int, int | None], Awaitable[list[tuple[int, str]]]]
LoadPosition = Callable[[str], Awaitable[int]]
LoadPositions = Callable[[list[str]], Awaitable[dict[str, int]]]
T = TypeVar("T")
OPENINGS_AT_ONCE = 4


class ClientSocket(Protocol):
    """What the hub needs of a client's connection (server/realtime/socket.py's BoardConnection)."""

    @property
    def full(self) -> bool:
        """True while the socket's send buffer is over its limit (a slow phone, a dead wall screen)."""

    def write(self, frame: bytes) -> None: ...

    async def send(self, frame: bytes) -> None:
        """Write, then wait until the socket has room again."""

    def close_too_slow(self) -> None: ...


class Subscriber:
    """One connected client.

    Each event's WebSocket frame is built once per board (BoardChannel) and written to every client's
    socket straight from the fan-out loop, with no task or queue per client. Only while a client's
    socket is full, or its opening messages are still going out, do its events wait in a bounded
    backlog; a client that falls further behind is closed (4008) and never delays the others."""

    __slots__ = ("channel", "maxsize", "socket", "viewer", "backlog", "live", "overflowed")

    def __init__(
        self, channel: "BoardChannel", maxsize: int, socket: ClientSocket, viewer: Viewer | None = None
    ) -> None:
        self.channel = channel
        self.maxsize = maxsize
        self.socket = socket
        self.viewer = viewer  # who opened it, watched while it is open (server/realtime/access.py)
        # A list, not a deque: it is short and usually empty, and an empty deque costs ~600 bytes a board.
        self.backlog: list[tuple[int, bytes]] = []
        self.live = False  # until go_live, every event waits in the backlog
        self.overflowed = False

    def offer(self, seq: int, frame: bytes) -> None:
        if self.overflowed:
            return
        if self.live and not self.backlog and not self.socket.full:
            self.socket.write(frame)
        elif len(self.backlog) < self.maxsize:
            self.backlog.append((seq, frame))
        else:
            self.overflowed = True
            self.backlog.clear()
            self.socket.close_too_slow()

    def socket_has_room(self) -> None:
        while self.live and self.backlog and not self.socket.full:
            self.socket.write(self.backlog.pop(0)[1])

    async def go_live(self, last: int) -> None:
        """Send what this client missed while its opening messages went out (they ended at seq `last`),
        then let the fan-out write to its socket directly. Call once the channel is ready."""
        # A snapshot shared with boards that opened earlier can be older than what the channel has
        # already handed out; those events never reached this backlog, so they come from the log.
        last = await self._send_logged(last, self.channel.position or 0)
        while self.backlog and not self.overflowed:
            seq, frame = self.backlog.pop(0)
            if seq <= last:
                continue
            last = await self._send_logged(last, seq - 1)
            await self.socket.send(frame)
            last = seq
        self.live = True  # no await since the backlog was seen empty, so nothing can slip in between

    async def _send_logged(self, after: int, upto: int) -> int:
        """Send the logged events after `after` up to `upto`; returns the last seq sent."""
        if upto > after:
            for seq, message in await self.channel.hub.load_events(self.channel.board, after, upto):
                await self.socket.send(text_frame(message))
                after = seq
        return after


def text_frame(message: str) -> bytes:
    """A server's WebSocket text frame (servers do not mask), the same bytes for every client."""
    return Frame(Opcode.TEXT, message.encode()).serialize(mask=False)


class BoardChannel:
    def __init__(self, hub: "Hub", board: str) -> None:
        self.hub = hub
        self.board = board
        self.position: int | None = None
        self.ready = asyncio.Event()
        self.pending: dict[int, str] = {}
        # The position the database reported for this board at the last check (`Hub.check_positions`).
        self.expected = 0
        self.subscribers: set[Subscriber] = set()
        self._gap_task: asyncio.Task[None] | None = None
        self._init_task = asyncio.get_running_loop().create_task(self._initialise())

    async def _initialise(self) -> None:
        while True:
            try:
                self.position = await self.hub.load_position(self.board)
                break
            except Exception:  # the database may be briefly away; the board waits, it does not fail
                log.warning("board %s: cannot read its position yet, retrying", self.board, exc_info=True)
                await asyncio.sleep(1)
        self.ready.set()
        self._drain()

    def deliver(self, seq: int, message: str) -> None:
        if self.position is not None and seq <= self.position:
            return
        self.pending[seq] = message
        if self.position is not None:
            self._drain()

    def _drain(self) -> None:
        assert self.position is not None
        for seq in [s for s in self.pending if s <= self.position]:
            del self.pending[seq]
        while (self.position + 1) in self.pending:
            self.position += 1
            frame = text_frame(self.pending.pop(self.position))
            for subscriber in self.subscribers:
                subscriber.offer(self.position, frame)
        if self.pending:
            self._watch_gap()

    def expect(self, seq: int) -> None:
        """The database says the board is at `seq`: if that event has not arrived by the gap wait
        (it may be on its way), read it from the log."""
        self.expected = max(self.expected, seq)
        if self.position is not None and seq > self.position:
            self._watch_gap()

    def _missing(self) -> bool:
        return self.position is not None and (bool(self.pending) or self.position < self.expected)

    def _watch_gap(self) -> None:
        if self._gap_task is None or self._gap_task.done():
            self._gap_task = asyncio.get_running_loop().create_task(self._fill_gap())

    async def _fill_gap(self) -> None:
        await asyncio.sleep(self.hub.gap_wait)
        if self._missing():  # the late event usually arrives meanwhile: no query then
            await self.catch_up()

    async def catch_up(self) -> None:
        """Read whatever this process missed from the event log (after a gap or a broker reconnect)."""
        if self.position is None:
            return
        try:
            missed = await self.hub.load_events(self.board, self.position, None)
        except Exception:
            log.warning("board %s: cannot read missed events yet", self.board, exc_info=True)
            self._gap_task = asyncio.get_running_loop().create_task(self._fill_gap())
            return
        for seq, message in missed:
            self.pending.setdefault(seq, message)
        self._drain()

    def close(self) -> None:
        self._init_task.cancel()
        if self._gap_task is not None:
            self._gap_task.cancel()


class Hub:
    def __init__(
        self,
        *,
        load_events: LoadEvents,
        load_position: LoadPosition,
        load_positions: LoadPositions | None = None,
        queue_size: int,
        gap_wait: float,
    ) -> None:
        self.load_events = load_events
        self.load_position = load_position
        self.load_positions = load_positions
        self.queue_size = queue_size
        self.gap_wait = gap_wait
        self.channels: dict[str, BoardChannel] = {}
        self._building: dict[str, asyncio.Task[Any]] = {}
        self.builds = 0  # how many shared builds ran (snapshots): what a reconnect storm cost
        # Boards opening at once (every wall screen after a restart) take turns for their database
        # work: fewer at a time than the smallest pool (5 on SQLite) never opens extra connections,
        # whose threads and caches would stay in memory after the storm; each turn is milliseconds.
        self.opening_turns = asyncio.Semaphore(OPENINGS_AT_ONCE)
        # The open sockets by user, checked again when their access changes (server/realtime/access.py).
        self.access = AccessWatch()

    async def shared(self, key: str, build: Callable[[], Awaitable[T]]) -> T:
        """The result of `build()`, shared by every caller that asks for `key` while it is being built.

        Boards that open at the same moment (every wall screen reconnecting after a restart) then cost
        one snapshot, not one each. The build runs in its own task: a caller that goes away does not
        cancel it for the others."""
        task = self._building.get(key)
        if task is None:
            self.builds += 1
            task = asyncio.get_running_loop().create_task(build())  # type: ignore[arg-type]
            self._building[key] = task

            def forget(done: "asyncio.Task[Any]") -> None:
                if self._building.get(key) is done:
                    del self._building[key]
                if not done.cancelled():
                    done.exception()  # retrieved, so that a failure nobody waited for is not logged twice

            task.add_done_callback(forget)
        return await asyncio.shield(task)  # type: ignore[no-any-return]

    def deliver(self, board: str, seq: int, message: str) -> None:
        channel = self.channels.get(board)
        if channel is not None:
            channel.deliver(seq, message)

    async def catch_up_all(self) -> None:
        for channel in list(self.channels.values()):
            await channel.catch_up()

    async def check_positions(self) -> None:
        """Compare every open board's position with the database's, in one query for all of them."""
        channels = [channel for channel in self.channels.values() if channel.position is not None]
        if not channels or self.load_positions is None:
            return
        positions = await self.load_positions([channel.board for channel in channels])
        for channel in channels:
            channel.expect(positions.get(channel.board, 0))

    async def watch_positions(self, every: float) -> None:
        """Run `check_positions` every `every` seconds, for as long as the process runs."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.check_positions()
            except Exception:  # the database may be briefly away; the next check tries again
                log.warning("cannot check the open boards' positions", exc_info=True)

    def subscribe(self, board: str, socket: ClientSocket, viewer: Viewer | None = None) -> Subscriber:
        """`viewer`: who the socket's handshake let in; watched until it unsubscribes."""
        channel = self.channels.get(board)
        if channel is None:
            channel = self.channels[board] = BoardChannel(self, board)
        subscriber = Subscriber(channel, self.queue_size, socket, viewer)
        channel.subscribers.add(subscriber)
        if viewer is not None:
            self.access.admitted(viewer)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber.viewer is not None:
            self.access.forget(subscriber.viewer)
            subscriber.viewer = None
        channel = subscriber.channel
        channel.subscribers.discard(subscriber)
        if not channel.subscribers and self.channels.get(channel.board) is channel:
            del self.channels[channel.board]
            channel.close()

    def connection_count(self) -> int:
        return sum(len(channel.subscribers) for channel in self.channels.values())
