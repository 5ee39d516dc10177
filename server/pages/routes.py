"""Server-rendered pages. Thin: they read through the domain services and render templates.
Every page reads fully without JavaScript; the board's live updates are an enhancement. What every page
shares (the signed-in user, the CSRF-checked form) is in server/pages/deps.py; this module is a router."""

from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts import service as accounts
from server.accounts.models import Role, User
from server.deps import RuntimeDep, SessionDep
from server.errors import Invalid
from server.pages import i18n
from server.pages.deps import FormUser, PageForm, PageRoute, PageUser, PublicForm, safe_next
from server.pages.forms import attempt
from server.pages.i18n import N_
from server.pages.render import render
from server.projects import service as projects
from server.projects.access import visible_project
from server.projects.boards import board_view, check_board_access
from server.projects.burnup import project_burnup
from server.projects.corrections import may_score_quality
from server.projects.models import UpdateCreate

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
    request: Request, project_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    """The no-JavaScript form behind "Kirim pembaruan"; the API's rules (UpdateCreate) apply unchanged."""
    back = safe_next(form.text("back", "/"))
    progress = form.number("progress_pct")
    if progress is None:
        detail = N_("Persentase kemajuan harus berupa angka bulat antara 0 dan 100.")
        return render(request, "update_error.html", status_code=422, back=back, detail=detail)
    _, problem = await attempt(
        lambda: projects.post_update(
            session,
            by=user,
            project_id=project_id,
            data=UpdateCreate(
                milestone_id=form.number("milestone_id"),
                progress_pct=progress,
                note=form.text("note"),
                blockers=form.text("blockers"),
            ),
        ),
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
        scores_quality=await may_score_quality(session, user, project),
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
