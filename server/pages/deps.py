"""What every page shares: the signed-in user, the admin gate, and the posted form, read whole and
CSRF-checked before the handler runs. Domain page modules import these; server/pages/routes.py is only a
router.

A posted form is in hand before the request's first statement: `server.deps.get_session` waits for the
body before it opens the transaction, and the form dependencies read it before they look the user up.
So a browser sending its form slowly holds nothing (no SQLite write lock, no PostgreSQL connection)
while it does, and a handler never parses a number or a date with Python's own int()/date: the form
helpers below refuse what a person could not have meant (None), and the page says so."""

import re
import secrets
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect
from starlette.routing import Match, Mount

from server.accounts import service as accounts
from server.accounts.credentials import check_password_changed
from server.accounts.models import Role, User, WebSession
from server.bodylimit import body_limited_route
from server.deps import READ_ONLY_METHODS, SESSION_COOKIE, RuntimeDep, SessionDep
from server.errors import Forbidden, Invalid, NotAuthenticated
from server.notifications.service import unread_count
from server.pages import i18n
from server.pages.i18n import N_
from server.pages.render import Viewer
from server.performance.team import rates_anyone

# A page form is a few fields and a note or two; the staff import has its own, larger limit.
FORM_BODY_LIMIT = 64 * 1024
PageRoute = body_limited_route(FORM_BODY_LIMIT)
MAX_FIELDS = 60

# --- the signed-in user --------------------------------------------------------------------------------


async def page_user(request: Request, session: SessionDep) -> User:
    return await _signed_in(request, session)


async def _signed_in(request: Request, session: AsyncSession) -> User:
    record = await accounts.find_web_session(session, request.cookies.get(SESSION_COOKIE))
    user = await accounts.active_user(session, record.user_id if record else None)
    if user is None or record is None:
        await _note_form_page(request)
        raise NotAuthenticated()
    # Signed in with a first password: every page but /account/password sends the person there (303).
    check_password_changed(user, request.url.path)
    request.state.user = user
    rates_someone = user.role == Role.staff and await rates_anyone(session, user)
    request.state.viewer = Viewer(
        id=user.id,
        name=user.name,
        role=user.role.value,
        unit_id=user.unit_id,
        rates_someone=rates_someone,
        unread=await unread_count(session, user.id),
    )
    request.state.csrf_token = record.csrf_token
    # The user's own language wins over the cookie and the browser's; the page code words its text in it.
    request.state.locale = i18n.choose_locale(
        user_locale=user.locale,
        cookie=request.cookies.get(i18n.COOKIE),
        accept_language=request.headers.get("accept-language"),
    )
    i18n.activate(request.state.locale)
    return user


PageUser = Annotated[User, Depends(page_user)]

# --- back to the form after signing in ------------------------------------------------------------------


async def _note_form_page(request: Request) -> None:
    """A form posted after its session ended: remember the page the form is on (its `back` field), so
    that signing in leads back to it, where the browser's draft (drafts.js) fills the form in again."""
    if request.method in READ_ONLY_METHODS:
        return
    try:
        back = (await request.form(max_files=0, max_fields=MAX_FIELDS)).get("back")
    except (HTTPException, RuntimeError, ClientDisconnect):  # unreadable: the Referer or the URL will do
        return
    if isinstance(back, str) and back.strip() and safe_next(back.strip()) == back.strip():
        request.state.form_page = back.strip()


def sign_in_target(request: Request) -> str:
    """Where signing in leads to (the login page's `next`). A page asked for: that page. A form posted
    without a session: the page the form was on (its `back` field, else the same-site Referer, else the
    nearest page address above the form's), never the POST address, which answers a GET with 405."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method in READ_ONLY_METHODS:
        return here
    noted = getattr(request.state, "form_page", None)
    if isinstance(noted, str):
        return noted
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc == request.url.netloc and referer.path.startswith("/"):
        page = referer.path + (f"?{referer.query}" if referer.query else "")
        if safe_next(page) == page and not page.startswith("/login"):
            return page
    return _page_above(request, request.url.path, request.url.query)


def _page_above(request: Request, path: str, query: str) -> str:
    """The address itself or the nearest one above it (/projects/3/updates -> /projects/3) that a page
    answers with GET; "/" when none does."""
    while path not in ("", "/") and not path.startswith("/api/"):
        scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "headers": []}
        for route in request.app.router.routes:
            # Every route and included router but the static files' mount, which matches any path below it.
            if not isinstance(route, Mount) and route.matches(dict(scope))[0] == Match.FULL:
                return path + (f"?{query}" if query else "")
        path = path.rsplit("/", 1)[0]
    return "/"


async def page_caller(request: Request, runtime: RuntimeDep) -> User:
    """PageUser, read in a read transaction of its own that has ended when the handler starts: for
    handlers with slow work to do before they write (hashing a password, reading a spreadsheet), so that
    the request's own transaction (on SQLite the write lock) begins only after it. The user is detached:
    pass its id to services, not the object."""
    async with runtime.read_sessionmaker() as reads:
        return await _signed_in(request, reads)


PageCaller = Annotated[User, Depends(page_caller)]


async def visitor(request: Request, runtime: RuntimeDep) -> User | None:
    """Public pages (help, the 404 page): the signed-in user when the browser has a live session, so that
    they keep their header; anyone else, an expired session or a database that is away reads as a
    visitor, for whom the page is the same."""
    if not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        return await page_caller(request, runtime)
    except Exception:  # not signed in, or the database is away: the page as for anyone
        return None


Visitor = Annotated[User | None, Depends(visitor)]


async def admin_page(user: PageUser) -> User:
    """Admin pages: anonymous visitors are sent to sign in; everyone but an admin gets the 403 page."""
    return _admin(user)


async def admin_page_caller(user: PageCaller) -> User:
    return _admin(user)


def _admin(user: User) -> User:
    if user.role != Role.admin:
        raise Forbidden(N_("Halaman ini khusus admin (BKPSDM)."))
    return user


AdminPage = Annotated[User, Depends(admin_page)]
AdminPageCaller = Annotated[User, Depends(admin_page_caller)]

# --- numbers, dates and texts as a person types them ----------------------------------------------------

# 2500, or with the thousands grouped by a full stop or a space, as Indonesians write them (2.500, 2 500).
_WHOLE = re.compile(r"[0-9]{1,9}|[0-9]{1,3}(?:\.[0-9]{3}){1,2}|[0-9]{1,3}(?: [0-9]{3}){1,2}")
# 86,5 or 86.5 (no grouping: a decimal point is ambiguous with it), optionally negative.
_DECIMAL = re.compile(r"-?[0-9]{1,12}(?:[.,][0-9]{1,6})?")


def form_number(raw: str | None) -> int | None:
    """A whole number under a billion from a form field ("2500", "2.500", "2 500"), or None for anything
    else: an empty field, a fraction, a sign, or digits Python would read but a person did not type
    ("²", "٣")."""
    text = (raw or "").strip()
    if not _WHOLE.fullmatch(text):
        return None
    return int(text.replace(".", "").replace(" ", ""))


def form_decimal(raw: str | None) -> Decimal | None:
    """A decimal number from a form field, with a comma or a full stop ("86,5"), or None."""
    text = (raw or "").strip()
    if not _DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain numbers
        return None


def form_date(raw: str | None) -> date | None:
    """A date as the date field sends it (2026-12-31), or None."""
    text = (raw or "").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def safe_next(target: str | None) -> str:
    """Only a path on this site is followed after a form (signing in, the language switch, "back")."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return "/"
    return target


class Form:
    """A posted form's fields. Missing fields read as empty text; files are left out (see UploadForm)."""

    def __init__(self, data: FormData) -> None:
        self._data = data

    def text(self, name: str, default: str = "") -> str:
        value = self._data.get(name)
        return value if isinstance(value, str) else default

    def texts(self, name: str) -> list[str]:
        return [value for value in self._data.getlist(name) if isinstance(value, str)]

    def number(self, name: str) -> int | None:
        return form_number(self.text(name))

    def numbers(self, name: str) -> list[int] | None:
        """Every value of a repeated field as a number (checkboxes), or None when one is not a number."""
        numbers = [form_number(value) for value in self.texts(name)]
        return None if None in numbers else [n for n in numbers if n is not None]

    def decimal(self, name: str) -> Decimal | None:
        return form_decimal(self.text(name))

    def date(self, name: str) -> date | None:
        return form_date(self.text(name))

    def values(self, *names: str) -> dict[str, str]:
        """The named fields as typed, to fill the form in again when the page refuses it."""
        return {name: self.text(name) for name in names}

    def file(self, name: str) -> UploadFile | None:
        value = self._data.get(name)
        return value if isinstance(value, UploadFile) else None


# --- reading the form ----------------------------------------------------------------------------------

UNREADABLE = N_("Formulir tidak dapat dibaca. Muat ulang halaman lalu coba lagi.")
EXPIRED = N_("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")


async def parse_form(request: Request, *, max_files: int) -> FormData:
    """The request's form, read once here for every page (a malformed one is a 422 with a page message)."""
    try:
        return await request.form(max_files=max_files, max_fields=MAX_FIELDS)
    except HTTPException as exc:  # Starlette's 400 for a malformed multipart body or one over its limits
        raise Invalid(UNREADABLE) from exc


async def posted_form(request: Request) -> FormData:
    """The whole form, before anything reaches the database (this dependency has none of its own)."""
    return await parse_form(request, max_files=0)


Posted = Annotated[FormData, Depends(posted_form)]


def _check_csrf(request: Request, submitted: object) -> None:
    """The form must carry the token of the session it was drawn for (page_user puts it on the request):
    another site can make a browser post, but cannot read a page to learn the token. Handlers do not
    call this: they take a PageForm (or CallerForm, UploadForm, FormUser, LeavingSession), which does."""
    expected = getattr(request.state, "csrf_token", "")
    if not expected or not isinstance(submitted, str) or not secrets.compare_digest(expected, submitted):
        raise Forbidden(EXPIRED)


async def page_form(request: Request, posted: Posted, user: PageUser) -> Form:
    """A signed-in person's form, CSRF-checked: `form: PageForm` in every page's POST handler."""
    _check_csrf(request, posted.get("csrf_token"))
    return Form(posted)


PageForm = Annotated[Form, Depends(page_form)]


async def caller_form(request: Request, posted: Posted, user: PageCaller) -> Form:
    """PageForm for a handler whose user is read on the reading engine (PageCaller, AdminPageCaller):
    one that hashes a password or reads a file before its transaction begins."""
    _check_csrf(request, posted.get("csrf_token"))
    return Form(posted)


CallerForm = Annotated[Form, Depends(caller_form)]


async def public_form(posted: Posted) -> Form:
    """A form anyone may send (the public survey, which carries a single-use token of its own)."""
    return Form(posted)


PublicForm = Annotated[Form, Depends(public_form)]


async def form_user(request: Request, posted: Posted, session: SessionDep) -> User | None:
    """For forms that work signed in or out (the language switch): the signed-in user when the form
    carries their session's token, None when it carries none or the browser is not signed in; 403
    when it carries a token that is not the session's."""
    if not posted.get("csrf_token"):
        return None
    record = await _checked_session(request, posted, session)
    return await accounts.active_user(session, record.user_id) if record else None


async def leaving_session(request: Request, posted: Posted, session: SessionDep) -> WebSession | None:
    """For the logout form: the browser's session, whose token the form must carry (403 otherwise:
    another site must not sign a person out of a wall screen); None when the browser has none."""
    return await _checked_session(request, posted, session)


async def _checked_session(request: Request, posted: FormData, session: AsyncSession) -> WebSession | None:
    record = await accounts.find_web_session(session, request.cookies.get(SESSION_COOKIE))
    if record is not None:
        request.state.csrf_token = record.csrf_token
        _check_csrf(request, posted.get("csrf_token"))
    return record


FormUser = Annotated[User | None, Depends(form_user)]
LeavingSession = Annotated[WebSession | None, Depends(leaving_session)]


async def posted_upload(request: Request) -> AsyncIterator[FormData]:
    """A form with at most one file; the spooled file is closed when the request ends."""
    data = await parse_form(request, max_files=1)
    try:
        yield data
    finally:
        await data.close()


async def upload_form(
    request: Request, posted: Annotated[FormData, Depends(posted_upload)], admin: AdminPageCaller
) -> Form:
    """An admin's form with a file (the staff import), CSRF-checked. The admin is read on the reading
    engine (page_caller), so the handler can read and check the file before its transaction begins."""
    _check_csrf(request, posted.get("csrf_token"))
    return Form(posted)


UploadForm = Annotated[Form, Depends(upload_form)]
