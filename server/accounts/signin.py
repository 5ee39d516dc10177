"""Signing in: one path for the login form and the API's token, with limits that slow a guesser down
without locking the account's owner out.

Failed attempts are counted per account *and* address, on a staircase of windows (5 a minute, 10 in
15 minutes, 20 an hour, 50 a day), so each further guess from that address waits longer; and per
address over all accounts (100 in 15 minutes, 300 a day), so that one address cannot try a few
passwords on every account. Nothing is counted per account alone: failures from other addresses never
refuse the owner's. The counters are the deployment's Limiter (runtime.limiter: this process's memory,
or Redis shared by every process).

The password is checked in a hashing thread, after the user's row was read in a read transaction that
has already ended, so a sign-in holds neither the event loop nor a database lock while argon2 runs.
"""

import logging
from collections.abc import Awaitable, Callable, Iterable
from ipaddress import IPv6Address, ip_address, ip_network

import redis.asyncio as redis
from limits import RateLimitItem
from limits import parse as parse_limit
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import User
from server.accounts.security import verify_password_off_loop
from server.errors import NotAuthenticated, TooManyRequests
from server.ratelimit import Limiter

log = logging.getLogger(__name__)

FAILURES_PER_ACCOUNT_AND_ADDRESS = tuple(
    parse_limit(text) for text in ("5/minute", "10/15 minutes", "20/hour", "50/day")
)
FAILURES_PER_ADDRESS = tuple(parse_limit(text) for text in ("100/15 minutes", "300/day"))

Counter = tuple[RateLimitItem, tuple[str, ...]]


def address_key(address: str) -> str:
    """The address failures are counted under: an IPv6 address by its /64, which one subscriber
    usually holds whole (counting each of its addresses apart would give them billions of tries)."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _counters(username: str, address: str) -> tuple[list[Counter], list[Counter]]:
    """(the counters of this account at this address, the counters of this address)."""
    account, where = username.strip().lower()[:64], address_key(address)
    pair = [(item, ("sign-in-account-address", account, where)) for item in FAILURES_PER_ACCOUNT_AND_ADDRESS]
    address_only = [(item, ("sign-in-address", where)) for item in FAILURES_PER_ADDRESS]
    return pair, address_only


def _refusal(refusals: list[TooManyRequests]) -> TooManyRequests:
    """One 429 for every counter that is used up: the caller may try again once all of them allow it."""
    wait = max(refusal.retry_after for refusal in refusals)
    return TooManyRequests(f"Too many failed sign-ins: try again in {wait} seconds.", retry_after=wait)


async def _on_every(step: Callable[..., Awaitable[None]], counters: Iterable[Counter]) -> None:
    """Run `step` (the limiter's check or hit) on every counter, then one 429 for all that refused."""
    refusals = []
    for item, identifiers in counters:
        try:
            await step(item, *identifiers)
        except TooManyRequests as refusal:
            refusals.append(refusal)
    if refusals:
        raise _refusal(refusals)


async def _used_up(limiter: Limiter, counters: Iterable[Counter]) -> None:
    """429 when any counter has no attempt left (nothing is counted)."""
    await _on_every(limiter.check, counters)


async def _count_failure(limiter: Limiter, counters: Iterable[Counter]) -> None:
    """Count a failed attempt on every counter; 429 (instead of 401) when it went over one of them."""
    await _on_every(limiter.hit, counters)


async def _forget(limiter: Limiter, counters: Iterable[Counter]) -> None:
    """The owner got in: their earlier typos at this address no longer slow them down."""
    try:
        for item, identifiers in counters:
            await limiter.strategy.clear(item, *identifiers)
    except (redis.RedisError, OSError):
        log.warning("rate limit storage unavailable; failed sign-ins not forgotten", exc_info=True)


async def check_password(
    *, limiter: Limiter, username: str, password: str, password_hash: str | None, address: str
) -> bool:
    """Whether `password` is right, counted like a sign-in: 429 while this account at this address,
    or this address, has no attempts left (also when the password is right, so that the answer tells a
    guesser nothing). The password change form checks the current password with it too."""
    pair, address_only = _counters(username, address)
    await _used_up(limiter, [*pair, *address_only])
    if not await verify_password_off_loop(password, password_hash):
        await _count_failure(limiter, [*pair, *address_only])
        return False
    # Attempts running at the same time all passed the first check: those that arrive after the
    # counters filled up are refused whether they were right or not.
    await _used_up(limiter, [*pair, *address_only])
    await _forget(limiter, pair)
    return True


async def sign_in(
    *,
    read_sessionmaker: async_sessionmaker[AsyncSession],
    limiter: Limiter,
    username: str,
    password: str,
    address: str,
) -> User:
    """The active user with these credentials, or NotAuthenticated (401); TooManyRequests (429 with
    Retry-After) while this account at this address, or this address, has had too many failures.

    The login form and POST /api/v1/auth/token both call this, so both count against the same limits.
    The user is read in a read transaction of its own that ends before the password is hashed; the
    returned user is detached, with the credentials epoch it was checked in (start_web_session and the
    token carry that epoch, so a password reset that lands meanwhile still wins)."""
    name = username.strip()
    async with read_sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == name)) if name else None
    if user is not None and not user.is_active:
        user = None  # a disabled account: checked against the dummy hash, so answered like a wrong password
    right = await check_password(
        limiter=limiter,
        username=name,
        password=password,
        password_hash=user.password_hash if user is not None else None,
        address=address,
    )
    if not right or user is None:
        raise NotAuthenticated("Incorrect username or password")
    return user
