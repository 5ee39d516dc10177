"""Online backup and restore of the embedded SQLite database, with SQLite's own backup API: the copy is
one consistent snapshot even while Pantau keeps writing (PostgreSQL users use pg_dump)."""

import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path


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
    """Replace the contents of `database` with the backup at `source`, after checking the backup."""
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
