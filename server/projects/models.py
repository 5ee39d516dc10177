"""Projects, their members and milestones, progress updates, and the milestone history."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from server import clock
from server.models_base import UTCDateTime


def _created_at() -> Any:
    return Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))


class Health(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"


class MilestoneStatus(StrEnum):
    open = "open"
    closed = "closed"


class ProjectBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    lead_id: int = Field(foreign_key="user.id", index=True)
    start_date: date
    due_date: date


class Project(ProjectBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _created_at()


class ProjectCreate(ProjectBase):
    pass


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_member"

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    added_at: datetime = _created_at()


class MemberAdd(SQLModel):
    user_id: int


class Milestone(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    title: str = Field(max_length=300)
    weight: int = 1
    due_date: date
    original_due_date: date
    # When the due date in force was set: lateness is judged against it only from this moment on.
    due_date_set_at: datetime = _created_at()
    # Days a milestone was already overdue when its due date was moved: a new date cannot erase them.
    accrued_late_days: int = 0
    status: MilestoneStatus = MilestoneStatus.open
    progress_pct: int = 0
    closed_on: date | None = Field(default=None, index=True)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True, index=True))
    closed_by: int | None = Field(default=None, foreign_key="user.id")
    quality: int | None = None
    close_note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _created_at()


class MilestoneAssignee(SQLModel, table=True):
    __tablename__ = "milestone_assignee"

    milestone_id: int = Field(foreign_key="milestone.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)


class MilestoneCreate(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    due_date: date
    weight: int = Field(default=1, ge=1, le=100)
    assignee_ids: list[int] = Field(default_factory=list)


class MilestoneReschedule(SQLModel):
    due_date: date
    reason: str = Field(max_length=2000)


class MilestoneClose(SQLModel):
    closed_on: date | None = Field(default=None, index=True)
    quality: int = Field(ge=1, le=5)
    note: str | None = Field(default=None, max_length=2000)


class ProgressUpdate(SQLModel, table=True):
    __tablename__ = "progress_update"
    __table_args__ = (Index("ix_progress_update_project_created", "project_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    milestone_id: int = Field(foreign_key="milestone.id", index=True)
    author_id: int = Field(foreign_key="user.id", index=True)
    progress_pct: int
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    blockers: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _created_at()


class UpdateCreate(SQLModel):
    milestone_id: int | None = None
    progress_pct: int = Field(ge=0, le=100)
    note: str | None = Field(default=None, max_length=4000)
    blockers: str | None = Field(default=None, max_length=4000)
