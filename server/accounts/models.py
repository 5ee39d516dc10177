"""Units (OPD and their bidang), users and web sessions."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field as PydanticField
from pydantic import field_validator, model_validator
from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from server import clock
from server.accounts.nip import InvalidNip, normalize_nip
from server.accounts.security import password_problem
from server.models_base import UTCDateTime
from server.text import Line, Name


class Role(StrEnum):
    admin = "admin"
    leader = "leader"
    staff = "staff"


class UnitBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    population: int | None = Field(default=None, ge=1)


class Unit(UnitBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class UnitCreate(UnitBase):
    name: Name


class UnitUpdate(SQLModel):
    name: Name | None = None
    parent_id: int | None = None
    population: int | None = Field(default=None, ge=1)


class UnitRead(SQLModel):
    """A unit as stored. Read models check nothing: a row written before a rule existed (or by the
    importer of an older version) is still shown, not turned into a 500."""

    id: int
    name: str
    parent_id: int | None
    population: int | None


# Letters, digits and . _ - (an imported account's username is its NIP).
Username = Annotated[str, PydanticField(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class UserBase(SQLModel):
    username: str = Field(min_length=3, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    nip: str = Field(max_length=18)
    role: Role
    unit_id: int = Field(foreign_key="unit.id")
    supervisor_id: int | None = Field(default=None, foreign_key="user.id")


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    nip: str = Field(unique=True, max_length=18)
    email: str | None = Field(default=None, max_length=200)
    password_hash: str | None = None
    is_active: bool = True
    locale: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    # Moved on by a password change or reset and by a deactivation: a bearer token carries the epoch it
    # was issued in and is refused once the user's has moved on (server/accounts/credentials.py).
    credentials_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class UserCreate(UserBase):
    username: Username
    name: Name
    password: str = Field(min_length=8, max_length=256)
    email: Line | None = None

    @field_validator("nip", mode="before")
    @classmethod
    def _valid_nip(cls, value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("NIP must be a string of 18 digits")
        try:
            return normalize_nip(value)
        except InvalidNip as exc:
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _strong_password(self) -> "UserCreate":
        problem = password_problem(self.password, username=self.username, nip=self.nip)
        if problem:
            raise ValueError(problem)
        return self


class UserRead(SQLModel):
    """A user as stored; like UnitRead, it checks nothing (a 50,000-character name from an old import
    is still listed)."""

    id: int
    username: str
    name: str
    nip: str
    role: Role
    unit_id: int
    supervisor_id: int | None = None
    is_active: bool = True


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its hash is stored, so a leaked
    database does not hand out sessions. Deleting the row is what logging out means."""

    __tablename__ = "web_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AppSetting(SQLModel, table=True):
    """Process-shared settings that must live in the database (e.g. the generated secret key)."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str


class UserUpdate(SQLModel):
    """What an admin may change about an account; every change is kept in the history."""

    name: Name | None = None
    role: Role | None = None
    unit_id: int | None = None
    supervisor_id: int | None = None
    is_active: bool | None = None
    email: Line | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str | None) -> str | None:
        problem = password_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value
