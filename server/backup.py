"""Online backup and restore of the embedded SQLite database, with SQLite's own backup API: the copy is
one consistent snapshot even while Pantau keeps writing (PostgreSQL users use pg_dump).

The evidence files (server/evidence/storage.py) go beside the copy, in `<backup>.media/`, laid out as in
the media folder. A file's name is the hash of its content and never changes, so only the files the
folder lacks are copied: backing up to the same path again is incremental. The database is copied first:
every file its rows name was written before the row, so it is there when the files are copied after."""

import hashlib
import os
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from server.evidence import storage


def backup(database: str, target: str) -> int:
    """Copy `database` to `target` (replaced whole, once the copy is checked); returns the number of
    pages copied. The copy holds everything, the key that signs sessions and tokens included, so it is
    created readable by its owner only (0600) — with that mode from the start, never widened meanwhile."""
    folder = Path(target).resolve().parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600; SQLite writes into the empty file and gives its journal the same mode.
    handle, partial = tempfile.mkstemp(prefix=f".{Path(target).name}.", suffix=".partial", dir=folder)
    os.close(handle)
    try:
        with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        _check(partial)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        Path(partial).unlink(missing_ok=True)
        raise SystemExit(f"Could not back up {database}: {exc}") from None
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return int(pages)


def restore(source: str, database: str) -> None:
    """Replace the contents of `database` with the backup at `source`, after checking the backup.
    (Restore the media first, `restore_media`: the restored rows then find their files.)"""
    if not Path(source).is_file():
        raise SystemExit(f"No backup file at {source}")
    _check(source)
    with sqlite3.connect(source) as backup_db, sqlite3.connect(database, timeout=30) as live:
        backup_db.backup(live)


def _check(path: str) -> None:
    try:
        with sqlite3.connect(path) as db:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise SystemExit(f"{path} is not a sound Pantau database ({exc})") from None
    if result != "ok" or "alembic_version" not in tables:
        raise SystemExit(f"{path} is not a sound Pantau database ({result})")


@dataclass
class MediaCopy:
    copied: int = 0  # files the destination lacked
    present: int = 0  # files it had already
    damaged: list[str] = field(default_factory=list)  # files whose content no longer matches their name


def media_backup_folder(target: str) -> Path:
    """Where the evidence files of the backup at `target` are kept: `<target>.media/`."""
    return Path(f"{target}.media")


def backup_media(media_dir: Path, target: str) -> MediaCopy:
    """Copy the evidence files missing from `<target>.media/` there, readable by their owner only (like
    the database copy: evidence is seen only by those who may see its project). No uploads yet: no folder."""
    return _copy_media(media_dir, media_backup_folder(target), file_mode=0o600, folder_mode=0o700)


def restore_media(source: str, media_dir: Path) -> MediaCopy | None:
    """Copy the evidence files of the backup at `source` the media folder lacks back into it (files it
    has that the backup lacks are left: a later upload's, harmless). None when the backup has no media
    folder (made before evidence existed)."""
    folder = media_backup_folder(source)
    if not folder.is_dir():  # made before any upload, or before evidence existed
        return None
    return _copy_media(folder, media_dir, file_mode=storage.FILE_MODE, folder_mode=storage.FOLDER_MODE)


def _copy_media(source: Path, destination: Path, *, file_mode: int, folder_mode: int) -> MediaCopy:
    """Copy what `destination` lacks; no folder is made when there is nothing to copy (no uploads yet)."""
    done = MediaCopy()
    for sha256 in storage.stored_hashes(source):
        target = storage.path_of(sha256, root=destination)
        if target.exists():
            done.present += 1
            continue
        data = storage.path_of(sha256, root=source).read_bytes()  # ≤ 5 MB each
        if hashlib.sha256(data).hexdigest() != sha256:
            done.damaged.append(sha256)  # a disk fault: copying it would spread it
            continue
        storage.write_file(target, data, file_mode=file_mode, folder_mode=folder_mode)
        done.copied += 1
    return done
