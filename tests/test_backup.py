"""`pantau backup` and `pantau restore` on the embedded database, while it is open for writing."""

import os
import sqlite3
import stat
import subprocess
import sys

from server.migrate import upgrade


def _pantau(database, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")} | {
        "PANTAU_DATABASE_URL": f"sqlite:///{database}"
    }
    return subprocess.run(
        [sys.executable, "-m", "server", *args], env=env, capture_output=True, text=True, timeout=60
    )


def _rows(database):
    with sqlite3.connect(database) as db:
        return db.execute("SELECT id, name, parent_id FROM unit ORDER BY id").fetchall()


def test_backup_then_restore_gives_back_the_same_data(tmp_path):
    live = tmp_path / "pantau.db"
    upgrade(f"sqlite:///{live}")
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.executemany("INSERT INTO unit (name) VALUES (?)", [(f"Unit {n}",) for n in range(50)])
    writer.commit()
    writer.execute("BEGIN")
    writer.execute("INSERT INTO unit (name) VALUES ('not yet committed')")  # an open write transaction
    result = _pantau(live, "backup", str(tmp_path / "copy.db"))
    assert result.returncode == 0, result.stderr
    writer.rollback()
    expected = _rows(live)
    assert len(expected) == 50 and _rows(tmp_path / "copy.db") == expected
    writer.execute("DELETE FROM unit")
    writer.commit()
    writer.close()
    assert _rows(live) == []
    restored = _pantau(live, "restore", str(tmp_path / "copy.db"))
    assert restored.returncode == 0, restored.stderr
    assert _rows(live) == expected


def test_restore_refuses_a_file_that_is_not_a_pantau_database(tmp_path):
    live = tmp_path / "pantau.db"
    upgrade(f"sqlite:///{live}")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    result = _pantau(live, "restore", str(tmp_path / "junk.db"))
    assert result.returncode != 0 and "not a sound Pantau database" in result.stderr


def test_backup_on_postgres_points_to_pg_dump(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")} | {
        "PANTAU_DATABASE_URL": "postgresql://postgres@127.0.0.1/test"
    }
    result = subprocess.run(
        [sys.executable, "-m", "server", "backup", str(tmp_path / "x")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "pg_dump" in result.stderr


def test_create_user_command_makes_an_account_that_can_sign_in(tmp_path):
    database = tmp_path / "pantau.db"
    upgrade(f"sqlite:///{database}")
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO unit (name) VALUES ('BKPSDM')")
    result = _pantau(
        database,
        "create-user",
        "--username",
        "operator",
        "--password",
        "kata-sandi-1",
        "--name",
        "Operator",
        "--nip",
        "198503152010011001",
        "--role",
        "admin",
        "--unit-id",
        "1",
    )
    assert result.returncode == 0, result.stderr
    bad = _pantau(
        database,
        "create-user",
        "--username",
        "budi2",
        "--password",
        "kata-sandi-1",
        "--name",
        "X",
        "--nip",
        "123",
        "--unit-id",
        "1",
    )
    assert bad.returncode != 0 and "NIP" in bad.stderr
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT role, password_hash FROM user WHERE username = 'operator'").fetchone()
    assert row[0] == "admin" and row[1].startswith("$argon2")


def test_a_backup_is_readable_by_its_owner_only(tmp_path):
    """The copy holds the key that signs sessions and tokens: it is written 0600 whatever the umask, and a
    backup over an older, wider file replaces it with a 0600 one."""
    live = tmp_path / "pantau.db"
    upgrade(f"sqlite:///{live}")
    old = tmp_path / "backups" / "old.db"
    old.parent.mkdir()
    old.write_bytes(b"")
    old.chmod(0o644)
    previous = os.umask(0o002)  # the loosest common umask: files would be world-readable by default
    try:
        fresh = _pantau(live, "backup", str(tmp_path / "backups" / "new.db"))
        over = _pantau(live, "backup", str(old))
    finally:
        os.umask(previous)
    assert fresh.returncode == 0 and over.returncode == 0, fresh.stderr + over.stderr
    for copy in (tmp_path / "backups" / "new.db", old):
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600, oct(copy.stat().st_mode)
        assert _rows(copy) == _rows(live)
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == ["new.db", "old.db"]  # nothing partial


def test_a_failed_backup_leaves_the_previous_one_in_place(tmp_path):
    live = tmp_path / "pantau.db"
    live.write_bytes(b"not a database at all" * 100)
    previous = tmp_path / "copy.db"
    previous.write_bytes(b"yesterday's backup")
    result = _pantau(live, "backup", str(previous))
    assert (
        result.returncode != 0 and "Could not back up" in result.stderr and "Traceback" not in result.stderr
    )
    assert previous.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "pantau.db"]
