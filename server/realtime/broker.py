"""Publishing committed events to every process: in-process when there is one, Redis when there are many.

Each process delivers its own events to its own boards directly, so a board on the publishing process
never waits for Redis, and keeps one Redis subscription for everyone else's. The hub drops the copy that
comes back through Redis by its sequence number.

Redis is never on a request's path: a request hands its events to a bounded buffer that a background
publisher sends in batches. A Redis that stops answering costs a request nothing; while it does, the
buffer is dropped (the events are in the log) and other processes' boards get them from the hub's
periodic position check (server/realtime/hub.py) or their catch-up when the subscription comes back.
The subscription pings Redis whenever it has heard nothing for a second, so a connection that stays
open but stops answering is noticed within a few seconds and made again.

Access notices (events.AccessChanged: a sign-out, a removal from a project...) travel the same way on a
channel of their own. They are in no log, so a notice Redis did not take is kept and sent again once it
answers, and a process whose subscription was lost checks every open board again when it is back."""

import asyncio
import json
import logging
import secrets
from collections import deque

import redis.asyncio as redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from server.realtime.events import AccessChanged, Outgoing
from server.realtime.hub import Hub

log = logging.getLogger(__name__)

TIMEOUT = 2.0  # connecting, each read and write, a publish, a ping's answer
PING_AFTER = 1.0  # seconds of silence on the subscription before it pings Redis
PUBLISH_BUFFER = 10_000  # events waiting for the publisher; beyond that they are left to the log
PUBLISH_BATCH = 500
NOTICES_KEPT = 1_000  # access notices kept for Redis while it fails (each names a few users)
NOTICE_RETRY = 1.0  # seconds between attempts to send kept notices


class MemoryBroker:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, events: list[Outgoing]) -> None:
        for event in events:
            if isinstance(event, AccessChanged):
                self.hub.access.changed(event)
            else:
                self.hub.deliver(event.board, event.seq, event.message)


class RedisBroker(MemoryBroker):
    def __init__(
        self,
        hub: Hub,
        url: str,
        prefix: str,
        *,
        timeout: float = TIMEOUT,
        ping_after: float = PING_AFTER,
        buffer: int = PUBLISH_BUFFER,
    ) -> None:
        super().__init__(hub)
        self.url = url
        self.channel = f"{prefix}board-events"
        self.access_channel = f"{prefix}board-access"
        # Marks this process's own notices, which come back through Redis and were already handled.
        self.origin = secrets.token_hex(8)
        self.timeout = timeout
        self.ping_after = ping_after
        self.buffer = buffer
        # No retries inside redis-py: a failure reaches the loops below at once, which decide.
        self.client = redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        self.subscribed = asyncio.Event()
        self.dropped = 0  # events not published (buffer full or Redis failing): boards read them from the log
        self.failed_sends = 0  # batches Redis did not take
        self._outbox: deque[Outgoing] = deque()
        self._wake = asyncio.Event()
        self._overflowing = False
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._publishing())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._outbox:  # what is still waiting gets one short chance
            await self._send(list(self._outbox), timeout=min(self.timeout, 1.0))
            self._outbox.clear()
        await self.client.aclose()

    async def publish(self, events: list[Outgoing]) -> None:
        await super().publish(events)
        room = max(self.buffer - len(self._outbox), 0)
        if len(events) > room:
            if not self._overflowing:
                log.warning("Redis publishing is %d events behind: leaving new ones to the log", self.buffer)
                self._overflowing = True
            self.dropped += len(events) - room
            events = events[:room]
        else:
            self._overflowing = False
        if events:
            self._outbox.extend(events)
            self._wake.set()

    async def _publishing(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                batch = [self._outbox.popleft() for _ in range(min(len(self._outbox), PUBLISH_BATCH))]
                if not await self._send(batch):
                    # Redis is failing: what waits would only wait for it too. Other processes read the
                    # events from the log; the access notices, in no log, are kept to be sent again.
                    waiting = [*batch, *self._outbox]
                    self._outbox.clear()
                    notices = [item for item in waiting if isinstance(item, AccessChanged)]
                    self.dropped += len(waiting) - len(notices)
                    if notices:
                        self._outbox.extend(notices[-NOTICES_KEPT:])
                        await asyncio.sleep(NOTICE_RETRY)

    async def _send(self, batch: list[Outgoing], timeout: float | None = None) -> bool:
        try:
            async with (
                asyncio.timeout(timeout or self.timeout),
                self.client.pipeline(transaction=False) as pipe,
            ):
                for event in batch:
                    if isinstance(event, AccessChanged):
                        pipe.publish(self.access_channel, self._notice_text(event))
                    else:
                        pipe.publish(self.channel, f"{event.board} {event.seq} {event.message}")
                await pipe.execute()
            return True
        except (redis.RedisError, OSError, TimeoutError) as exc:
            self.failed_sends += 1
            log.warning("could not publish %d event(s) to Redis: %r", len(batch), exc)
            return False

    def _notice_text(self, notice: AccessChanged) -> str:
        body = {"users": notice.user_ids, "session": notice.session_hash, "everyone": notice.everyone}
        return f"{self.origin} {json.dumps(body)}"

    async def _listen(self) -> None:
        delay = 0.1
        lost = False  # whether a subscription was made before (and so lost since)
        while True:
            pubsub = self.client.pubsub()
            try:
                await self._subscribe(pubsub)
                self.subscribed.set()
                if delay > 0.1:
                    log.info("Redis subscription restored")
                delay = 0.1
                # Anything published while we were not listening is in the log: one query finds the
                # boards that missed something. Access notices are not: every open board checks again.
                try:
                    await self.hub.check_positions()
                except Exception:
                    log.warning("cannot check the open boards' positions yet", exc_info=True)
                if lost:
                    self.hub.access.recheck_everyone()
                lost = True
                await self._receive(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.subscribed.clear()
                log.warning("Redis subscription lost; retrying in %.1fs", delay, exc_info=delay < 1)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    async with asyncio.timeout(self.timeout):
                        await pubsub.aclose()
                except Exception:
                    pass

    async def _subscribe(self, pubsub: PubSub) -> None:
        """Subscribe and wait for Redis to confirm it."""
        async with asyncio.timeout(self.timeout):
            await pubsub.subscribe(self.channel, self.access_channel)
            confirmed = 0
            while confirmed < 2:
                message = await pubsub.get_message(timeout=self.timeout)
                if message is not None and message["type"] == "subscribe":
                    confirmed += 1

    async def _receive(self, pubsub: PubSub) -> None:
        """Deliver what comes until Redis fails or stops answering: after `ping_after` seconds of
        silence, a PING must be answered within the timeout."""
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=self.timeout if pinged else self.ping_after)
            if message is not None:
                pinged = False
                if message["type"] == "message":
                    self._deliver(message["channel"], message["data"])
            elif pinged:
                raise ConnectionError(f"Redis did not answer a ping within {self.timeout:g}s")
            else:
                async with asyncio.timeout(self.timeout):
                    await pubsub.ping()
                pinged = True

    def _deliver(self, channel: bytes, raw: bytes) -> None:
        if channel.decode() == self.access_channel:
            origin, _, body = raw.decode().partition(" ")
            if origin != self.origin:
                notice = json.loads(body)
                self.hub.access.changed(
                    AccessChanged(
                        user_ids=tuple(notice["users"]),
                        session_hash=notice["session"],
                        everyone=notice["everyone"],
                    )
                )
            return
        board, seq, message = raw.decode().split(" ", 2)
        self.hub.deliver(board, int(seq), message)


Broker = MemoryBroker


def make_broker(hub: Hub, redis_url: str | None, prefix: str) -> MemoryBroker:
    return RedisBroker(hub, redis_url, prefix) if redis_url else MemoryBroker(hub)
