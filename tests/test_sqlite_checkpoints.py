"""On the embedded database, requests never run SQLite's log checkpoint; the runtime does, in the
background (server/db.py, server/runtime.py)."""

import asyncio

from sqlalchemy import text

from server.config import Settings
from server.db import checkpoint
from server.migrate import upgrade
from server.runtime import Runtime


async def _runtime(tmp_path) -> Runtime:
    url = f"sqlite:///{tmp_path / 'pantau.db'}"
    upgrade(url)
    return Runtime.create(Settings(database_url=url, redis_url=None))


async def test_writes_leave_the_log_to_the_checkpoint(tmp_path):
    runtime = await _runtime(tmp_path)
    try:
        async with runtime.transaction() as session:
            assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
            # Past SQLite's default 1,000-page mark (a page each): with it, this commit would have checkpointed.
            for n in range(1100):
                await session.execute(text("INSERT INTO unit (name) VALUES (:name)"), {"name": f"{n:0>4000}"})
        log_frames, done = await checkpoint(runtime.read_engine)
        assert log_frames > 1000, "the commit left the log to the checkpoint"
        assert done == log_frames
    finally:
        await runtime.engine.dispose()
        await runtime.read_engine.dispose()


async def test_the_running_app_checkpoints_in_the_background(tmp_path, monkeypatch):
    monkeypatch.setattr("server.runtime.CHECKPOINT_SECONDS", 0.05)
    runtime = await _runtime(tmp_path)
    await runtime.start()
    try:
        database = tmp_path / "pantau.db"
        size_before = database.stat().st_size
        async with runtime.transaction() as session:
            for n in range(300):
                await session.execute(text("INSERT INTO unit (name) VALUES (:name)"), {"name": f"{n:0>4000}"})
        assert database.stat().st_size == size_before, "committed to the log only"
        # Nobody else checkpoints: the database file grows when the runtime's checkpoint copies the log.
        # (A checkpoint copies pages in steps: the file may be seen part-way grown.)
        async with asyncio.timeout(10):
            while database.stat().st_size <= size_before + 300 * 4000:
                await asyncio.sleep(0.05)
    finally:
        await runtime.stop()
