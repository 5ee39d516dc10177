"""Evidence (bukti dukung): photos and PDFs attached to a progress update or a milestone's close.

Append-only: a row is never deleted once attached; the project lead may hide it, with a reason kept
on the row and in the history. The bytes live on disk by content hash (server/evidence/storage.py)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from server import clock
from server.models_base import UTCDateTime

# PermenPANRB 6/2022's evidence per result: a handful of photos or documents, not an album.
MAX_EVIDENCE_PER_POST = 4


class EvidenceKind(StrEnum):
    photo = "photo"
    document = "document"  # a PDF


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    # The stored file's content hash (after EXIF stripping and downscaling): its name on disk.
    sha256: str = Field(max_length=64, index=True)
    content_type: str = Field(max_length=64)
    size_bytes: int
    width: int | None = None
    height: int | None = None
    # From the photo's EXIF DateTimeOriginal, the one tag kept (UTC; null when the photo had none).
    captured_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # The thumbnail's content hash (JPEG); null for a PDF.
    thumbnail_sha256: str | None = Field(default=None, max_length=64)
    original_name: str | None = Field(default=None, max_length=200)
    uploaded_by: int = Field(foreign_key="user.id", index=True)
    uploaded_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime, nullable=False))
    # Null until a post references it; then exactly one of update_id / close_milestone_id is set.
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    update_id: int | None = Field(default=None, foreign_key="progress_update.id", index=True)
    close_milestone_id: int | None = Field(default=None, foreign_key="milestone.id", index=True)
    # Its place among the post's evidence (0..3), in the order the poster listed them.
    position: int = 0
    hidden_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    hidden_by: int | None = Field(default=None, foreign_key="user.id")
    hidden_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class EvidenceRead(SQLModel):
    """An evidence item as the API and the board events show it. `url` and `thumbnail_url` answer only
    to those who may see the project (the uploader alone until it is attached)."""

    id: int
    kind: str
    content_type: str
    size_bytes: int
    width: int | None
    height: int | None
    captured_at: datetime | None
    original_name: str | None
    uploaded_by: int
    uploaded_at: datetime
    update_id: int | None
    close_milestone_id: int | None
    url: str
    thumbnail_url: str | None
    hidden: bool
    hidden_at: datetime | None
    hidden_by: int | None
    hidden_reason: str | None
