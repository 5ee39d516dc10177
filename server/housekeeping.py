"""Forgetting what has expired, once an hour: old board events, idempotency records, survey tokens, web
sessions, checked import files and evidence uploads no post took up within a day (with their files, once
no other row names the same content: server/evidence/cleanup.py).

Each kind is deleted a batch at a time, every batch a short transaction of its own with a pause between
them: no write waits long behind housekeeping for SQLite's write lock (or a PostgreSQL row lock), and on
SQLite, whose writes run on the event loop's thread, the loop is never held for more than one batch."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import clock
from server.accounts.models import WebSession
from server.accounts.uploads import ImportUpload, expired_uploads
from server.config import Settings
from server.db import delete_some, transaction
from server.evidence.cleanup import forget_files, prune_unattached
from server.feedback.tokens import prune_tokens
from server.idempotency import prune_records
from server.realtime.events import prune_events

log = logging.getLogger(__name__)
BATCH = 1000
# The pause between two batches: other requests take the write lock (and the loop) meanwhile.
PAUSE_SECONDS = 0.01

Prune = Callable[[AsyncSession, int], Awaitable[int]]


def prunes(settings: Settings) -> dict[str, Prune]:
    """What housekeeping deletes, by name: each deletes at most the given number of rows."""
    return {
        "board events": lambda session, limit: prune_events(
            session, keep_days=settings.replay_keep_days, keep_events=settings.replay_keep_events, limit=limit
        ),
        "idempotency records": lambda session, limit: prune_records(session, limit=limit),
        "survey tokens": lambda session, limit: prune_tokens(session, limit=limit),
        "web sessions": lambda session, limit: delete_some(
            session, WebSession, WebSession.expires_at <= clock.now(), limit=limit
        ),
        "import files": lambda session, limit: delete_some(
            session, ImportUpload, expired_uploads(), limit=limit
        ),
        "unattached evidence": lambda session, limit: prune_unattached(session, limit=limit),
    }


async def prune(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, batch: int = BATCH
) -> dict[str, int]:
    """Delete everything expired, `batch` rows per transaction; how many rows of each kind went. A kind
    that fails is logged and left for the next hour; the others still run."""
    deleted: dict[str, int] = {}
    for name, job in prunes(settings).items():
        deleted[name] = 0
        try:
            while True:
                # After the commit: the files of deleted evidence rows that no other row names.
                async with transaction(sessionmaker, after_commit=forget_files) as session:
                    gone = await job(session, batch)
                deleted[name] += gone
                if gone < batch:
                    break
                await asyncio.sleep(PAUSE_SECONDS)
        except Exception:
            log.warning("housekeeping: deleting expired %s failed; will retry", name, exc_info=True)
    return deleted
