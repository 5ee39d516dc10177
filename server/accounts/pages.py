"""The admin pages (BKPSDM operator): accounts here, and the router that gathers units, the staff import,
the change history and the sign-in pages. Thin: every rule about accounts is accounts.service's; these
handlers read the form, call it, and draw the page again with the service's message when it refuses."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import history_pages, import_pages, onboarding_pages, signin_pages, unit_pages
from server.accounts import service as accounts
from server.accounts.admin_views import (
    Errors,
    changes,
    history_names,
    unit_tree,
    user_history,
)
from server.accounts.models import Role, User, UserCreate, UserUpdate
from server.accounts.nip import InvalidNip, normalize_nip
from server.accounts.passwords import password_problem
from server.accounts.security import hash_password_off_loop
from server.deps import RuntimeDep, SessionDep
from server.pages import i18n
from server.pages.deps import AdminPage, AdminPageCaller, CallerForm, PageRoute, form_number
from server.pages.forms import attempt, validation_problem
from server.pages.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
router.include_router(onboarding_pages.router)  # before /admin/users/{user_id}, which would take its path
router.include_router(import_pages.router)
router.include_router(history_pages.router)
router.include_router(unit_pages.router)
router.include_router(signin_pages.router)

# --- users ---------------------------------------------------------------------------------------------

USER_FIELDS = ("name", "role", "unit_id", "supervisor_nip", "email")


@router.get("/admin/users", response_class=HTMLResponse)
async def users_page(
    request: Request,
    session: SessionDep,
    admin: AdminPage,
    q: str = "",
    page: int = 1,
    without_password: bool = False,
) -> Response:
    """Accounts matching `q` (name, username or NIP), 25 a page; `without_password=1`: only the active
    ones waiting for a first password, to print their credential slips."""
    return await onboarding_pages.users_list(
        request, session, q=q, page=page, without_password=without_password
    )


async def _supervisor_id(session: AsyncSession, raw: str, errors: Errors) -> int | None:
    """The supervisor named by NIP (spaces allowed); empty means none."""
    if not raw.strip():
        return None
    try:
        nip = normalize_nip(raw)
    except InvalidNip:
        errors["supervisor_nip"] = "nip"
        return None
    found = await session.scalar(select(User.id).where(User.nip == nip))
    if found is None:
        errors["supervisor_nip"] = "supervisor_unknown"
    return found


async def _password_hash(
    fields: dict[str, str], errors: Errors, *, required: bool, username: str = "", nip: str = ""
) -> tuple[str | None, str | None]:
    """(the hash of the form's new password, or None; why it may not be used, or None). Hashed off the
    event loop, before the handler's first statement."""
    password, confirm = fields.get("password", ""), fields.get("password_confirm", "")
    if not password and not required:
        return None, None
    problem = password_problem(password, username=username, nip=nip.replace(" ", ""))
    if problem:  # said on the password field, in the policy's own words (server/accounts/passwords.py)
        errors["password"] = "password_policy"
        return None, problem
    if password != confirm:
        errors["password_confirm"] = "password_mismatch"
        return None, None
    return await hash_password_off_loop(password), None


def _email(raw: str, errors: Errors) -> str | None:
    email = raw.strip()
    if email and ("@" not in email or len(email) > 200 or " " in email):
        errors["email"] = "email"
    return email or None


async def _candidates(session: AsyncSession, unit_id: int | None) -> list[User]:
    """Likely supervisors for the picker: active people of the unit and of every unit above it (for a new
    account without a unit yet, the active leaders)."""
    query = select(User).where(User.is_active).order_by(User.name).limit(200)
    if unit_id is None:
        query = query.where(User.role == Role.leader)
    else:
        query = query.where(User.unit_id.in_(await accounts.unit_ancestors(session, unit_id)))
    return list((await session.scalars(query)).all())


async def _user_form_context(session: AsyncSession, unit_id: int | None) -> dict[str, Any]:
    units = await accounts.list_units(session)
    return {
        "tree": unit_tree(units),
        "unit_names": {u.id: u.name for u in units},
        "candidates": await _candidates(session, unit_id),
        "roles": list(Role),
    }


@router.get("/admin/users/new", response_class=HTMLResponse)
async def new_user_page(request: Request, session: SessionDep, admin: AdminPage) -> Response:
    context = await _user_form_context(session, None)
    return render(request, "admin_user_new.html", errors={}, form={"role": "staff"}, detail=None, **context)


def _field_errors(exc: ValidationError, errors: Errors) -> str:
    """Marks each field UserCreate or UserUpdate refused with the code of its message, by the field the
    refusal names (a refused password was once said as a too long name); the models' own words are
    said too, each with its field (validation_problem)."""
    for problem in exc.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if field == "name":
            errors[field] = "too_long" if problem["type"] == "string_too_long" else "required"
        elif field:
            errors[FORM_FIELDS.get(field, field)] = FIELD_CODES.get(field, "invalid")
    return validation_problem(exc)


FIELD_CODES = {
    "nip": "nip",
    "email": "email",
    "password": "password_policy",
    "supervisor_id": "supervisor_unknown",
}
FORM_FIELDS = {"supervisor_id": "supervisor_nip"}  # a model's field -> the form's field that fills it


def _said(request: Request, message: str | None) -> str | None:
    """A message of the domain (English, like the API's) in the page's language."""
    return i18n.localise_message(message, i18n.request_locale(request)) if message else None


@router.post("/admin/users/new")
async def create_user(
    request: Request, session: SessionDep, admin: AdminPageCaller, posted: CallerForm
) -> Response:
    fields = posted.values(*USER_FIELDS, "username", "nip", "password", "password_confirm")
    form = {
        k: fields.get(k, "")
        for k in ("username", "name", "nip", "role", "unit_id", "supervisor_nip", "email")
    }
    errors: Errors = {}
    password_hash, password_said = await _password_hash(
        fields, errors, required=True, username=form["username"].strip(), nip=form["nip"]
    )
    detail: str | None = password_said
    data: dict[str, Any] = {
        "username": form["username"].strip(),
        "name": form["name"].strip(),
        "nip": form["nip"],
        "role": form["role"],
        "unit_id": form_number(form["unit_id"]),
        "supervisor_id": await _supervisor_id(session, form["supervisor_nip"], errors),
        "email": _email(form["email"], errors),
        "password": fields.get("password", ""),
    }
    try:
        normalize_nip(form["nip"])
    except InvalidNip:
        errors["nip"] = "nip"  # said now, with the other fields, rather than after they are fixed
    status_code = 422
    if not errors:
        try:
            new = UserCreate(**data)
        except ValidationError as exc:
            detail = _field_errors(exc, errors)
        else:
            user, problem = await attempt(
                lambda: accounts.create_user(session, data=new, password_hash=password_hash, by_id=admin.id),
                shown=(409, 422),  # an unknown unit or supervisor; a username or NIP taken
                session=session,
            )
            if user is not None:
                return RedirectResponse(f"/admin/users/{user.id}?saved=1", status_code=303)
            if problem:
                detail, status_code = problem, problem.status_code
    context = await _user_form_context(session, data["unit_id"])
    return render(
        request,
        "admin_user_new.html",
        status_code=status_code,
        errors=errors,
        form=form,
        detail=detail,
        password_problem=_said(request, password_said),
        **context,
    )


async def _user_edit(
    request: Request,
    session: AsyncSession,
    user_id: int,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    form: dict[str, str] | None = None,
    detail: str | None = None,
    unchanged: bool = False,
    password_problem: str | None = None,
) -> Response:
    person = await accounts.get_user(session, user_id)
    supervisor = await session.get(User, person.supervisor_id) if person.supervisor_id else None
    current = {
        "name": person.name,
        "role": str(person.role),
        "unit_id": str(person.unit_id),
        "supervisor_nip": supervisor.nip if supervisor else "",
        "email": person.email or "",
        "is_active": "1" if person.is_active else "",
    }
    entries = await user_history(session, user_id)
    return render(
        request,
        "admin_user_edit.html",
        status_code=status_code,
        person=person,
        supervisor=supervisor,
        errors=errors or {},
        form=form if form is not None else current,
        detail=detail,
        password_problem=_said(request, password_problem),
        unchanged=unchanged,
        saved=request.query_params.get("saved") == "1" and status_code == 200 and not unchanged,
        history=[(e, changes(e)) for e in entries],
        names=await history_names(session, entries),
        **await _user_form_context(session, person.unit_id),
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
async def user_edit_page(request: Request, user_id: int, session: SessionDep, admin: AdminPage) -> Response:
    """One account: change it (accounts.service.update_user) and read its history."""
    return await _user_edit(request, session, user_id)


@router.post("/admin/users/{user_id}")
async def update_user(
    request: Request,
    user_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminPageCaller,
    posted: CallerForm,
) -> Response:
    """A new password or a deactivation signs the person out everywhere (accounts.service.update_user);
    the last active admin stays one (409, said on the form)."""
    fields = posted.values(*USER_FIELDS, "is_active", "password", "password_confirm")
    errors: Errors = {}
    async with runtime.read_sessionmaker() as reads:  # whose username and NIP the password must avoid
        known = await reads.get(User, user_id)
    password_hash, detail = await _password_hash(
        fields,
        errors,
        required=False,
        username=known.username if known else "",
        nip=known.nip if known else "",
    )
    person = await accounts.get_user(session, user_id)
    form = {k: fields.get(k, "") for k in ("name", "role", "unit_id", "supervisor_nip", "email", "is_active")}
    wanted: dict[str, Any] = {
        "name": form["name"].strip(),
        "role": form["role"],
        "unit_id": form_number(form["unit_id"]),
        "supervisor_id": await _supervisor_id(session, form["supervisor_nip"], errors),
        "email": _email(form["email"], errors),
        "is_active": form["is_active"] == "1",
    }
    if not wanted["name"]:
        errors["name"] = "required"
    if wanted["role"] not in {r.value for r in Role}:
        errors["role"] = "invalid"
    if wanted["unit_id"] is None:
        errors["unit_id"] = "invalid"
    if person.id == admin.id and (not wanted["is_active"] or wanted["role"] != Role.admin.value):
        errors["is_active" if not wanted["is_active"] else "role"] = "self"
    if errors:
        return await _user_edit(
            request,
            session,
            user_id,
            status_code=422,
            errors=errors,
            form=form,
            detail=detail,
            password_problem=detail if errors.get("password") == "password_policy" else None,
        )
    current = {
        "name": person.name,
        "role": str(person.role),
        "unit_id": person.unit_id,
        "supervisor_id": person.supervisor_id,
        "email": person.email,
        "is_active": person.is_active,
    }
    changed = {k: v for k, v in wanted.items() if current[k] != v} | (
        {"password": fields["password"]} if password_hash else {}
    )
    if not changed:
        return await _user_edit(request, session, user_id, unchanged=True)
    try:
        data = UserUpdate(**changed)
    except ValidationError as exc:
        refused: Errors = {}
        detail = _field_errors(exc, refused)
        return await _user_edit(
            request, session, user_id, status_code=422, errors=refused, form=form, detail=detail
        )
    _, problem = await attempt(
        lambda: accounts.update_user(
            session, by_id=admin.id, user=person, data=data, password_hash=password_hash
        ),
        shown=(409, 422),  # the last active admin
        session=session,
    )
    if problem:
        return await _user_edit(
            request, session, user_id, status_code=problem.status_code, form=form, detail=problem
        )
    return RedirectResponse(f"/admin/users/{user_id}?saved=1", status_code=303)
