"""Forgetting uploads that no post took up (server/housekeeping.py calls these hourly).

A file is uploaded before the post that references it is sent; when the post never comes (the user gave
up, the form was refused and redrawn), the upload stays unattached. After a day no post may take it any
more: its row is deleted, and its files too — unless another row still names the same content (files
are shared by content hash) or the file was saved again lately by an upload still on its way to its row
(storage.write_file renews the modification time of a file it finds already there)."""

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.evidence import storage
from server.evidence.models import Evidence

# How long an upload may wait for its post (an offline phone sends both together when it is back).
UNATTACHED_KEEP = timedelta(hours=24)
# A file saved again within this time may be about to get a row: it stays for the next run.
RECENTLY_SAVED = timedelta(hours=1)
# The files to delete once the housekeeping transaction has committed (session.info of that transaction).
FILES_TO_FORGET = "evidence_files_to_forget"


async def prune_unattached(session: AsyncSession, *, limit: int) -> int:
    """Delete at most `limit` unattached uploads older than UNATTACHED_KEEP; the files no remaining row
    names are noted in session.info[FILES_TO_FORGET] for `forget_files` to delete after the commit."""
    expired = (
        await session.execute(
            select(col(Evidence.id), col(Evidence.sha256), col(Evidence.thumbnail_sha256))
            .where(
                col(Evidence.project_id).is_(None),
                col(Evidence.update_id).is_(None),
                col(Evidence.close_milestone_id).is_(None),
                col(Evidence.uploaded_at) < clock.now() - UNATTACHED_KEEP,
            )
            .order_by(col(Evidence.id))
            .limit(limit)
        )
    ).all()
    if not expired:
        return 0
    await session.execute(
        delete(Evidence)
        .where(col(Evidence.id).in_([row.id for row in expired]), col(Evidence.project_id).is_(None))
        .execution_options(synchronize_session=False)
    )
    hashes = {h for row in expired for h in (row.sha256, row.thumbnail_sha256) if h}
    still_named = await session.scalars(
        select(col(Evidence.sha256))
        .where(col(Evidence.sha256).in_(hashes))
        .union(select(col(Evidence.thumbnail_sha256)).where(col(Evidence.thumbnail_sha256).in_(hashes)))
    )
    session.info.setdefault(FILES_TO_FORGET, set()).update(hashes - set(still_named))
    return len(expired)


async def forget_files(session: AsyncSession) -> None:
    """After the commit of a transaction that ran `prune_unattached`: delete the files it noted."""
    hashes = session.info.pop(FILES_TO_FORGET, set())
    if hashes:
        await asyncio.to_thread(_remove_unless_saved_lately, sorted(hashes), storage.media_root())


def _remove_unless_saved_lately(hashes: list[str], root: Path) -> None:
    saved_since = time.time() - RECENTLY_SAVED.total_seconds()
    for sha256 in hashes:
        path = storage.path_of(sha256, root=root)
        try:
            if path.stat().st_mtime < saved_since:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
