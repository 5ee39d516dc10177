"""Sign-in, the caller, units and users."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from server.accounts import service
from server.accounts.importer import import_staff
from server.accounts.models import Role, UnitCreate, UnitRead, UnitUpdate, UserCreate, UserRead, UserUpdate
from server.accounts.security import create_access_token
from server.bodylimit import API_BODY_LIMIT, UPLOAD_BODY_LIMIT, body_limited_route
from server.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep
from server.errors import ERROR_RESPONSES, Forbidden, Invalid
from server.ratelimit import client_address

router = APIRouter(
    prefix="/api/v1",
    tags=["accounts"],
    responses=ERROR_RESPONSES,
    route_class=body_limited_route(API_BODY_LIMIT),
)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/auth/token")
async def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    runtime: RuntimeDep,
) -> Token:
    """OAuth2 password flow: exchange a username and password for a bearer token. Repeated failures
    for one account or from one address are refused for a while (429 with Retry-After)."""
    user = await service.sign_in(
        session,
        runtime.limiter,
        username=form.username,
        password=form.password,
        address=client_address(request),
    )
    token = create_access_token(user.id, runtime.secret_key, runtime.settings.access_token_minutes)
    return Token(access_token=token)


@router.get("/me")
async def read_me(user: CurrentUser) -> UserRead:
    """The signed-in user."""
    return UserRead.model_validate(user)


@router.get("/units")
async def list_units(session: SessionDep, user: CurrentUser) -> list[UnitRead]:
    """Every unit (OPD and bidang) of the regency, as a flat list with parent ids."""
    return [UnitRead.model_validate(u) for u in await service.list_units(session)]


@router.post("/units", status_code=201)
async def create_unit(body: UnitCreate, session: SessionDep, admin: AdminUser) -> UnitRead:
    """Create an OPD (no parent) or a bidang under one. Kept in the history."""
    return UnitRead.model_validate(await service.create_unit(session, data=body, by_id=admin.id))


@router.patch("/units/{unit_id}")
async def update_unit(unit_id: int, body: UnitUpdate, session: SessionDep, admin: AdminUser) -> UnitRead:
    """Rename a unit, move it under another (never under itself or its own sub-units) or change its
    population. Every change is kept in the history."""
    unit = await service.get_unit(session, unit_id)
    return UnitRead.model_validate(await service.update_unit(session, by_id=admin.id, unit=unit, data=body))


@router.post("/users", status_code=201)
async def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> UserRead:
    """Create an ASN account. `nip` is the 18-digit NIP; spaces are ignored."""
    return UserRead.model_validate(await service.create_user(session, data=body, by_id=admin.id))


@router.get("/users")
async def list_users(session: SessionDep, user: CurrentUser) -> list[UserRead]:
    """Admins see every account; leaders the people of their unit and its sub-units."""
    if user.role == Role.admin:
        return [UserRead.model_validate(u) for u in await service.list_users(session)]
    if user.role == Role.leader:
        units = await service.unit_subtree(session, user.unit_id)
        return [UserRead.model_validate(u) for u in await service.list_users(session, unit_ids=units)]
    raise Forbidden("Only admins and leaders may list accounts")


@router.patch("/users/{user_id}")
async def update_user(user_id: int, body: UserUpdate, session: SessionDep, admin: AdminUser) -> UserRead:
    """Change an account: name, role, unit, supervisor, email, password, or disable it (is_active=false
    ends its sessions and tokens at once). Every change is kept in the history."""
    user = await service.get_user(session, user_id)
    return UserRead.model_validate(await service.update_user(session, by_id=admin.id, user=user, data=body))


async def import_users(
    file: UploadFile, session: SessionDep, admin: AdminUser, dry_run: bool = False
) -> dict[str, object]:
    """Import staff from a CSV or XLSX file (columns: NIP, name, unit, supervisor NIP, role, email).
    Every row is checked first; with any problem nothing is imported and the 422 lists each bad row."""
    content = await file.read()
    report = await import_staff(
        session, by_id=admin.id, filename=file.filename or "import.csv", content=content, dry_run=dry_run
    )
    if not report.ok:
        raise Invalid(report.problems() or "The file has no rows")
    return {"rows": len(report.rows), "imported": report.imported, "dry_run": dry_run}


# A spreadsheet is bigger than any JSON body, so this one route reads up to the upload limit.
router.add_api_route(
    "/users/import",
    import_users,
    methods=["POST"],
    route_class_override=body_limited_route(UPLOAD_BODY_LIMIT),
)
