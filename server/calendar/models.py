"""The holiday calendar and the lock state of assessment periods."""

import datetime as dt
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from server import clock
from server.models_base import UTCDateTime
from server.text import Name, Reason


def _stamp() -> Any:
    return Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))


class Holiday(SQLModel, table=True):
    """A non-working day of the regency (libur nasional, cuti bersama), kept by the admin."""

    __tablename__ = "holiday"

    date: dt.date = Field(primary_key=True)
    name: str = Field(max_length=200)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: dt.datetime = _stamp()


class HolidaySet(SQLModel):
    name: Name


class HolidayRead(SQLModel):
    date: dt.date
    name: str


class PeriodLock(SQLModel, table=True):
    """A period whose evaluation is done: no rating, correction or source change counts into it."""

    __tablename__ = "period_lock"

    period: str = Field(primary_key=True, max_length=8)
    locked: bool = True
    locked_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    locked_by: int | None = Field(default=None, foreign_key="user.id")


class PeriodUnlock(SQLModel):
    reason: Reason


class PeriodLockRead(SQLModel):
    period: str
    locked: bool
    locked_at: dt.datetime | None
