"""Password hashing (argon2) and signed access tokens (JWT)."""

import hashlib
import secrets
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


def create_access_token(user_id: int, secret: str, minutes: int) -> str:
    issued = clock.now()
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm="HS256")


def user_id_from_token(token: str, secret: str) -> int | None:
    """The user id a valid, unexpired token names; None for anything else."""
    try:
        # Expiry is checked against Pantau's clock (not PyJWT's), so tests can move time.
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False},
        )
        if float(claims["exp"]) <= clock.now().timestamp():
            return None
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError, KeyError):
        return None


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
