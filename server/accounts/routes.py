"""Sign-in, the caller, units and users."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from server.accounts import onboarding, service
from server.accounts.credentials import check_password_change, set_own_password
from server.accounts.importer import import_staff
from server.accounts.models import Role, UnitCreate, UnitRead, UnitUpdate, UserCreate, UserRead, UserUpdate
from server.accounts.security import create_access_token, hash_password_off_loop
from server.accounts.signin import sign_in
from server.bodylimit import API_BODY_LIMIT, UPLOAD_BODY_LIMIT, body_limited_route
from server.deps import AdminCaller, AdminUser, Caller, CurrentUser, RuntimeDep, SessionDep
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
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], runtime: RuntimeDep
) -> Token:
    """OAuth2 password flow: exchange a username and password for a bearer token. Failed attempts count
    together with the login form's: after a few for one account from one address, or many from one
    address, further attempts from there wait (429 with Retry-After). Failures from other addresses never
    refuse the account's owner. A password change or reset, or a deactivation, revokes the token."""
    user = await sign_in(
        read_sessionmaker=runtime.read_sessionmaker,
        limiter=runtime.limiter,
        username=form.username,
        password=form.password,
        address=client_address(request),
    )
    token = create_access_token(
        user.id, runtime.secret_key, runtime.settings.access_token_minutes, epoch=user.credentials_epoch
    )
    return Token(access_token=token)


@router.get("/me")
async def read_me(user: CurrentUser) -> UserRead:
    """The signed-in user."""
    return UserRead.model_validate(user)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


@router.post("/me/password", status_code=204)
async def change_my_password(
    request: Request, body: PasswordChange, user: Caller, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Change your own password. A wrong current password counts like a failed sign-in (422, then 429);
    the new one must have at least 8 characters, not be a common one and not contain your username or
    NIP (422). Every session and token of yours ends, this one included: sign in again with the new
    password."""
    password_hash = await check_password_change(
        limiter=runtime.limiter,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        address=client_address(request),
    )
    await set_own_password(
        session, user_id=user.id, epoch=user.credentials_epoch, password_hash=password_hash
    )
    return Response(status_code=204)


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
async def create_user(body: UserCreate, session: SessionDep, admin: AdminCaller) -> UserRead:
    """Create an ASN account. `nip` is the 18-digit NIP; spaces are ignored."""
    password_hash = await hash_password_off_loop(body.password)  # before this request's transaction
    user = await service.create_user(session, data=body, password_hash=password_hash, by_id=admin.id)
    return UserRead.model_validate(user)


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
async def update_user(user_id: int, body: UserUpdate, session: SessionDep, admin: AdminCaller) -> UserRead:
    """Change an account: name, role, unit, supervisor, email, password, or disable it. A new password
    and a deactivation end the account's sessions and revoke its tokens at once; reactivating it revives
    none of them. The last active admin cannot be demoted or deactivated (409). Every change is kept in
    the history."""
    # Hashed before this request's transaction begins, so that no lock is held while argon2 runs.
    password_hash = await hash_password_off_loop(body.password) if body.password is not None else None
    user = await service.get_user(session, user_id)
    return UserRead.model_validate(
        await service.update_user(session, by_id=admin.id, user=user, data=body, password_hash=password_hash)
    )


class FirstPasswordsRequest(BaseModel):
    user_ids: list[int] | None = Field(default=None, max_length=1000)


class FirstPasswordRead(BaseModel):
    id: int
    username: str
    name: str
    nip: str
    password: str


@router.post("/users/first-passwords")
async def make_first_passwords(
    body: FirstPasswordsRequest, session: SessionDep, runtime: RuntimeDep, admin: AdminCaller
) -> list[FirstPasswordRead]:
    """Make first passwords for active accounts that have none (after an import), for credential slips:
    those among `user_ids`, or when it is omitted, all of them, at most 48 a request (call again for the
    rest). Each account must change its password at its first sign-in. The passwords are in this answer
    only: they are stored hashed and never shown again. Accounts that have a password are left alone."""
    async with runtime.read_sessionmaker() as reads:
        waiting = await onboarding.waiting_for_first_password(reads, user_ids=body.user_ids)
    drafts = await onboarding.draft_first_passwords(waiting)  # hashed before this request's transaction
    stored = await onboarding.store_first_passwords(session, by_id=admin.id, drafts=drafts)
    return [
        FirstPasswordRead(id=s.user_id, username=s.username, name=s.name, nip=s.nip, password=s.password)
        for s in stored
    ]


async def import_users(
    file: UploadFile, session: SessionDep, admin: AdminCaller, dry_run: bool = False
) -> dict[str, object]:
    """Import staff from a CSV or XLSX file (columns: NIP, name, unit, supervisor NIP, role, email).
    Every row is checked first; with any problem nothing is imported and the 422 lists each bad row."""
    # AdminCaller: the admin is read apart, so the file is read before this request's transaction begins.
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
