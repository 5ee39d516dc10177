"""Rate limits on anonymous endpoints, built on the `limits` library's asyncio API (moving window).

One deployment shares one set of counters: in this process's memory when PANTAU_REDIS_URL is unset
(a single process), in Redis under PANTAU_REDIS_PREFIX when it is set, so that several app processes
behind a load balancer count a client's requests together. Each Redis key expires with its window.

A limit is declared where it is used, e.g. the survey's `per_client(SURVEY_ANSWERS)`.
"""

import logging
import math
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
from fastapi import Request
from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from server.config import Settings
from server.errors import TooManyRequests

log = logging.getLogger(__name__)


class Limiter:
    """Moving-window counters: a request passes when fewer than `amount` passed in the last window."""

    def __init__(self, storage: Storage, close: Callable[[], Awaitable[None]] | None = None) -> None:
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)
        self._close = close

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limiter":
        if not settings.redis_url:
            return cls(MemoryStorage())
        # Our own pool, so that stop() can close it (limits has no close of its own).
        pool = redis.ConnectionPool.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        storage = RedisStorage(
            "async+" + settings.redis_url,
            implementation="redispy",
            key_prefix=f"{settings.redis_prefix}ratelimit",
            connection_pool=pool,
        )
        return cls(storage, close=pool.aclose)

    async def hit(self, item: RateLimitItem, *identifiers: str) -> None:
        """Count one request against `item` for these identifiers, or raise TooManyRequests (429)."""
        try:
            if await self.strategy.hit(item, *identifiers):
                return
            stats = await self.strategy.get_window_stats(item, *identifiers)
        except (redis.RedisError, OSError):
            # Fail open: an answer to the public survey matters more than the limit while Redis is away.
            log.warning("rate limit storage unavailable; allowing the request", exc_info=True)
            return
        retry_after = math.ceil(stats.reset_time - time.time())
        raise TooManyRequests(
            f"Too many requests from this address: at most {item.amount} per {_window(item)}. "
            f"Try again in {max(1, retry_after)} seconds.",
            retry_after=retry_after,
        )

    async def check(self, item: RateLimitItem, *identifiers: str) -> None:
        """Raise TooManyRequests if `item` is used up for these identifiers, without counting."""
        try:
            if await self.strategy.test(item, *identifiers):
                return
            stats = await self.strategy.get_window_stats(item, *identifiers)
        except (redis.RedisError, OSError):
            log.warning("rate limit storage unavailable; allowing the request", exc_info=True)
            return
        retry_after = math.ceil(stats.reset_time - time.time())
        raise TooManyRequests(
            f"Too many failed attempts: try again in {max(1, retry_after)} seconds.", retry_after=retry_after
        )

    async def count(self, item: RateLimitItem, *identifiers: str) -> None:
        """Count one event against `item` without refusing anything (e.g. a failed sign-in)."""
        try:
            await self.strategy.hit(item, *identifiers)
        except (redis.RedisError, OSError):
            log.warning("rate limit storage unavailable; not counted", exc_info=True)

    async def reset(self) -> None:
        """Forget every counter of this deployment (tests; an operator clearing a mistaken block)."""
        if isinstance(self.storage, MemoryStorage):
            # limits' memory storage expires entries in a background task that fails on a cleared
            # store (KeyError), so start from a fresh one instead.
            self.storage = MemoryStorage()
            self.strategy = MovingWindowRateLimiter(self.storage)
        else:
            await self.storage.reset()

    async def close(self) -> None:
        if self._close is not None:
            await self._close()


def _window(item: RateLimitItem) -> str:
    granularity = item.GRANULARITY.name
    return f"{item.multiples} {granularity}s" if item.multiples != 1 else granularity


def client_address(request: Request) -> str:
    """The address the limit is counted against. Behind a proxy this is right only when uvicorn trusts
    the proxy's X-Forwarded-For (`pantau serve` turns proxy headers on; see FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


def per_client(item: RateLimitItem) -> Callable[[Request], Awaitable[None]]:
    """A dependency that counts each request against `item` for the caller's address."""

    async def limit(request: Request) -> None:
        await request.app.state.runtime.limiter.hit(item, client_address(request))

    return limit
