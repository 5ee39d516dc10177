"""Online backup and restore of the embedded SQLite database, with SQLite's own backup API: the copy is
one consistent snapshot even while Pantau keeps writing (PostgreSQL users use pg_dump)."""

import sqlite3
from pathlib import Path


def backup(database: str, target: str) -> int:
    """Copy `database` to `target` (overwritten); returns the number of pages copied."""
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
        pages = copy.execute("PRAGMA page_count").fetchone()[0]
    _check(target)
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
