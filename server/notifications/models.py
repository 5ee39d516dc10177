"""Notifications (the bell), each person's choice of channel per kind, the e-mail outbox, and the record of
scheduled jobs that makes a daily job run once per deployment."""

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server import clock
from server.models_base import UTCDateTime


class Notification(SQLModel, table=True):
    """One thing a person is told. `dedupe_key` makes a reminder that two processes (or a retried job)
    produce land once: unique per user."""

    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=32)
    # What the bell shows: a message id and its parameters (JSON), rendered in the reader's language.
    message: str = Field(sa_column=Column(Text, nullable=False))
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    url: str | None = Field(default=None, max_length=400)
    dedupe_key: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class NotificationPreference(SQLModel, table=True):
    """Per person and kind: "in_app" (the default when there is no row), "email" (in-app and an e-mail
    at once) or "digest" (in-app and one e-mail a day)."""

    __tablename__ = "notification_preference"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    kind: str = Field(max_length=32, primary_key=True)
    channel: str = Field(max_length=16)


class OutboxEmail(SQLModel, table=True):
    """An e-mail written in the same transaction as the change that causes it, sent afterwards by the
    outbox worker. A process claims a row (SKIP LOCKED on PostgreSQL) before sending it, so that each
    is sent once even with several processes; a failure moves `send_after` on (backoff)."""

    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_email_pending", "sent_at", "send_after"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    to_address: str = Field(max_length=200)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    send_after: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class ScheduledRun(SQLModel, table=True):
    """A scheduled job's run for one day: inserted by the process that runs it, in the job's transaction;
    the primary key makes a second process's insert fail, so the job runs once per deployment."""

    __tablename__ = "scheduled_run"

    job: str = Field(max_length=40, primary_key=True)
    day: date = Field(primary_key=True)
    ran_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    ran_by: str = Field(default="", max_length=80)
