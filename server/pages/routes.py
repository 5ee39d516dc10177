"""Server-rendered pages. Thin: they read through the domain services and render templates.
Every page reads fully without JavaScript; the board's live updates are an enhancement. What every page
shares (the signed-in user, the CSRF-checked form) is in server/pages/deps.py; this module is a router."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server.accounts import service as accounts
from server.accounts.models import Role
from server.deps import RuntimeDep, SessionDep
from server.errors import Invalid
from server.pages import i18n
from server.pages.deps import FormUser, PageRoute, PageUser, PublicForm, safe_next
from server.pages.i18n import N_
from server.pages.render import render
from server.pages.unit_board import board_surroundings
from server.projects.boards import board_view, check_board_access
from server.projects.work_pages import my_work

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# /login, /logout and /account/password: server/accounts/signin_pages.py


@router.post("/language")
async def set_language(request: Request, form: PublicForm, user: FormUser) -> Response:
    """The language switch in every page's header. It sets a cookie, so that it works on the public
    pages (login, survey, help) too; from a signed-in page (which sends its CSRF token) it also keeps
    the choice on the user, so that it follows them to other devices."""
    language = form.text("language")
    if language not in i18n.LOCALES:
        raise Invalid(N_("Bahasa tidak dikenal. Pilih Bahasa Indonesia atau English."))
    if user is not None:
        user.locale = language
    response = RedirectResponse(safe_next(form.text("next", "/")), status_code=303)
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


@router.get("/board/unit/{unit_id}", response_class=HTMLResponse)
async def unit_board_page(
    request: Request, unit_id: int, session: SessionDep, runtime: RuntimeDep, user: PageUser
) -> Response:
    """The live board; `?layout=wall` is the wall screen (paging, activity strip, clock), with
    `?page_seconds=N` its pace."""
    await check_board_access(session, user, "unit", unit_id)
    seq, snapshot = await board_view(runtime.read_sessionmaker, "unit", unit_id)
    around = await board_surroundings(
        session, user=user, unit_id=unit_id, board=snapshot, query=request.query_params
    )
    return render(request, "board_unit.html", board=snapshot, seq=seq, unit_id=unit_id, **around)
