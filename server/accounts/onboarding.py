"""First passwords for new accounts (after a staff import, the accounts have none): the admin has Pantau
make one for each person and prints them on credential slips. A first password must be replaced at the
first sign-in (`User.must_change_password`, enforced in server/deps.py and server/pages/deps.py).

Two steps, because hashing is slow (0.1-0.3 s a password): `draft_first_passwords` makes and hashes them
outside any transaction, then `store_first_passwords` writes them in the request's transaction, skipping an
account that changed meanwhile (another admin made it a password, it was deactivated). The plain passwords
exist only in what `store_first_passwords` returns, for the slips: they are never stored."""

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.credentials import revoke_credentials
from server.accounts.models import User
from server.accounts.passwords import password_problem
from server.accounts.security import hash_password_off_loop
from server.audit import record_change

# At most this many a request: 48 hashes take a few seconds, and 48 slips are eight A4 pages.
BATCH = 48
# Lower-case letters and digits that cannot be mistaken for one another when read off paper (no 0/o, 1/l/i).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class FirstPassword:
    user_id: int
    name: str
    nip: str
    username: str
    epoch: int  # the account's credentials epoch when it was drafted: a change since skips it
    password: str
    password_hash: str


def new_first_password() -> str:
    """Three groups of four (e.g. "k7mx-4pqr-9tfw"): about 59 bits, easy to type from a slip."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))


def _password_for(user: User) -> str:
    while True:  # the policy refuses one in a great many (a username inside it): draw again
        password = new_first_password()
        if password_problem(password, username=user.username, nip=user.nip) is None:
            return password


async def waiting_for_first_password(
    session: AsyncSession, *, user_ids: Sequence[int] | None = None, limit: int = BATCH
) -> list[User]:
    """Active accounts without a password (among `user_ids` when given), by name, at most `limit`."""
    query = select(User).where(col(User.is_active), col(User.password_hash).is_(None))
    if user_ids is not None:
        query = query.where(col(User.id).in_(user_ids))
    return list((await session.scalars(query.order_by(User.name, col(User.id)).limit(limit))).all())


async def count_waiting(session: AsyncSession) -> int:
    query = (
        select(func.count()).select_from(User).where(col(User.is_active), col(User.password_hash).is_(None))
    )
    return int(await session.scalar(query) or 0)


async def draft_first_passwords(users: Sequence[User]) -> list[FirstPassword]:
    """A new password for each of `users`, hashed. Call it outside any transaction."""
    passwords = [_password_for(user) for user in users]
    hashes = await asyncio.gather(*(hash_password_off_loop(p) for p in passwords))
    return [
        FirstPassword(
            user_id=user.id or 0,
            name=user.name,
            nip=user.nip,
            username=user.username,
            epoch=user.credentials_epoch,
            password=password,
            password_hash=password_hash,
        )
        for user, password, password_hash in zip(users, passwords, hashes, strict=True)
    ]


async def store_first_passwords(
    session: AsyncSession, *, by_id: int, drafts: Sequence[FirstPassword]
) -> list[FirstPassword]:
    """Give each drafted account its first password, to be changed at the first sign-in, and end its
    sessions and tokens. An account that is no longer active, or whose credentials changed since it was
    drafted, is left alone and not returned. The history says a first password was made, never which."""
    if not drafts:
        return []
    wanted = {d.user_id: d for d in drafts}
    rows = await session.scalars(
        select(User).where(col(User.id).in_(wanted)).order_by(col(User.id)).with_for_update()
    )
    stored = []
    for user in rows.all():
        draft = wanted[user.id or 0]
        if not user.is_active or user.credentials_epoch != draft.epoch:
            continue
        user.password_hash = draft.password_hash
        user.must_change_password = True
        await revoke_credentials(session, user)
        await record_change(
            session,
            actor_id=by_id,
            entity="user",
            entity_id=user.id or 0,
            action="updated",
            subject_user_id=user.id,
            # The account page's history shows it as a password change; the value tells them apart.
            after={"password": "first password"},
        )
        stored.append(draft)
    return sorted(stored, key=lambda d: (d.name, d.user_id))


async def generate_first_passwords(
    session: AsyncSession, *, by_id: int, user_ids: Sequence[int] | None = None
) -> list[FirstPassword]:
    """Both steps on one session, for callers that hold no write lock while they hash (the CLI, tests):
    first passwords for the active accounts without one (among `user_ids` when given), up to BATCH."""
    drafts = await draft_first_passwords(await waiting_for_first_password(session, user_ids=user_ids))
    return await store_first_passwords(session, by_id=by_id, drafts=drafts)
