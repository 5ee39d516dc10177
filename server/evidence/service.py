"""Evidence: upload (checked, cleaned, stored by content hash), attach to a post, read.

An upload is two steps, so that callers can keep the slow one out of a transaction: `store` checks and
cleans the bytes and writes the files (in a worker thread, never on the event loop, and touching no
database), `add_upload` adds the row. `upload` does both. A page that uploads several files with one
post stores them all first and then writes: on SQLite no write lock is held while photos are decoded."""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.models import User
from server.errors import Invalid
from server.evidence import storage
from server.evidence.media import CleanMedia, inspect_and_clean
from server.evidence.models import MAX_EVIDENCE_PER_POST, Evidence, EvidenceRead

ORIGINAL_NAME_MAX = 200
# Photos are decoded by at most this many threads of their own (Pillow lets go of the GIL meanwhile):
# an image at the size limit takes ~150 MB while it is decoded, so a burst of uploads queues here rather
# than multiplying that; and the default pool's threads stay free for everything else sent to threads.
MEDIA_WORKERS = 2
_MEDIA_WORKERS = ThreadPoolExecutor(max_workers=MEDIA_WORKERS, thread_name_prefix="pantau-media")


@dataclass(frozen=True)
class StoredMedia:
    """A checked, cleaned file on disk, not yet recorded in the database."""

    media: CleanMedia
    sha256: str
    thumbnail_sha256: str | None


def check_and_store(data: bytes, filename: str | None) -> StoredMedia:
    """Blocking: check and clean `data`, then write it and its thumbnail. Raises the media errors."""
    media = inspect_and_clean(data, filename)
    sha256 = storage.save(media.data)
    thumbnail_sha256 = storage.save(media.thumbnail) if media.thumbnail is not None else None
    return StoredMedia(media, sha256, thumbnail_sha256)


async def store(data: bytes, filename: str | None) -> StoredMedia:
    """`check_and_store` in a worker thread: decoding a photo takes tens of milliseconds of CPU."""
    return await asyncio.get_running_loop().run_in_executor(_MEDIA_WORKERS, check_and_store, data, filename)


async def add_upload(
    session: AsyncSession, *, by: User, stored: StoredMedia, filename: str | None
) -> EvidenceRead:
    """Record a stored file as `by`'s unattached upload."""
    assert by.id is not None  # a signed-in user is a saved row
    media = stored.media
    row = Evidence(
        kind=media.kind.value,
        sha256=stored.sha256,
        content_type=media.content_type,
        size_bytes=len(media.data),
        width=media.width,
        height=media.height,
        captured_at=media.captured_at,
        thumbnail_sha256=stored.thumbnail_sha256,
        original_name=original_name(filename),
        uploaded_by=by.id,
    )
    session.add(row)
    await session.flush()
    return evidence_read(row)


async def upload(session: AsyncSession, *, by: User, data: bytes, filename: str | None) -> EvidenceRead:
    """Check `data` (real type, size, dimensions), clean it (EXIF but the capture time), store it and
    its thumbnail (off the event loop), and add an unattached Evidence row owned by `by`."""
    stored = await store(data, filename)
    return await add_upload(session, by=by, stored=stored, filename=filename)


def original_name(filename: str | None) -> str | None:
    """The name the file had on the uploader's device, as shown beside it: its last path part, without
    control characters, cut to the column's length; None when nothing is left."""
    base = re.split(r"[/\\]", filename or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:ORIGINAL_NAME_MAX] or None


async def attach(
    session: AsyncSession,
    *,
    by: User,
    evidence_ids: list[int],
    project_id: int,
    update_id: int | None = None,
    close_milestone_id: int | None = None,
) -> list[EvidenceRead]:
    """Attach `by`'s unattached uploads to one post, in the listed order; Invalid (422, nothing written)
    for an unknown id, someone else's upload, one already attached, a repeat, or more than four."""
    if (update_id is None) == (close_milestone_id is None):
        raise ValueError("evidence is attached to exactly one of an update or a milestone's close")
    if len(evidence_ids) > MAX_EVIDENCE_PER_POST:
        raise Invalid(
            f"A post carries at most {MAX_EVIDENCE_PER_POST} evidence files; {len(evidence_ids)} were given"
        )
    repeated = sorted({i for i in evidence_ids if evidence_ids.count(i) > 1})
    if repeated:
        raise Invalid(f"Evidence listed more than once: {_ids(repeated)}")
    if not evidence_ids:
        return []
    # One statement for all of them; the WHERE makes a concurrent post that attached one of them first
    # win: this one then changes fewer rows than it listed and is refused (its transaction rolls back).
    attached = (
        await session.scalars(
            update(Evidence)
            .where(
                col(Evidence.id).in_(evidence_ids),
                col(Evidence.uploaded_by) == by.id,
                col(Evidence.project_id).is_(None),
                col(Evidence.update_id).is_(None),
                col(Evidence.close_milestone_id).is_(None),
            )
            .values(
                project_id=project_id,
                update_id=update_id,
                close_milestone_id=close_milestone_id,
                position=case({i: n for n, i in enumerate(evidence_ids)}, value=col(Evidence.id)),
            )
            .returning(Evidence),
            execution_options={"synchronize_session": False, "populate_existing": True},
        )
    ).all()
    if len(attached) != len(evidence_ids):
        raise Invalid(
            await _why_not_attachable(session, by, evidence_ids, {row.id for row in attached if row.id})
        )
    return [evidence_read(row) for row in sorted(attached, key=lambda row: row.position)]


async def _why_not_attachable(
    session: AsyncSession, by: User, evidence_ids: list[int], done: set[int]
) -> str:
    """Which ids could not be attached, and why. Someone else's upload reads as unknown: a post does not
    learn what others have uploaded."""
    missing = [i for i in evidence_ids if i not in done]
    rows = await session.execute(
        select(col(Evidence.id), col(Evidence.uploaded_by)).where(col(Evidence.id).in_(missing))
    )
    owned_by = {evidence_id: uploader for evidence_id, uploader in rows}
    unknown = [i for i in missing if owned_by.get(i) != by.id]
    taken = [i for i in missing if owned_by.get(i) == by.id]
    reasons = []
    if unknown:
        reasons.append(f"{_ids(unknown)}: no such upload of yours")
    if taken:
        reasons.append(f"{_ids(taken)}: already attached to a post")
    return "Evidence " + "; ".join(reasons) + ". Upload the file again to attach it here."


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids)


async def evidence_of_updates(session: AsyncSession, update_ids: list[int]) -> dict[int, list[EvidenceRead]]:
    """Each update's evidence in order (one query); updates without any are absent."""
    return await _grouped(session, col(Evidence.update_id), update_ids)


async def evidence_of_closes(
    session: AsyncSession, milestone_ids: list[int]
) -> dict[int, list[EvidenceRead]]:
    """The evidence of each milestone's close, in order (one query); milestones without any are absent."""
    return await _grouped(session, col(Evidence.close_milestone_id), milestone_ids)


async def _grouped(session: AsyncSession, column: Any, ids: list[int]) -> dict[int, list[EvidenceRead]]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Evidence)
        .where(column.in_(set(ids)))
        .order_by(column, col(Evidence.position), col(Evidence.id))
    )
    grouped: dict[int, list[EvidenceRead]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, column.key), []).append(evidence_read(row))
    return grouped


def evidence_read(row: Evidence) -> EvidenceRead:
    """The row as the API shows it: its columns (the storage hashes and place left out) and its addresses."""
    return EvidenceRead(
        **row.model_dump(exclude={"sha256", "thumbnail_sha256", "project_id", "position"}),
        url=f"/api/v1/evidence/{row.id}",
        thumbnail_url=f"/api/v1/evidence/{row.id}/thumbnail" if row.thumbnail_sha256 else None,
        hidden=row.hidden_at is not None,
    )


def evidence_json(row: Evidence) -> dict[str, Any]:
    """An item as the JSON of the API and the board events (datetimes as ISO strings)."""
    return evidence_read(row).model_dump(mode="json")
