"""Rate limits on anonymous endpoints, built on the `limits` library's asyncio API (moving window).

One deployment shares one set of counters: in this process's memory when PANTAU_REDIS_URL is unset
(a single process), in Redis under PANTAU_REDIS_PREFIX when it is set, so that several app processes
behind a load balancer count a client's requests together. Each Redis key expires with its window.

A limit is declared where it is used, e.g. the survey's `per_client(SURVEY_ANSWERS)`.
"""

import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from ipaddress import ip_address

import redis.asyncio as redis
from fastapi import Request
from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from server.config import Network, Settings
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
    """The address a request is rate limited and counted under (the limits here, the survey's "suspect"
    rule): the connecting peer, unless the peer is one of PANTAU_TRUSTED_PROXIES; then the right-most
    X-Forwarded-For hop that is not a trusted proxy. Hops to its left were written by whoever sent the
    request, so they are never believed. `pantau serve` gives uvicorn the same list, so the two agree."""
    peer = request.client.host if request.client else None
    trusted = request.app.state.runtime.settings.trusted_proxies
    return forwarded_client(peer, request.headers.getlist("x-forwarded-for"), trusted)


def forwarded_client(peer: str | None, forwarded_for: list[str], trusted: Sequence[Network]) -> str:
    """client_address's rule, on plain values: `forwarded_for` holds the X-Forwarded-For header values
    in the order received (each proxy appends the address it was reached from)."""
    if peer is None:
        return "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        host = _host_of(hop)
        if not _is_trusted(host, trusted):
            return host
    # Every hop is a trusted proxy: the request began inside the trusted network.
    return _host_of(hops[0]) if hops else peer


def _is_trusted(host: str, trusted: Sequence[Network]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in trusted)


def _host_of(hop: str) -> str:
    """The address of one X-Forwarded-For hop, without a port ("1.2.3.4:80", "[::1]:80"). Anything that
    is not an address is kept as written, short, and never trusted."""
    if hop.startswith("[") and "]" in hop:
        hop = hop[1 : hop.index("]")]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    return hop[:64]


def per_client(item: RateLimitItem) -> Callable[[Request], Awaitable[None]]:
    """A dependency that counts each request against `item` for the caller's address."""

    async def limit(request: Request) -> None:
        await request.app.state.runtime.limiter.hit(item, client_address(request))

    return limit
