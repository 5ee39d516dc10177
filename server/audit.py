"""The append-only history of every change to a milestone, score, rating, target, user, role or unit:
who, when, what before, what after, and why. Nothing in Pantau updates or deletes these rows."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from server import clock
from server.models_base import UTCDateTime


class HistoryEntry(SQLModel, table=True):
    __tablename__ = "history"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False, index=True))
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    entity: str = Field(max_length=32, index=True)
    entity_id: int = Field(index=True)
    action: str = Field(max_length=32)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Filters for the pages that show history: a project's, a person's, a period's.
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    subject_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    period: str | None = Field(default=None, max_length=8)


async def record_change(
    session: AsyncSession,
    *,
    actor_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    project_id: int | None = None,
    subject_user_id: int | None = None,
    period: str | None = None,
) -> HistoryEntry:
    entry = HistoryEntry(
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        reason=reason,
        project_id=project_id,
        subject_user_id=subject_user_id,
        period=period,
    )
    session.add(entry)
    return entry
