"""A staff file between the two steps of the import page: checked ("Periksa"), then imported ("Impor").

The checked bytes are kept in the database rather than in a process's memory or disk, so the second
step works whichever app process behind the load balancer receives it, and the admin does not have to
pick the same file again. A row belongs to the admin who uploaded it and lives at most an hour."""

from datetime import datetime, timedelta

from sqlalchemy import Column, ColumnElement, LargeBinary, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from server import clock
from server.models_base import UTCDateTime

KEEP_FOR = timedelta(hours=1)


class ImportUpload(SQLModel, table=True):
    __tablename__ = "import_upload"

    id: int | None = Field(default=None, primary_key=True)
    uploaded_by: int = Field(foreign_key="user.id", index=True)
    filename: str = Field(max_length=255)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    row_count: int
    created_at: datetime = Field(
        default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )


async def keep_upload(
    session: AsyncSession, *, by_id: int, filename: str, content: bytes, row_count: int
) -> ImportUpload:
    """Store a checked file (and forget every upload older than KEEP_FOR, whoever made it)."""
    await session.execute(delete(ImportUpload).where(expired_uploads()))
    upload = ImportUpload(uploaded_by=by_id, filename=filename[:255], content=content, row_count=row_count)
    session.add(upload)
    await session.flush()
    return upload


async def find_upload(session: AsyncSession, *, upload_id: int, by_id: int) -> ImportUpload | None:
    """The admin's own checked file, if it has not expired or been imported already."""
    upload = await session.get(ImportUpload, upload_id)
    if upload is None or upload.uploaded_by != by_id or upload.created_at < clock.now() - KEEP_FOR:
        return None
    return upload


async def forget_upload(session: AsyncSession, *, upload_id: int) -> bool:
    """Delete a kept file; False when it was gone already (imported by a request that came first)."""
    result = await session.execute(delete(ImportUpload).where(ImportUpload.id == upload_id))
    return bool(result.rowcount)


def expired_uploads() -> ColumnElement[bool]:
    """The uploads no one can import any more (housekeeping deletes them)."""
    return ImportUpload.created_at < clock.now() - KEEP_FOR
