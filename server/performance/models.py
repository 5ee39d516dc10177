"""Ratings per person and period, targets per unit and period, and the organisation's own result."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server import clock
from server.models_base import DecimalText, UTCDateTime
from server.text import Note

RatingValue = Literal["above", "meets", "below"]
OrganisationResultValue = Literal["Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"]


def _stamp() -> Any:
    return Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))


class Rating(SQLModel, table=True):
    """The supervisor's two ratings of one person for one period (PermenPANRB 6/2022)."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("user_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    period: str = Field(max_length=8)
    hasil_kerja: str | None = Field(default=None, max_length=8)
    # What Pantau suggested when the supervisor confirmed or overrode it, and why they overrode.
    hasil_kerja_suggested: str | None = Field(default=None, max_length=8)
    hasil_kerja_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    perilaku: str | None = Field(default=None, max_length=8)
    perilaku_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Optional notes per BerAKHLAK core value, e.g. {"Akuntabel": "..."}.
    perilaku_values: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # When hasil kerja was last confirmed, and the sources it was judged on then: a later difference is
    # shown as "data berubah sejak dinilai" until the rater confirms again.
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    confirmed_sources: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = _stamp()


class Target(SQLModel, table=True):
    """One configured value for a unit and period: an indicator's target, or a rating threshold."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("unit_id", "period", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    period: str = Field(max_length=8)
    key: str = Field(max_length=32)
    value: Decimal = Field(sa_column=Column(DecimalText, nullable=False))
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = _stamp()


class OrganisationResult(SQLModel, table=True):
    """Capaian kinerja organisasi (SE MenPANRB 03/2023) of a unit for a period."""

    __tablename__ = "organisation_result"
    __table_args__ = (UniqueConstraint("unit_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    period: str = Field(max_length=8)
    result: str = Field(max_length=32)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = _stamp()


# The core values of ASN behaviour (BerAKHLAK), in their official order.
BerakhlakValue = Literal[
    "Berorientasi Pelayanan", "Akuntabel", "Kompeten", "Harmonis", "Loyal", "Adaptif", "Kolaboratif"
]
BERAKHLAK: tuple[str, ...] = get_args(BerakhlakValue)


class BehaviourSet(SQLModel):
    rating: RatingValue
    note: Note | None = None
    # A note per BerAKHLAK core value, e.g. {"Akuntabel": "..."}.
    values: dict[BerakhlakValue, Note] | None = None


class EvaluationSet(SQLModel):
    hasil_kerja: RatingValue
    reason: Note | None = None


class OrganisationResultSet(SQLModel):
    result: OrganisationResultValue


class DialogEntry(SQLModel, table=True):
    """One entry of the dialog kinerja between a person and their rater for a period (PermenPANRB 6/2022:
    continuous feedback): a note, an agreed action with a due date, or the person's reply. Append-only:
    an edit keeps the previous text in DialogRevision."""

    __tablename__ = "dialog_entry"
    __table_args__ = (Index("ix_dialog_entry_subject_period", "subject_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="user.id")
    period: str = Field(max_length=8)
    author_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=16)  # note | action | reply
    text: str = Field(sa_column=Column(Text, nullable=False))
    due_date: date | None = None
    reply_to: int | None = Field(default=None, foreign_key="dialog_entry.id")
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class DialogRevision(SQLModel, table=True):
    """The text (and due date) an entry had before an edit."""

    __tablename__ = "dialog_revision"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="dialog_entry.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    due_date: date | None = None
    replaced_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    replaced_by: int = Field(foreign_key="user.id")


class DialogRevisionRead(SQLModel):
    """What an entry said before one edit, and who replaced it when."""

    text: str
    due_date: date | None
    replaced_at: datetime
    replaced_by: int


class DialogEntryRead(SQLModel):
    """A dialog kinerja entry with its earlier versions, oldest first (empty when never edited)."""

    id: int
    subject_id: int
    period: str
    author_id: int
    kind: str
    text: str
    due_date: date | None
    reply_to: int | None
    created_at: datetime
    edited_at: datetime | None
    revisions: list[DialogRevisionRead]
