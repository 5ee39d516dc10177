"""Per-process fan-out of board events to connected clients.

One broker subscription per process delivers every event here. For each board with at least one
client, a BoardChannel puts events back in sequence order (publishes from concurrent transactions can
arrive out of order, and Redis can drop messages while it restarts), fills any gap from the event log,
and hands each event, already serialised, to every client (see Subscriber)."""

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

log = logging.getLogger(__name__)

LoadEvents = Callable[[str, int, int | None], Awaitable[list[tuple[int, str]]]]
LoadPosition = Callable[[str], Awaitable[int]]
Send = Callable[[str], Coroutine[Any, Any, None]]
T = TypeVar("T")


class Subscriber:
    """One connected client.

    Live events are written to the client's socket straight from the fan-out loop, with no task or
    queue per client: that is most of what a board costs the server when a thousand are open. Only while
    the client's socket is full (a slow phone, a dead wall screen) or its opening messages are still
    going out do its events wait in a bounded backlog; one that falls further behind is marked
    `overflowed` and its handler closes it (4008), so it never delays the others."""

    def __init__(self, channel: "BoardChannel", maxsize: int) -> None:
        self.channel = channel
        self.maxsize = maxsize
        self.backlog: deque[tuple[int, str]] = deque()
        self.overflowed = False
        self.gone = False
        # Called once when the client falls too far behind (the socket handler stops waiting on it).
        self.on_overflow: Callable[[], object] | None = None
        self._send: Send | None = None  # set once live: until then every event waits in the backlog
        self._writer: asyncio.Task[None] | None = None  # finishing a send the full socket held up

    async def go_live(self, send: Send, last: int) -> None:
        """Send what this client missed while its opening messages went out (its opening ended at seq
        `last`), then let the fan-out write to `send` directly. Call once the channel is ready."""
        # A snapshot shared with boards that opened earlier can be older than what the channel has
        # already handed out; those events never reached this backlog, so they come from the log.
        last = await self._send_logged(send, last, self.channel.position or 0)
        while self.backlog and not self.overflowed:
            seq, message = self.backlog.popleft()
            if seq <= last:
                continue
            last = await self._send_logged(send, last, seq - 1)
            await send(message)
            last = seq
        self._send = send  # no await since the backlog was seen empty, so nothing can slip in between

    async def _send_logged(self, send: Send, after: int, upto: int) -> int:
        """Send the logged events after `after` up to `upto`; returns the last seq sent."""
        if upto > after:
            for seq, message in await self.channel.hub.load_events(self.channel.board, after, upto):
                await send(message)
                after = seq
        return after

    def offer(self, seq: int, message: str) -> None:
        if self.overflowed or self.gone:
            return
        if self._send is None or self._writer is not None:
            if len(self.backlog) >= self.maxsize:
                self.overflowed = True
                self.backlog.clear()
                if self.on_overflow is not None:
                    self.on_overflow()
            else:
                self.backlog.append((seq, message))
            return
        # Run the send by hand: with room in the socket it completes without ever suspending (the
        # common case), so no task is created. Only a send that must wait gets a task to finish it.
        sending = self._send(message)
        try:
            waiting_for = sending.send(None)
        except StopIteration:
            return
        except Exception:  # the client went away; its handler sees the disconnect and unsubscribes
            self.gone = True
            return
        self._writer = asyncio.get_running_loop().create_task(self._finish(sending, waiting_for))

    async def _finish(self, sending: Coroutine[Any, Any, None], waiting_for: Any) -> None:
        try:
            await _Resume(sending, waiting_for)
            while self.backlog:
                await self._send(self.backlog.popleft()[1])  # type: ignore[misc]
        except Exception:
            self.gone = True
        finally:
            self._writer = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()


class _Resume:
    """Awaiting this finishes a coroutine that was stepped by hand and stopped at `waiting_for` (what
    its first step yielded), exactly as if a task had run it from the start."""

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting_for: Any) -> None:
        self.coroutine = coroutine
        self.waiting_for = waiting_for

    def __await__(self) -> Generator[Any, None, None]:
        waiting_for = self.waiting_for
        while True:
            try:
                yield waiting_for
            except BaseException as error:  # cancelled while waiting: the coroutine gets to clean up
                try:
                    waiting_for = self.coroutine.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting_for = self.coroutine.send(None)
                except StopIteration:
                    return


class BoardChannel:
    def __init__(self, hub: "Hub", board: str) -> None:
        self.hub = hub
        self.board = board
        self.position: int | None = None
        self.ready = asyncio.Event()
        self.pending: dict[int, str] = {}
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
            message = self.pending.pop(self.position)
            for subscriber in self.subscribers:
                subscriber.offer(self.position, message)
        if self.pending and (self._gap_task is None or self._gap_task.done()):
            self._gap_task = asyncio.get_running_loop().create_task(self._fill_gap())

    async def _fill_gap(self) -> None:
        await asyncio.sleep(self.hub.gap_wait)
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
        self, *, load_events: LoadEvents, load_position: LoadPosition, queue_size: int, gap_wait: float
    ) -> None:
        self.load_events = load_events
        self.load_position = load_position
        self.queue_size = queue_size
        self.gap_wait = gap_wait
        self.channels: dict[str, BoardChannel] = {}
        self._building: dict[str, asyncio.Task[Any]] = {}

    async def shared(self, key: str, build: Callable[[], Awaitable[T]]) -> T:
        """The result of `build()`, shared by every caller that asks for `key` while it is being built.

        Boards that open at the same moment (every wall screen reconnecting after a restart) then cost
        one snapshot, not one each. The build runs in its own task: a caller that goes away does not
        cancel it for the others."""
        task = self._building.get(key)
        if task is None:
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

    @asynccontextmanager
    async def subscribe(self, board: str) -> AsyncIterator[Subscriber]:
        channel = self.channels.get(board)
        if channel is None:
            channel = self.channels[board] = BoardChannel(self, board)
        subscriber = Subscriber(channel, self.queue_size)
        channel.subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            channel.subscribers.discard(subscriber)
            subscriber.close()
            if not channel.subscribers and self.channels.get(board) is channel:
                del self.channels[board]
                channel.close()

    def connection_count(self) -> int:
        return sum(len(channel.subscribers) for channel in self.channels.values())
