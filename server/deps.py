"""Request dependencies, named so that handler signatures read like prose."""

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.credentials import check_password_changed
from server.accounts.models import Role, User
from server.accounts.security import token_claims
from server.accounts.service import active_user, find_web_session
from server.calendar.periods import InvalidPeriod, Period, parse_period
from server.db import transaction
from server.errors import Forbidden, Invalid, NotAuthenticated
from server.runtime import Runtime

SESSION_COOKIE = "pantau_session"

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


# Dependencies are `async def` even when they never wait: FastAPI runs a plain `def` dependency in a
# worker thread, a hop (a queue, a thread wake-up, the loop's wake-up) on every request that used it
# (bench/PROFILE-post.md). The session and the signed-in user, which every request solves, read the
# runtime with `runtime_of`: a dependency fewer to solve per request.
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def body_in_hand(request: Request) -> None:
    """Wait until the whole request body has arrived (it is kept for the handler and its form)."""
    try:
        await request.body()
    except RuntimeError:
        pass  # "Stream consumed": FastAPI parsed the body as a form before it solved the dependencies


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """GET requests read without taking SQLite's write lock, so page views never queue behind writes.

    Any other request first waits for its whole body, before the transaction's first statement: a client
    sending its body slowly must not hold SQLite's write lock (taken at that statement) or a PostgreSQL
    connection meanwhile, on everyone else's behalf. Every dependency that reaches the request's
    transaction (the signed-in user, a page's form) comes through here, so no route can get it wrong."""
    runtime = runtime_of(request)
    if request.method in READ_ONLY_METHODS:
        makers = runtime.read_sessionmaker
    else:
        await body_in_hand(request)
        makers = runtime.sessionmaker
    async with transaction(makers, after_commit=runtime.publish_pending) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# a success that was not stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def user_from_credentials(
    session: AsyncSession, runtime: Runtime, *, bearer_token: str | None, cookie: str | None
) -> User | None:
    """The WebSocket and HTTP paths share this: a bearer token first, else the page session cookie.
    A token issued before the user's credentials last changed (password, deactivation) is refused;
    those changes delete the user's sessions."""
    if bearer_token:
        claims = token_claims(bearer_token, runtime.secret_key)
        user = await active_user(session, claims.user_id if claims else None)
        return user if user is not None and claims and user.credentials_epoch == claims.epoch else None
    web_session = await find_web_session(session, cookie)
    return await active_user(session, web_session.user_id if web_session else None)


CSRF_HEADER = "X-CSRF-Token"


async def _check_csrf_header(request: Request, session: AsyncSession, cookie: str) -> None:
    """A browser sends the session cookie with any request to this site, whichever page made it: a change
    through the API with the cookie must also carry the session's CSRF token (the one in the pages'
    forms) in the X-CSRF-Token header, which another site's page cannot read. Reads need none (another
    site cannot read the answer, and the pages link to the exports); bearer tokens need none (nobody
    sends them for you). A session that has ended is left to the caller check (401)."""
    record = await find_web_session(session, cookie)
    sent = request.headers.get(CSRF_HEADER, "")
    if record is not None and not hmac.compare_digest(sent.encode(), record.csrf_token.encode()):
        raise Forbidden(
            "A change through the API with the session cookie needs the X-CSRF-Token header (the "
            "page's CSRF token); scripts send a bearer token instead"
        )


async def _caller(request: Request, session: AsyncSession, runtime: Runtime, token: str | None) -> User:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not token and cookie and request.method not in READ_ONLY_METHODS:
        await _check_csrf_header(request, session, cookie)
    user = await user_from_credentials(session, runtime, bearer_token=token, cookie=cookie)
    if user is None:
        raise NotAuthenticated("Not authenticated: sign in or send a valid bearer token")
    check_password_changed(user, request.url.path)  # a first password opens nothing but changing it
    request.state.user = user
    return user


async def get_current_user(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(bearer)]
) -> User:
    return await _caller(request, session, runtime_of(request), token)


async def get_caller(
    request: Request, runtime: RuntimeDep, token: Annotated[str | None, Depends(bearer)]
) -> User:
    """The signed-in user, read in a short read transaction of its own that has ended when the handler
    starts: for handlers that hash a password before they write, so that their own transaction (and on
    SQLite the write lock) begins only after the hashing. The user is detached from any session."""
    async with runtime.read_sessionmaker() as session:
        return await _caller(request, session, runtime, token)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise Forbidden("Only an admin may do this")
    return user


AdminUser = Annotated[User, Depends(get_admin)]
# The same, without touching the request's session (see get_caller).
Caller = Annotated[User, Depends(get_caller)]


async def get_admin_caller(user: Caller) -> User:
    return await get_admin(user)


AdminCaller = Annotated[User, Depends(get_admin_caller)]


async def get_period(period: str | None = None) -> Period:
    """`period=2026-11`, `2026-Q4` or `2026`; omitted means the current month in Asia/Jakarta."""
    try:
        return parse_period(period)
    except InvalidPeriod as exc:
        raise Invalid(str(exc)) from exc


PeriodDep = Annotated[Period, Depends(get_period)]
