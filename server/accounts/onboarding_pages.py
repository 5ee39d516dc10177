"""Onboarding on the admin pages: the accounts still without a password (the users list's filter "tanpa
kata sandi") and the credential slips. POST /admin/users/first-passwords makes first passwords
(accounts.onboarding) and answers with the slips to print, so a password is never in a URL, a history
entry or a cache (no-store); the next request cannot show them again: a lost slip means new passwords."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts import onboarding
from server.accounts import service as accounts
from server.accounts.admin_views import USERS_PER_PAGE, paging, people_matching, search_users, user_names
from server.accounts.models import User
from server.deps import RuntimeDep, SessionDep
from server.pages.deps import AdminPageCaller, CallerForm, PageRoute
from server.pages.i18n import N_
from server.pages.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

SLIPS_PER_PAGE = 6  # two columns of three on an A4 sheet (web/static/admin.css)
NONE_CHOSEN = N_("Pilih paling sedikit satu akun, atau buat untuk semua akun yang belum punya kata sandi.")
NONE_WAITING = N_("Tidak ada akun aktif yang menunggu kata sandi pertama.")


async def _without_password(session: AsyncSession, *, text: str, page: int) -> tuple[list[User], Any]:
    """A page of the active accounts without a password, by name (the list's filter)."""
    query = select(User).where(col(User.is_active), col(User.password_hash).is_(None))
    if text.strip():
        query = query.where(people_matching(text.strip()))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    where = paging(page, total, USERS_PER_PAGE)
    ordered = query.order_by(func.lower(User.name), col(User.id)).offset(where.offset).limit(USERS_PER_PAGE)
    return list((await session.scalars(ordered)).all()), where


async def users_list(
    request: Request,
    session: AsyncSession,
    *,
    q: str,
    page: int,
    without_password: bool,
    status_code: int = 200,
    problem: str | None = None,
) -> Response:
    """The users list: every account matching `q`, or only those waiting for a first password, with
    boxes to choose whom the slips are for."""
    text = q[:100]
    if without_password:
        found, where = await _without_password(session, text=text, page=page)
    else:
        found, where = await search_users(session, text=text, page=page)
    units = {u.id: u.name for u in await accounts.list_units(session)}
    query: dict[str, str] = ({"q": text} if text else {}) | (
        {"without_password": "1"} if without_password else {}
    )
    return render(
        request,
        "admin_users.html",
        status_code=status_code,
        users=found,
        paging=where,
        q=text,
        units=units,
        supervisors=await user_names(session, {u.supervisor_id for u in found if u.supervisor_id}),
        query=query,
        without_password=without_password,
        waiting=await onboarding.count_waiting(session),
        problem=problem,
        batch=onboarding.BATCH,
    )


@router.post("/admin/users/first-passwords")
async def first_passwords(
    request: Request, session: SessionDep, runtime: RuntimeDep, admin: AdminPageCaller, form: CallerForm
) -> Response:
    """First passwords for the chosen accounts (`user_id`, repeated) or, with `scope=all`, for the
    active accounts without a password, at most onboarding.BATCH at a time; the answer is the slips.
    The passwords are made and hashed before this request's transaction begins."""
    everyone = form.text("scope") == "all"
    chosen = None if everyone else form.numbers("user_id")
    if not everyone and not chosen:
        async with runtime.read_sessionmaker() as reads:
            return await users_list(
                request, reads, q="", page=1, without_password=True, status_code=422, problem=NONE_CHOSEN
            )
    async with runtime.read_sessionmaker() as reads:
        waiting = await onboarding.waiting_for_first_password(reads, user_ids=chosen)
    drafts = await onboarding.draft_first_passwords(waiting)
    slips = await onboarding.store_first_passwords(session, by_id=admin.id or 0, drafts=drafts)
    if not slips:
        return await users_list(
            request, session, q="", page=1, without_password=True, status_code=409, problem=NONE_WAITING
        )
    base = runtime.settings.public_url or str(request.base_url).rstrip("/")
    response = render(
        request,
        "credential_slips.html",
        sheets=[slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)],
        count=len(slips),
        remaining=await onboarding.count_waiting(session),
        sign_in_url=f"{base}/login",
    )
    # Passwords: kept by no browser cache or proxy (the middleware says so for any signed-in answer too).
    response.headers["Cache-Control"] = "no-store"
    return response
