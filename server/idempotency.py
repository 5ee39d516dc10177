"""Idempotency-Key handling: the same key from the same user within 24 hours replays the first
successful response and writes nothing; the same key with a different body is refused."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from server import clock
from server.db import delete_some, transaction_lock
from server.errors import Invalid
from server.jsonenc import dumps
from server.models_base import UTCDateTime, table_of

KEEP = timedelta(hours=24)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))


def request_fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


async def run_once(
    session: AsyncSession,
    *,
    user_id: int,
    key: str | None,
    fingerprint: str,
    status_code: int,
    produce: Callable[[], Awaitable[Any]],
) -> tuple[int, Any]:
    """Run `produce` unless this key already succeeded; returns (status, JSON-able body)."""
    if not key:
        return status_code, await produce()
    if len(key) > 200:
        raise Invalid("Idempotency-Key may be at most 200 characters")
    # Two requests with one key must not both run: the second waits, then finds the first's record.
    await transaction_lock(session, f"idempotency:{user_id}:{key}")
    # The columns only (no ORM object for a row that is only checked), expired or not: a fresh record
    # answers, an expired one is replaced, and with none (most requests) nothing needs deleting.
    records = table_of(IdempotencyRecord)
    this_key = (records.c.user_id == user_id) & (records.c.key == key)
    previous = (
        await session.execute(
            select(
                records.c.created_at, records.c.request_hash, records.c.status_code, records.c.response_body
            ).where(this_key)
        )
    ).one_or_none()
    if previous is not None and previous.created_at > clock.now() - KEEP:
        if previous.request_hash != fingerprint:
            raise Invalid("This Idempotency-Key was already used with a different request body")
        return previous.status_code, json.loads(previous.response_body)
    if previous is not None:  # an expired record with the same key is replaced, not kept beside the new one
        await session.execute(delete(records).where(this_key))
    # The answer as it is stored, and given back as it will be replayed.
    stored = dumps(await produce())
    await session.execute(
        insert(records).values(
            user_id=user_id,
            key=key,
            request_hash=fingerprint,
            status_code=status_code,
            response_body=stored,
            created_at=clock.now(),
        )
    )
    return status_code, json.loads(stored)


async def prune_records(session: AsyncSession, *, limit: int | None = None) -> int:
    """Forget the records older than KEEP (at most `limit`: housekeeping deletes in batches)."""
    expired = IdempotencyRecord.created_at <= clock.now() - KEEP
    return await delete_some(session, IdempotencyRecord, expired, limit=limit)
