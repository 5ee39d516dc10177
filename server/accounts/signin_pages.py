"""The sign-in pages: /login, /logout and /account/password (a person changing their own password).

The login form signs in through the same service as the API's token (accounts.signin.sign_in), so the
two count against the same limits. It carries a login CSRF token: a random value in a cookie and, in the
form, that value signed with the deployment's secret. Another site can post to /login but can neither
read the cookie nor sign a value of its own, so it cannot sign a visitor in to an account it chose."""

import hmac
from hashlib import sha256
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server import clock
from server.accounts import service as accounts
from server.accounts.credentials import (
    FIRST_PASSWORD_PAGE,
    PasswordRefused,
    check_password_change,
    set_own_password,
)
from server.accounts.models import User
from server.accounts.passwords import MAX_PASSWORD_LENGTH
from server.accounts.security import new_token
from server.accounts.signin import sign_in
from server.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from server.errors import NotAuthenticated, TooManyRequests
from server.pages import i18n
from server.pages.deps import CallerForm, LeavingSession, PageCaller, PageRoute, PageUser, safe_next
from server.pages.i18n import N_
from server.pages.render import render
from server.ratelimit import client_address
from server.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=PageRoute)

TOO_MANY = N_("Terlalu banyak percobaan masuk yang gagal dari sini. Coba lagi dalam %(n)s detik.")


def _login_cookie(request: Request) -> str:
    # Over HTTPS the __Host- prefix keeps a sibling subdomain from planting a value of its own.
    return "__Host-pantau_login" if request.url.scheme == "https" else "pantau_login"


def _login_token(runtime: Runtime, nonce: str) -> str:
    return hmac.new(runtime.secret_key.encode(), b"login:" + nonce.encode(), sha256).hexdigest()


def _login_token_matches(request: Request, runtime: Runtime, submitted: str) -> bool:
    nonce = request.cookies.get(_login_cookie(request), "")
    return bool(nonce) and hmac.compare_digest(_login_token(runtime, nonce), submitted)


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


def _login_page(request: Request, runtime: Runtime, *, status_code: int = 200, **context: object) -> Response:
    """The form, with a login token for this browser's nonce (kept when it has one, so two open tabs
    both work)."""
    kept = request.cookies.get(_login_cookie(request))
    nonce = kept or new_token()
    context.setdefault("username", "")
    context.setdefault("error", None)
    token = _login_token(runtime, nonce)
    response = render(request, "login.html", status_code=status_code, login_token=token, **context)
    if not kept:
        _set_cookie(request, response, _login_cookie(request), nonce, max_age=None)
    return response


def _too_many(request: Request, refused: TooManyRequests) -> str:
    return i18n.translate(TOO_MANY, i18n.request_locale(request), n=refused.retry_after)


def _password_form(request: Request, user: User, errors: dict[str, str], *, status_code: int) -> Response:
    """The form again, each refusal on its field (the policy's message on the new password)."""
    return render(
        request,
        "account_password.html",
        status_code=status_code,
        error=errors,
        saved=False,
        must_change=user.must_change_password,
    )


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, runtime: RuntimeDep, next: str | None = None) -> Response:
    return _login_page(request, runtime, next=safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Failed attempts count with the API's (accounts.signin); a refusal is said on the form. The
    request's transaction begins only once the password has been checked, to store the session."""
    shown = {"next": safe_next(next), "username": username[:64]}
    if not _login_token_matches(request, runtime, csrf_token):
        error = N_("Formulir masuk sudah kedaluwarsa atau tidak sah. Masukkan kata sandi Anda sekali lagi.")
        return _login_page(request, runtime, status_code=403, error=error, **shown)
    try:
        user = await sign_in(
            read_sessionmaker=runtime.read_sessionmaker,
            limiter=runtime.limiter,
            username=username,
            password=password,
            address=client_address(request),
        )
        await accounts.end_web_session(session, request.cookies.get(SESSION_COOKIE))
        token, _ = await accounts.start_web_session(session, user=user, hours=runtime.settings.session_hours)
    except TooManyRequests as refused:
        response = _login_page(request, runtime, status_code=429, error=_too_many(request, refused), **shown)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    except NotAuthenticated:
        error = N_("Nama pengguna atau kata sandi salah.")
        return _login_page(request, runtime, status_code=401, error=error, **shown)
    # A first password (credential slip) is replaced before anything else: the page says why.
    target = FIRST_PASSWORD_PAGE if user.must_change_password else shown["next"]
    response = RedirectResponse(target, status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, token, max_age=runtime.settings.session_hours * 3600)
    response.delete_cookie(_login_cookie(request))
    return response


@router.post("/account/session/renew", status_code=204)
async def renew_session(request: Request, runtime: RuntimeDep, kept: LeavingSession) -> Response:
    """Called by an open wall screen every half hour: its session (and cookie) last `session_hours` more,
    up to `session_max_days` after signing in. 403 without the session's form token, like logout."""
    if kept is None:
        raise NotAuthenticated()
    settings = runtime.settings
    expires = await accounts.renew_web_session(
        kept, hours=settings.session_hours, max_days=settings.session_max_days
    )
    response = Response(status_code=204)
    remaining = int((expires - clock.now()).total_seconds())
    _set_cookie(request, response, SESSION_COOKIE, request.cookies.get(SESSION_COOKIE, ""), max_age=remaining)
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, leaving: LeavingSession) -> Response:
    if leaving is not None:  # the form carried the session's token (another site's cannot)
        await accounts.end_web_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account/password", response_class=HTMLResponse)
async def password_page(request: Request, user: PageUser) -> Response:
    """Everyone's own password; someone signed in with a first password is sent here until they change it."""
    saved = request.query_params.get("saved") == "1"
    return render(
        request, "account_password.html", error={}, saved=saved, must_change=user.must_change_password
    )


@router.post("/account/password")
async def change_password(
    request: Request,
    user: PageCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    form: CallerForm,
) -> Response:
    """Every other browser and token of the person is signed out; this browser gets a fresh session."""
    current_password, new_password = form.text("current_password"), form.text("new_password")
    new_password_confirm = form.text("new_password_confirm")
    errors: dict[str, str] = {}
    password_hash = ""
    if len(new_password) > MAX_PASSWORD_LENGTH:
        errors["new_password"] = N_("Kata sandi paling banyak 256 karakter.")
    elif new_password != new_password_confirm:
        errors["new_password_confirm"] = N_("Kedua isian kata sandi baru tidak sama.")
    else:
        try:
            password_hash = await check_password_change(
                limiter=runtime.limiter,
                user=user,
                current_password=current_password,
                new_password=new_password,
                address=client_address(request),
            )
        except PasswordRefused as refused:
            errors[refused.field] = str(refused.detail)
        except TooManyRequests as refused:
            errors["current_password"] = _too_many(request, refused)
            response = _password_form(request, user, errors, status_code=429)
            response.headers["Retry-After"] = str(refused.retry_after)
            return response
    if errors:
        return _password_form(request, user, errors, status_code=422)
    changed = await set_own_password(
        session, user_id=user.id, epoch=user.credentials_epoch, password_hash=password_hash
    )
    token, _ = await accounts.start_web_session(session, user=changed, hours=runtime.settings.session_hours)
    response = RedirectResponse("/account/password?saved=1", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, token, max_age=runtime.settings.session_hours * 3600)
    return response
