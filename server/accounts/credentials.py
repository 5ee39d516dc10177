"""What a password change, a reset and a deactivation do to the ways in: every web session of the user
ends and every bearer token issued before is refused (tokens carry the user's credentials epoch, which
moves on). Reactivating an account therefore revives none of them.

A person changing their own password: `check_password_change` (outside any transaction: it hashes),
then `set_own_password` in the request's transaction."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User, WebSession
from server.accounts.passwords import password_problem
from server.accounts.security import hash_password_off_loop
from server.accounts.signin import check_password
from server.audit import record_change
from server.errors import Forbidden, Invalid, NotAuthenticated
from server.ratelimit import Limiter
from server.realtime.events import access_changed


async def revoke_credentials(session: AsyncSession, user: User) -> None:
    """End every web session of `user` and refuse every token issued to them so far, and close their open
    boards once this commits (server/realtime/access.py). The user's row is written first: a sign-in
    storing a new session waits for it (start_web_session reads the row with FOR UPDATE) and, seeing the
    new epoch, is refused instead of outliving the change."""
    user.credentials_epoch = (user.credentials_epoch or 0) + 1
    session.add(user)
    await session.flush()
    await session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    access_changed(session, user_ids=[user.id])


# What a person whose password is a first one (server/accounts/onboarding.py) may still reach: the API to
# change it (and to see who they are), the page to change it. Signing in and out needs no user.
FIRST_PASSWORD_API = frozenset({"/api/v1/me", "/api/v1/me/password"})
FIRST_PASSWORD_PAGE = "/account/password"


class PasswordChangeRequired(Forbidden):
    """A 403 for the API; a page answers it by sending the person to /account/password (server/app.py)."""

    def default_detail(self) -> str:
        return "Change your password first (POST /api/v1/me/password)"


def check_password_changed(user: User, path: str) -> None:
    """Refuse everything but changing it to someone signed in with a first password."""
    if user.must_change_password and path not in FIRST_PASSWORD_API and path != FIRST_PASSWORD_PAGE:
        raise PasswordChangeRequired()


class PasswordRefused(Invalid):
    """A 422 that names the field of the password form it is about."""

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail)
        self.field = field


async def check_password_change(
    *, limiter: Limiter, user: User, current_password: str, new_password: str, address: str
) -> str:
    """The new password's hash, once `current_password` is right and `new_password` may be used.

    The current password counts against the sign-in limits like a sign-in (a borrowed session must not
    become a way to guess it). Call it before the request's first statement: it hashes twice."""
    problem = password_problem(new_password, username=user.username, nip=user.nip)
    right = await check_password(
        limiter=limiter,
        username=user.username,
        password=current_password,
        password_hash=user.password_hash,
        address=address,
    )
    if not right:
        raise PasswordRefused("The current password is incorrect", field="current_password")
    if problem:
        raise PasswordRefused(problem, field="new_password")
    if new_password == current_password:
        raise PasswordRefused("The new password must differ from the current one", field="new_password")
    return await hash_password_off_loop(new_password)


async def set_own_password(session: AsyncSession, *, user_id: int, epoch: int, password_hash: str) -> User:
    """Store the password `check_password_change` hashed for the user, and revoke their sessions and
    tokens (the caller's own included: the page starts the browser a fresh session). `epoch` is the one
    the caller signed in with: if the user's moved on meanwhile (a reset, a deactivation), 401."""
    user = await session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None or not user.is_active or user.credentials_epoch != epoch:
        raise NotAuthenticated("Your sign-in has ended: sign in again")
    user.password_hash = password_hash
    user.must_change_password = False  # a first password is replaced by one only its owner knows
    await revoke_credentials(session, user)
    await record_change(
        session,
        actor_id=user.id,
        entity="user",
        entity_id=user.id,
        action="updated",
        subject_user_id=user.id,
        after={"password": "changed"},
    )
    return user
