"""Request dependencies, named so that handler signatures read like prose."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.security import user_id_from_token
from server.accounts.service import active_user, find_web_session
from server.db import transaction
from server.errors import Forbidden, Invalid, NotAuthenticated
from server.performance.periods import InvalidPeriod, Period, parse_period
from server.runtime import Runtime

SESSION_COOKIE = "pantau_session"

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request, runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """GET requests read without taking SQLite's write lock, so page views never queue behind writes."""
    makers = runtime.read_sessionmaker if request.method in READ_ONLY_METHODS else runtime.sessionmaker
    async with transaction(makers, after_commit=runtime.publish_pending) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# a success that was not stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def user_from_credentials(
    session: AsyncSession, runtime: Runtime, *, bearer_token: str | None, cookie: str | None
) -> User | None:
    """The WebSocket and HTTP paths share this: a bearer token first, else the page session cookie."""
    if bearer_token:
        return await active_user(session, user_id_from_token(bearer_token, runtime.secret_key))
    web_session = await find_web_session(session, cookie)
    return await active_user(session, web_session.user_id if web_session else None)


async def get_current_user(
    request: Request, session: SessionDep, runtime: RuntimeDep, token: Annotated[str | None, Depends(bearer)]
) -> User:
    user = await user_from_credentials(
        session, runtime, bearer_token=token, cookie=request.cookies.get(SESSION_COOKIE)
    )
    if user is None:
        raise NotAuthenticated("Not authenticated: sign in or send a valid bearer token")
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise Forbidden("Only an admin may do this")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


def get_period(period: str | None = None) -> Period:
    """`period=2026-11`, `2026-Q4` or `2026`; omitted means the current month in Asia/Jakarta."""
    try:
        return parse_period(period)
    except InvalidPeriod as exc:
        raise Invalid(str(exc)) from exc


PeriodDep = Annotated[Period, Depends(get_period)]
