"""Sign-in, the caller, units and users."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from server.accounts import service
from server.accounts.models import UnitCreate, UnitRead, UnitUpdate, UserCreate, UserRead
from server.accounts.security import create_access_token
from server.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep
from server.ratelimit import client_address

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/auth/token")
async def issue_token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, runtime: RuntimeDep
) -> Token:
    """OAuth2 password flow: exchange a username and password for a bearer token. Repeated failures
    for one account or from one address are refused for a while (429 with Retry-After)."""
    user = await service.sign_in(
        session, runtime.limiter, username=form.username, password=form.password, address=client_address(request)
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
    return UnitRead.model_validate(await service.create_unit(session, data=body))


@router.patch("/units/{unit_id}")
async def update_unit(unit_id: int, body: UnitUpdate, session: SessionDep, admin: AdminUser) -> UnitRead:
    unit = await service.get_unit(session, unit_id)
    return UnitRead.model_validate(await service.update_unit(session, unit=unit, data=body))


@router.post("/users", status_code=201)
async def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> UserRead:
    """Create an ASN account. `nip` is the 18-digit NIP; spaces are ignored."""
    return UserRead.model_validate(await service.create_user(session, data=body))
