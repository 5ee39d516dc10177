"""Public satisfaction survey answers (SKM, PermenPANRB 14/2017) and their API shapes."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field as PydanticField
from pydantic import field_validator
from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from server import clock
from server.feedback.ikm import ELEMENT_COUNT, MAX_ANSWER, MIN_ANSWER
from server.models_base import UTCDateTime
from server.text import REASON_MAX, Reason

COMMENT_MAX = REASON_MAX
ANSWER_COLUMNS = tuple(f"u{i}" for i in range(1, ELEMENT_COUNT + 1))


def _answer_checks() -> tuple[CheckConstraint, ...]:
    # The database refuses an out-of-range answer too, so no other writer can skew an IKM.
    return tuple(
        CheckConstraint(f"{column} BETWEEN {MIN_ANSWER} AND {MAX_ANSWER}", name=f"{column}_range")
        for column in ANSWER_COLUMNS
    )


class Feedback(SQLModel, table=True):
    """One respondent's answers, U1..U9 each 1 (worst) .. 4 (best). No personal data is kept."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_unit_id_period", "unit_id", "period"),
        # The IKM of any period kind (month, quarter, year) is a created_at range per unit.
        Index("ix_feedback_unit_id_created_at", "unit_id", "created_at"),
        *_answer_checks(),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    employee_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    u1: int
    u2: int
    u3: int
    u4: int
    u5: int
    u6: int
    u7: int
    u8: int
    u9: int
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    # The month of created_at in Asia/Jakarta ("2026-12"), kept so a month's answers read without time maths.
    period: str = Field(max_length=7)
    # "counted", or why it is not: "duplicate" (this browser already answered for the unit today),
    # "suspect" (too many answers naming one person from one address in a day, until an admin clears it)
    # or "excluded" (by an admin, with a reason in the history). Rules: server/feedback/integrity.py.
    status: str = Field(default="counted", max_length=9, sa_column_kwargs={"server_default": "counted"})
    # Keyed hashes (never the raw values) of the survey page's device cookie and the client address.
    device_hash: str | None = Field(default=None, max_length=64)
    client_hash: str | None = Field(default=None, max_length=64, index=True)
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")

    @property
    def answers(self) -> list[int]:
        """U1..U9 in order, the shape ikm.compute_ikm takes."""
        return [getattr(self, column) for column in ANSWER_COLUMNS]


# Strict: "3", 3.0 and true are not answers; a kiosk or integration that sends them has a bug to fix.
Answer = Annotated[int, PydanticField(strict=True, ge=MIN_ANSWER, le=MAX_ANSWER)]


class SurveyToken(SQLModel, table=True):
    """A single-use permission to answer a unit's survey once, valid two hours. Only its hash is kept."""

    __tablename__ = "survey_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    unit_id: int = Field(foreign_key="unit.id")
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class FeedbackCreate(SQLModel):
    unit_id: int
    employee_id: int | None = None
    answers: list[Answer] = Field(
        min_length=ELEMENT_COUNT,
        max_length=ELEMENT_COUNT,
        description="Nine answers 1..4 (1 worst, 4 best) in the order U1..U9",
    )
    comment: Reason | None = None

    @field_validator("comment")
    @classmethod
    def _blank_comment_is_none(cls, value: str | None) -> str | None:
        return value or None


TOKEN_MAX = 128


class FeedbackSubmit(FeedbackCreate):
    """An answer from the public (API and survey page): it spends a single-use token for its unit."""

    token: str = Field(
        min_length=1,
        max_length=TOKEN_MAX,
        description="A single-use token for this unit from GET /api/v1/feedback/token (valid 2 hours)",
    )


class SurveyTokenRead(SQLModel):
    token: str
    expires_at: datetime


class FeedbackRead(SQLModel):
    """What the public submitter gets back: never the comment or the employee named."""

    id: int
    unit_id: int
    period: str


class IkmReport(SQLModel):
    """A unit's published survey result; numbers are rounded half-up to 2 decimals, null with no answers."""

    unit_id: int
    period: str
    n: int
    ikm: float | None
    mutu: Literal["A", "B", "C", "D"] | None
    kinerja: Literal["Sangat Baik", "Baik", "Kurang Baik", "Tidak Baik"] | None
    per_element: list[float | None]
    min_sample: int
    sample_ok: bool
    excluded: int = PydanticField(
        description="Answers in the period stored but not counted (duplicate, suspect or excluded by an admin)"
    )


class FeedbackReview(SQLModel):
    """An answer as the admin reviews it (admin only: it carries the comment and the person named)."""

    id: int
    unit_id: int
    employee_id: int | None
    period: str
    created_at: datetime
    status: Literal["counted", "duplicate", "suspect", "excluded"]
    answers: list[int]
    comment: str | None
    reviewed_by: int | None


REASON_MIN = 10


class ReviewDecision(SQLModel):
    reason: Reason = Field(description=f"Why, in at least {REASON_MIN} characters")

    @field_validator("reason")
    @classmethod
    def _reason_says_why(cls, value: str) -> str:
        if len(value) < REASON_MIN:
            raise ValueError(f"reason must say why, in at least {REASON_MIN} characters")
        return value
