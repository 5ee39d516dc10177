"""Single-use survey tokens (DOMAIN.md §2 "One respondent, one answer").

Every answer spends one token, issued for one unit and valid for two hours: the survey page puts a fresh
one in each form it draws, and an API client asks GET /api/v1/feedback/token. So a form sent twice (a
double tap, the back button, a script replaying one request) stores one answer. Only a hash of a token
is kept: the database alone cannot be used to answer."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.db import delete_some
from server.errors import Conflict, Invalid
from server.feedback.models import SurveyToken, SurveyTokenRead

TOKEN_LIFETIME = timedelta(hours=2)
# A used or expired token is kept this long after it expires, so that sending it again is answered
# "already used" (409) or "expired" rather than "unknown"; housekeeping then deletes it.
KEEP_AFTER_EXPIRY = timedelta(days=1)
GET_A_TOKEN = "get a new one from GET /api/v1/feedback/token?unit_id={unit_id}"


class TokenRefused(Invalid):
    """Missing, unknown, expired or another unit's token (422)."""


class TokenUsed(Conflict):
    """The token already paid for an answer (409)."""


def token_hash(token: str) -> str:
    # The token is 256 random bits, so a plain hash cannot be reversed by guessing.
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(session: AsyncSession, *, unit_id: int) -> SurveyTokenRead:
    """A new token for one answer to the unit's survey. The caller has checked that the unit exists."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = SurveyToken(
        token_hash=token_hash(token), unit_id=unit_id, created_at=now, expires_at=now + TOKEN_LIFETIME
    )
    session.add(row)
    await session.flush()
    return SurveyTokenRead(token=token, expires_at=row.expires_at)


async def spend_token(session: AsyncSession, *, unit_id: int, token: str) -> None:
    """Mark the token used, or refuse. One conditional UPDATE decides: of two answers racing with one
    token, PostgreSQL makes the second wait for the first's row lock and then finds `used_at` set, and
    SQLite lets one writer in at a time, so exactly one answer is stored."""
    now = clock.now()
    digest = token_hash(token)
    spent = await session.execute(
        update(SurveyToken)
        .where(
            SurveyToken.token_hash == digest,
            SurveyToken.unit_id == unit_id,
            SurveyToken.used_at.is_(None),  # type: ignore[union-attr]
            SurveyToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount == 1:  # type: ignore[attr-defined]
        return
    row = await session.scalar(
        select(SurveyToken).where(SurveyToken.token_hash == digest).execution_options(populate_existing=True)
    )
    how = GET_A_TOKEN.format(unit_id=unit_id)
    if row is None:
        raise TokenRefused(f"Unknown survey token: {how}")
    if row.unit_id != unit_id:
        raise TokenRefused(f"This survey token was issued for another unit: {how}")
    if row.used_at is not None:
        raise TokenUsed(f"This survey token was already used; every answer needs a new one: {how}")
    raise TokenRefused(f"This survey token has expired (tokens are valid for 2 hours): {how}")


async def prune_tokens(
    session: AsyncSession, *, now: datetime | None = None, limit: int | None = None
) -> int:
    """Delete the tokens that expired more than a day ago (housekeeping: at most `limit` at a time)."""
    cutoff = (now or clock.now()) - KEEP_AFTER_EXPIRY
    return await delete_some(session, SurveyToken, SurveyToken.expires_at < cutoff, limit=limit)
