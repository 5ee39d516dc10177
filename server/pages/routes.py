"""Server-rendered pages. Thin: they read through the domain services and render templates.
Every page reads fully without JavaScript; the board's live updates are an enhancement."""

import secrets
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts import service as accounts
from server.accounts.models import Role, User
from server.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from server.errors import Forbidden, Invalid, NotAuthenticated
from server.pages import i18n
from server.pages.forms import attempt
from server.pages.i18n import N_, gettext
from server.pages.render import Viewer, render
from server.projects import service as projects
from server.projects.access import visible_project
from server.projects.boards import board_view, check_board_access
from server.projects.burnup import project_burnup
from server.projects.models import UpdateCreate

router = APIRouter(include_in_schema=False)

NOTE_MAX = 4000  # UpdateCreate's limit for note and blockers; the form's maxlength says the same


async def page_user(request: Request, session: SessionDep) -> User:
    record = await accounts.find_web_session(session, request.cookies.get(SESSION_COOKIE))
    user = await accounts.active_user(session, record.user_id if record else None)
    if user is None or record is None:
        raise NotAuthenticated()
    request.state.user = user
    request.state.viewer = Viewer(id=user.id, name=user.name, role=user.role.value, unit_id=user.unit_id)
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


def check_csrf(request: Request, submitted: str) -> None:
    expected = getattr(request.state, "csrf_token", "")
    if not expected or not secrets.compare_digest(expected, submitted or ""):
        raise Forbidden(N_("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi."))


def safe_next(target: str | None) -> str:
    """Only a path on this site is followed after signing in."""
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


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    user = await accounts.authenticate(session, username=username.strip(), password=password)
    if user is None:
        return render(
            request,
            "login.html",
            status_code=401,
            next=safe_next(next),
            username=username,
            error=N_("Nama pengguna atau kata sandi salah."),
        )
    token, _ = await accounts.start_web_session(session, user=user, hours=runtime.settings.session_hours)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=runtime.settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    record = await accounts.find_web_session(session, token)
    if record is not None:
        # Another site must not be able to sign a person out of a wall screen.
        request.state.csrf_token = record.csrf_token
        check_csrf(request, csrf_token)
        await accounts.end_web_session(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language")
async def set_language(
    request: Request,
    session: SessionDep,
    language: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The language switch in every page's header. It sets a cookie, so that it works on the public
    pages (login, survey, help) too; from a signed-in page (which sends its CSRF token) it also keeps
    the choice on the user, so that it follows them to other devices."""
    if language not in i18n.LOCALES:
        raise Invalid(N_("Bahasa tidak dikenal. Pilih Bahasa Indonesia atau English."))
    if csrf_token:
        record = await accounts.find_web_session(session, request.cookies.get(SESSION_COOKIE))
        user = await accounts.active_user(session, record.user_id if record else None)
        if user is not None and record is not None:
            request.state.csrf_token = record.csrf_token
            check_csrf(request, csrf_token)
            user.locale = language
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        i18n.COOKIE,
        language,
        max_age=i18n.COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    if user.role == Role.leader:
        return RedirectResponse(f"/board/unit/{user.unit_id}", status_code=303)
    if user.role == Role.admin:
        return render(request, "admin_home.html", units=await accounts.list_units(session))
    return await my_work(request, session, user)


async def my_work(request: Request, session: AsyncSession, user: User, error: str | None = None) -> Response:
    project_list = await projects.list_projects(session, by=user)
    mine = {m.id for p in project_list for m in p.milestones if user.id in m.assignee_ids}
    return render(
        request,
        "my_work.html",
        status_code=422 if error else 200,
        projects=project_list,
        my_milestones=mine,
        error=error,
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/projects/{project_id}/updates")
async def post_update_form(
    request: Request,
    project_id: int,
    session: SessionDep,
    user: PageUser,
    csrf_token: Annotated[str, Form()] = "",
    milestone_id: Annotated[str, Form()] = "",
    progress_pct: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    blockers: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/",
) -> Response:
    """The no-JavaScript form behind "Kirim pembaruan"; the API's rules apply unchanged."""
    check_csrf(request, csrf_token)
    back = safe_next(back)
    try:
        pct = int(progress_pct.strip())
        if not 0 <= pct <= 100:
            raise ValueError
    except ValueError:
        return render(
            request,
            "update_error.html",
            status_code=422,
            back=back,
            detail=N_("Persentase kemajuan harus berupa angka bulat antara 0 dan 100."),
        )
    if len(note) > NOTE_MAX or len(blockers) > NOTE_MAX:
        return render(
            request,
            "update_error.html",
            status_code=422,
            back=back,
            detail=gettext("Catatan dan kendala masing-masing paling banyak %(n)s karakter.", n=NOTE_MAX),
        )
    data = UpdateCreate(
        milestone_id=int(milestone_id) if milestone_id.isdigit() and len(milestone_id) < 10 else None,
        progress_pct=pct,
        note=note,
        blockers=blockers,
    )
    _, problem = await attempt(
        lambda: projects.post_update(session, by=user, project_id=project_id, data=data),
        shown=(409, 422),
        session=session,
    )
    if problem:
        return render(
            request, "update_error.html", status_code=problem.status_code, detail=problem, back=back
        )
    parts = urlsplit(back)
    query = f"{parts.query}&saved=1" if parts.query else "saved=1"
    return RedirectResponse(urlunsplit(("", "", parts.path, query, parts.fragment)), status_code=303)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project_page(
    request: Request, project_id: int, session: SessionDep, runtime: RuntimeDep, user: PageUser
) -> Response:
    project = await visible_project(session, user, project_id)
    seq, snapshot = await board_view(runtime.read_sessionmaker, "project", project_id)
    read = snapshot["project"]
    return render(
        request,
        "project.html",
        project=read,
        updates=snapshot["updates"],
        people=snapshot["people"],
        seq=seq,
        can_post=project.lead_id == user.id or user.id in read["member_ids"],
        is_lead=project.lead_id == user.id,
        candidates=await projects.member_candidates(session, project=project)
        if project.lead_id == user.id
        else [],
        today=clock.today().isoformat(),
        burnup=await project_burnup(session, project),
        saved=request.query_params.get("saved") == "1",
    )


@router.get("/board/unit/{unit_id}", response_class=HTMLResponse)
async def unit_board_page(
    request: Request, unit_id: int, session: SessionDep, runtime: RuntimeDep, user: PageUser
) -> Response:
    await check_board_access(session, user, "unit", unit_id)
    seq, snapshot = await board_view(runtime.read_sessionmaker, "unit", unit_id)
    return render(request, "board_unit.html", board=snapshot, seq=seq, unit_id=unit_id)
