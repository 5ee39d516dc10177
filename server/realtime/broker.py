"""Publishing committed events to every process: in-process when there is one, Redis when there are many.

Each process delivers its own events to its own boards directly, so a board on the publishing process
never waits for Redis, and keeps one Redis subscription for everyone else's. The hub drops the copy that
comes back through Redis by its sequence number."""

import asyncio
import logging

import redis.asyncio as redis

from server.realtime.events import OutgoingEvent
from server.realtime.hub import Hub

log = logging.getLogger(__name__)


class MemoryBroker:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, events: list[OutgoingEvent]) -> None:
        for event in events:
            self.hub.deliver(event.board, event.seq, event.message)


class RedisBroker(MemoryBroker):
    def __init__(self, hub: Hub, url: str, prefix: str) -> None:
        super().__init__(hub)
        self.url = url
        self.channel = f"{prefix}board-events"
        self.client = redis.from_url(url, health_check_interval=10, socket_connect_timeout=2)
        self.subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            try:
                await self._listener
            except asyncio.CancelledError:
                pass
        await self.client.aclose()

    async def publish(self, events: list[OutgoingEvent]) -> None:
        await super().publish(events)
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.publish(self.channel, f"{event.board} {event.seq} {event.message}")
                await pipe.execute()
        except (redis.RedisError, OSError):
            # The events are committed; other processes read them from the log when their
            # subscription comes back or the next event reveals the gap.
            log.warning("could not publish %d event(s) to Redis", len(events), exc_info=True)

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                if delay > 0.1:
                    log.info("Redis subscription restored")
                delay = 0.1
                # Anything published while we were not listening is in the log.
                await self.hub.catch_up_all()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                self.subscribed.clear()
                log.warning("Redis subscription lost; retrying in %.1fs", delay, exc_info=delay < 1)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:
                    pass

    def _deliver(self, raw: bytes) -> None:
        board, seq, message = raw.decode().split(" ", 2)
        self.hub.deliver(board, int(seq), message)


Broker = MemoryBroker


def make_broker(hub: Hub, redis_url: str | None, prefix: str) -> MemoryBroker:
    return RedisBroker(hub, redis_url, prefix) if redis_url else MemoryBroker(hub)
