"""Which answers count (DOMAIN.md §2 "One respondent, one answer"), in one place.

An answer is stored whatever happens to it, and is counted unless:
- "duplicate": the browser that sent it (the survey page's device cookie) already answered for the same
  unit on the same day (WIB). The respondent still sees the thanks page: a person at a shared kiosk must
  not be told they were excluded, and a script learns nothing from the reply.
- "suspect": it is the 6th or later answer on one day (WIB) naming the same person from one client
  address (server/ratelimit.client_address). Until an admin clears it (server/feedback/review.py).
- "excluded": an admin excluded it, with a reason.

Neither the device id nor the address is stored: only keyed hashes (HMAC with the deployment's secret)
that also include the day, so they match on the one day the rules look at and cannot be linked across days
or reversed by hashing every IPv4 address."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import JAKARTA
from server.db import transaction_lock
from server.feedback.models import Feedback

COUNTED, DUPLICATE, SUSPECT, EXCLUDED = "counted", "duplicate", "suspect", "excluded"
STATUSES = (COUNTED, DUPLICATE, SUSPECT, EXCLUDED)
NOT_COUNTED = (DUPLICATE, SUSPECT, EXCLUDED)
# Answers naming one person from one address in a day that count without review; later ones are suspect.
SUSPECT_AFTER = 5


@dataclass(frozen=True)
class Origin:
    """Where an answer came from, as keyed hashes; None when unknown (no device cookie, a trusted caller)."""

    device_hash: str | None = None
    client_hash: str | None = None


UNKNOWN_ORIGIN = Origin()


def wib_day(moment: datetime) -> date:
    return moment.astimezone(JAKARTA).date()


def _day_range(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=JAKARTA).astimezone(UTC)
    return start, start + timedelta(days=1)


def keyed_hash(secret: str, kind: str, day: date, value: str) -> str:
    message = f"{kind}|{day.isoformat()}|{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def origin_of(secret: str, *, at: datetime, device_id: str | None, address: str | None) -> Origin:
    day = wib_day(at)
    return Origin(
        device_hash=keyed_hash(secret, "device", day, device_id) if device_id else None,
        client_hash=keyed_hash(secret, "address", day, address) if address else None,
    )


async def status_of_new_answer(
    session: AsyncSession, *, unit_id: int, employee_id: int | None, origin: Origin, at: datetime
) -> str:
    """The status a new answer is stored with. Answers are classified one at a time (a transaction-scoped
    lock on PostgreSQL; SQLite has one writer anyway), so two answers sent at once are counted exactly."""
    if origin == UNKNOWN_ORIGIN:
        return COUNTED
    await transaction_lock(session, "survey-answer-status")
    start, end = _day_range(wib_day(at))
    today = (Feedback.created_at >= start, Feedback.created_at < end)
    if origin.device_hash is not None:
        earlier = await session.scalar(
            select(Feedback.id)
            .where(Feedback.unit_id == unit_id, Feedback.device_hash == origin.device_hash, *today)
            .limit(1)
        )
        if earlier is not None:
            return DUPLICATE
    if employee_id is not None and origin.client_hash is not None:
        naming = await session.scalar(
            select(func.count(Feedback.id)).where(
                Feedback.employee_id == employee_id, Feedback.client_hash == origin.client_hash, *today
            )
        )
        if (naming or 0) >= SUSPECT_AFTER:
            return SUSPECT
    return COUNTED
