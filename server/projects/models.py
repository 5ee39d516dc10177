"""Projects, their members and milestones, progress updates, and the milestone history."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from server import clock
from server.evidence.models import MAX_EVIDENCE_PER_POST
from server.models_base import UTCDateTime
from server.text import Name, Note, Reason, Title


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
    # An archived project leaves the boards and the lists of work but keeps its record (milestones,
    # updates, history) for the evaluations that counted it.
    archived_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    archived_by: int | None = Field(default=None, foreign_key="user.id")


class ProjectCreate(ProjectBase):
    name: Name
    description: Note | None = None


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_member"

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    added_at: datetime = _created_at()


class MemberAdd(SQLModel):
    user_id: int


class ProjectUpdate(SQLModel):
    """A project's name, description and dates; a field left out stays as it is (`description: null`
    clears it)."""

    name: Name | None = None
    description: Note | None = None
    start_date: date | None = None
    due_date: date | None = None


class MilestoneEdit(SQLModel):
    """An open milestone's title, weight and assignees; a field left out stays as it is. Its due date
    moves only through a reschedule (with a reason), so timeliness stays fair."""

    title: Title | None = None
    weight: int | None = Field(default=None, ge=1, le=100)
    assignee_ids: list[int] | None = None


class MilestonePatch(MilestoneEdit):
    """`PATCH /api/v1/milestones/{id}`: a reschedule (`due_date` with a `reason`), an edit (`title`,
    `weight`, `assignee_ids`), or both."""

    due_date: date | None = None
    reason: Reason | None = None


class Milestone(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    title: str = Field(max_length=300)
    weight: int = 1
    due_date: date
    original_due_date: date
    status: MilestoneStatus = MilestoneStatus.open
    progress_pct: int = 0
    closed_on: date | None = Field(default=None, index=True)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True, index=True))
    closed_by: int | None = Field(default=None, foreign_key="user.id")
    close_note: str | None = Field(default=None, max_length=2000)
    # Fixed when the milestone closes (and when it is corrected): working days late against the due date
    # in force on each day, up to the delivery date (DOMAIN.md §1b).
    late_working_days: int | None = None
    # The WIB date an assignee first reported 100%; null when nobody did.
    delivered_on: date | None = None
    # False when the lead did not accept that delivery (then the closing date stops the clock).
    delivery_accepted: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    delivery_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    quality: int | None = None
    # "scored", or "pending" while the lead's own work waits for the lead's rater; null while open.
    quality_status: str | None = Field(default=None, max_length=8)
    quality_by: int | None = Field(default=None, foreign_key="user.id")
    quality_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _created_at()


class MilestoneDueDate(SQLModel, table=True):
    """Every due date a milestone had and the WIB day it was set: a due date applies from that day on.
    A correction rewrites a row (as if it had always been so); a reschedule adds one."""

    __tablename__ = "milestone_due_date"

    id: int | None = Field(default=None, primary_key=True)
    milestone_id: int = Field(foreign_key="milestone.id", index=True)
    due_date: date
    set_on: date
    set_at: datetime = _created_at()
    set_by: int | None = Field(default=None, foreign_key="user.id")


class MilestoneAssignee(SQLModel, table=True):
    __tablename__ = "milestone_assignee"

    milestone_id: int = Field(foreign_key="milestone.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)


class MilestoneCreate(SQLModel):
    title: Title
    due_date: date
    weight: int = Field(default=1, ge=1, le=100)
    assignee_ids: list[int] = Field(default_factory=list)


class MilestoneReschedule(SQLModel):
    due_date: date
    reason: Reason


class MilestoneClose(SQLModel):
    closed_on: date | None = None
    quality: int = Field(ge=1, le=5)
    note: Reason | None = None
    # False when the lead does not accept the delivery an assignee reported (then the closing date counts).
    delivery_accepted: bool = True
    delivery_reason: Reason | None = None
    # Evidence uploaded first (POST /api/v1/evidence) by the closing lead, shown with the close.
    evidence_ids: list[int] = Field(default_factory=list, max_length=MAX_EVIDENCE_PER_POST)


class MilestoneQuality(SQLModel):
    """The lead's rater scores the quality of a milestone the lead worked on themselves."""

    quality: int = Field(ge=1, le=5)
    note: Reason | None = None


class MilestoneCorrect(SQLModel):
    """A correction rewrites the record as if it had always been so; `reason` is kept in the history."""

    closed_on: date | None = None
    quality: int | None = Field(default=None, ge=1, le=5)
    due_date: date | None = None
    reopen: bool = False
    reason: Reason


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
    # A blocker's life cycle (null when the update reported none): open → acknowledged (by a leader) →
    # resolved (by its author or the lead, with a note).
    blocker_status: str | None = Field(default=None, max_length=16, index=True)
    blocker_acknowledged_by: int | None = Field(default=None, foreign_key="user.id")
    blocker_acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    blocker_resolved_by: int | None = Field(default=None, foreign_key="user.id")
    blocker_resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    blocker_resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class UpdateCreate(SQLModel):
    milestone_id: int | None = None
    progress_pct: int = Field(ge=0, le=100)
    note: Note | None = None
    blockers: Note | None = None
    # Evidence (bukti dukung) uploaded first with POST /api/v1/evidence by the poster, in display order.
    evidence_ids: list[int] = Field(default_factory=list, max_length=MAX_EVIDENCE_PER_POST)


class BlockerStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


class BlockerRead(SQLModel):
    """A blocker: the `blockers` text of one progress update, with its life cycle."""

    update_id: int
    project_id: int
    project_name: str
    milestone_id: int
    milestone_title: str
    author_id: int
    author_name: str
    text: str
    status: BlockerStatus
    opened_at: datetime
    acknowledged_by: int | None = None
    acknowledged_by_name: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: int | None = None
    resolved_by_name: str | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None


class BlockerResolve(SQLModel):
    note: Reason


class UpdateResponse(SQLModel, table=True):
    """A leader's or lead's answer to a progress update: seen ("dilihat"), a reaction, or a comment. A
    person marks an update seen once and keeps one reaction (changing it replaces it); comments add up."""

    __tablename__ = "update_response"
    __table_args__ = (Index("ix_update_response_update", "update_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(foreign_key="progress_update.id")
    author_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=16)  # seen | reaction | comment
    reaction: str | None = Field(default=None, max_length=16)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _created_at()


class Reaction(StrEnum):
    """The few reactions a leader or lead may give an update (server/projects/responses.py: EMOJI)."""

    thumbs_up = "thumbs_up"
    thanks = "thanks"
    keep_going = "keep_going"
    attention = "attention"


class ReactionSet(SQLModel):
    reaction: Reaction


class CommentCreate(SQLModel):
    text: Note


class ResponseSeen(SQLModel):
    by: int
    by_name: str
    at: datetime


class ResponseReaction(SQLModel):
    by: int
    by_name: str
    reaction: Reaction
    at: datetime


class ResponseComment(SQLModel):
    id: int
    by: int
    by_name: str
    text: str
    at: datetime


class UpdateResponsesRead(SQLModel):
    """Everyone's answers to one progress update, oldest first."""

    update_id: int
    seen: list[ResponseSeen] = []
    reactions: list[ResponseReaction] = []
    comments: list[ResponseComment] = []
