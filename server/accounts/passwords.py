"""The password policy, in one place: every entrance that takes a new password (the API's UserCreate,
UserUpdate and PasswordChange, the admin's user forms, the "ganti kata sandi" page) asks
`password_problem`, and shows its message on the password field (the pages in their language).

Length matters most; the rest stops what anyone guessing tries first."""

import re

from server.accounts.common_passwords import COMMON_PASSWORDS

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length, but a megabyte-long "password" is a way to load us

# A common word with a few digits or an exclamation mark after it ("bismillah123", "Indonesia2026!") is
# guessed as soon as the word is. Joined by a hyphen ("rahasia-123") it is a passphrase of sorts: allowed.
_DECORATED = re.compile(r"[0-9!@#$.?]{1,6}$")
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _is_common(password: str) -> bool:
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return True
    word = _DECORATED.sub("", lowered)
    return len(word) >= 4 and word in COMMON_PASSWORDS


def _is_trivial(password: str) -> bool:
    """Three different characters or fewer ("aaaaaaaa", "abababab"), or a run of the keyboard or the
    alphabet, forwards or backwards ("12345678", "87654321", "abcdefgh")."""
    lowered = password.lower()
    if len(set(lowered)) <= 3:
        return True
    return any(lowered in run or lowered in run[::-1] for run in _SEQUENCES)


def password_problem(password: str, *, username: str = "", nip: str = "") -> str | None:
    """Why `password` may not be used (a message for the password field), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must have at most {MAX_PASSWORD_LENGTH} characters"
    if _is_trivial(password):
        return "This password is too easy to guess"
    if _is_common(password):
        return "This password is one of the most common passwords: choose another"
    lowered, digits = password.lower(), password.replace(" ", "")
    if (username and username.lower() in lowered) or (nip and nip.replace(" ", "") in digits):
        return "The password must not contain the username or NIP"
    return None
