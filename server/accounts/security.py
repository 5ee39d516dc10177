"""Password hashing (argon2) and signed access tokens (JWT)."""

import asyncio
import functools
import hashlib
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server import clock

_hasher = PasswordHasher()
_dummy_hashes: dict[int, str] = {}


def _dummy_hash() -> str:
    """Verifying against this when the user does not exist keeps the response time the same, so
    timing does not reveal which usernames exist. Made with the hasher in use, at its cost."""
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _hasher.hash("pantau-dummy-password")
    return _dummy_hashes[key]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _yield_to_the_loop() -> None:
    """Hashing threads run at a lower priority (and argon2's own lane threads, which inherit it), so that
    the event loop's thread gets a core first while sign-ins are being checked."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not on Linux: the threads keep the normal priority
        pass


# One hash takes 0.1-0.3 s of CPU and 64 MiB at the production parameters. It runs in these threads, never
# on the event loop (20 sign-ins at once stalled every board for seconds), and at most this many at once,
# so that a burst of sign-ins queues here rather than taking the machine's memory or every core.
_hashing = ThreadPoolExecutor(
    max_workers=max(2, min(4, (os.cpu_count() or 1) // 2)),
    thread_name_prefix="argon2",
    initializer=_yield_to_the_loop,
)


async def verify_password_off_loop(password: str, password_hash: str | None) -> bool:
    """verify_password in a hashing thread. Call it outside any database transaction: a writer that
    waits for a hash holds SQLite's write lock, and every other writer with it."""
    return await asyncio.get_running_loop().run_in_executor(
        _hashing, verify_password, password, password_hash
    )


async def hash_password_off_loop(password: str) -> str:
    """hash_password in a hashing thread; like verify_password_off_loop, before the transaction."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, hash_password, password)


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    # The user's credentials_epoch when the token was issued: a password change or reset, a deactivation
    # (and so a reactivation) moves the user's epoch on, and every token issued before is refused.
    epoch: int


def create_access_token(user_id: int, secret: str, minutes: int, *, epoch: int) -> str:
    issued = clock.now()
    claims = {
        "sub": str(user_id),
        "gen": epoch,
        "iat": issued,
        "exp": issued + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def token_claims(token: str, secret: str) -> TokenClaims | None:
    """Who a valid, unexpired token names, and the credentials epoch it was issued in; None for
    anything else (a token from before epochs existed included: its holder signs in again)."""
    try:
        claims, expires = _verified(token, secret)
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None
    # Expiry is checked against Pantau's clock (not PyJWT's), so tests can move time, and on every use:
    # a token verified while it was valid is refused once it has expired.
    return claims if expires > clock.now().timestamp() else None


@functools.lru_cache(maxsize=2048)
def _verified(token: str, secret: str) -> tuple[TokenClaims, float]:
    """A token's claims and expiry (a Unix time) once its signature checks out; raises for any other.
    The holder sends the same token with every request, and checking the signature and decoding the
    JSON again cost ~4% of a progress post: verified tokens are kept (a refused one raises, so it is
    not). Keyed by the secret as well, so a new secret verifies every token afresh."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        options={"require": ["exp", "sub", "gen"], "verify_exp": False, "verify_iat": False},
    )
    return TokenClaims(user_id=int(claims["sub"]), epoch=int(claims["gen"])), float(claims["exp"])


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


MIN_PASSWORD_LENGTH = 8
# The passwords tried first by anyone guessing, in Indonesia as elsewhere.
COMMON_PASSWORDS = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "password",
        "password1",
        "passw0rd",
        "qwerty123",
        "qwertyuiop",
        "11111111",
        "00000000",
        "iloveyou",
        "admin123",
        "rahasia",
        "rahasia123",
        "indonesia",
        "bismillah",
        "sayang123",
        "pantau123",
        "bukitintan",
        "asn12345",
    }
)


def password_problem(password: str, *, username: str = "", nip: str = "") -> str | None:
    """Why this password may not be used, or None. Length matters most; the rest stops the obvious."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must have at least {MIN_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 3:
        return "This password is too easy to guess"
    if (username and username.lower() in lowered) or (nip and nip in password.replace(" ", "")):
        return "The password must not contain the username or NIP"
    return None
