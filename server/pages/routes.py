"""Server-rendered pages. Thin: they read through the domain services and render templates.
Every page reads fully without JavaScript; the board's live updates are an enhancement."""

import json
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import service as accounts
from server.accounts.models import Role, Unit, User
from server.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from server.errors import Forbidden, Invalid, NotAuthenticated, PantauError
from server.pages.render import render
from server.projects import service as projects
from server.projects.access import visible_project
from server.projects.boards import check_board_access, project_snapshot, unit_snapshot
from server.projects.models import Milestone, MilestoneAssignee, MilestoneStatus, UpdateCreate
from server.projects.reads import one_project_read
from server.realtime.events import board_position, project_board, unit_board
from server.realtime.routes import _consistent_read

router = APIRouter(include_in_schema=False)


async def page_user(request: Request, session: SessionDep) -> User:
    record = await accounts.find_web_session(session, request.cookies.get(SESSION_COOKIE))
    user = await accounts.active_user(session, record.user_id if record else None)
    if user is None or record is None:
        raise NotAuthenticated()
    request.state.user = user
    request.state.csrf_token = record.csrf_token
    return user


PageUser = Annotated[User, Depends(page_user)]


def check_csrf(request: Request, submitted: str) -> None:
    expected = getattr(request.state, "csrf_token", "")
    if not expected or not secrets.compare_digest(expected, submitted or ""):
        raise Forbidden("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")


def safe_next(target: str | None) -> str:
    """Only a path on this site is followed after signing in."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
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
            request, "login.html", status_code=401, next=safe_next(next), username=username,
            error="Nama pengguna atau kata sandi salah.",
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
async def logout(request: Request, session: SessionDep) -> Response:
    await accounts.end_web_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    if user.role == Role.leader:
        return RedirectResponse(f"/board/unit/{user.unit_id}", status_code=303)
    if user.role == Role.admin:
        units = (await session.scalars(select(Unit).order_by(Unit.id))).all()
        return render(request, "admin_home.html", units=units)
    return await my_work(request, session, user)


async def my_work(request: Request, session: AsyncSession, user: User, error: str | None = None) -> Response:
    project_list = await projects.list_projects(session, by=user)
    mine = set(
        (await session.scalars(select(MilestoneAssignee.milestone_id).where(MilestoneAssignee.user_id == user.id))).all()
    )
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
    milestone_id: Annotated[int, Form()],
    progress_pct: Annotated[int, Form()],
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    blockers: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    if not 0 <= progress_pct <= 100:
        raise Invalid("Persentase kemajuan harus antara 0 dan 100.")
    data = UpdateCreate(milestone_id=milestone_id, progress_pct=progress_pct, note=note, blockers=blockers)
    try:
        await projects.post_update(session, by=user, project_id=project_id, data=data)
    except Invalid as exc:
        await session.rollback()
        return render(request, "update_error.html", status_code=422, detail=exc.detail, back=safe_next(back))
    target = safe_next(back)
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}saved=1", status_code=303)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project_page(request: Request, project_id: int, session: SessionDep, user: PageUser) -> Response:
    project = await visible_project(session, user, project_id)
    await _consistent_read(session)
    seq = await board_position(session, project_board(project_id))
    snapshot = await project_snapshot(session, project_id)
    read = await one_project_read(session, project)
    can_post = project.lead_id == user.id or user.id in read.member_ids
    return render(
        request,
        "project.html",
        project=read,
        updates=snapshot["updates"],
        people=snapshot["people"],
        seq=seq,
        can_post=can_post,
        is_lead=project.lead_id == user.id,
        saved=request.query_params.get("saved") == "1",
    )


@router.get("/board/unit/{unit_id}", response_class=HTMLResponse)
async def unit_board_page(request: Request, unit_id: int, session: SessionDep, user: PageUser) -> Response:
    await check_board_access(session, user, "unit", unit_id)
    await _consistent_read(session)
    seq = await board_position(session, unit_board(unit_id))
    snapshot = await unit_snapshot(session, unit_id)
    return render(
        request,
        "board_unit.html",
        board=snapshot,
        seq=seq,
        board_json=json.dumps(snapshot, ensure_ascii=False),
        unit_id=unit_id,
    )


__all__ = ["router", "PantauError", "Milestone", "MilestoneStatus"]
