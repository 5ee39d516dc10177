"""The embedded database's driver (server/sqlite_driver.py): reading engines make one hop to aiosqlite's
thread per statement, the writing engine runs statements on the loop's thread and waits for SQLite's write
lock without holding the loop; results, errors and transactions are SQLAlchemy's as before."""

import asyncio
import sqlite3
import threading
import time

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from server.db import make_engine

metadata = MetaData()
thing = Table("thing", metadata, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


def _engine(path, *, writes: bool):
    engine = make_engine(f"sqlite:///{path}", writes=writes)

    @event.listens_for(engine.sync_engine, "connect")
    def _thread_function(dbapi_connection, _record):
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    return engine


@pytest.fixture
def database(tmp_path):
    return tmp_path / "driver.db"


@pytest.fixture
async def writer(database):
    engine = _engine(database, writes=True)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def reader(database, writer):
    engine = _engine(database, writes=False)
    yield engine
    await engine.dispose()


@pytest.fixture(params=["reader", "writer"])
def engine(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def hops(monkeypatch):
    """Every call made on an aiosqlite connection's thread, by name."""
    made: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        made.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def test_statements_give_the_same_results_on_both_engines(engine):
    async with engine.connect() as connection:
        inserted = await connection.execute(insert(thing).values(name="a"))
        assert inserted.lastrowid == 1
        many = await connection.execute(insert(thing), [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2
        changed = await connection.execute(
            update(thing).where(thing.c.id > 1).values(name=thing.c.name + "!")
        )
        assert changed.rowcount == 2
        rows = (await connection.execute(select(thing).order_by(thing.c.id))).all()
        assert [tuple(row) for row in rows] == [(1, "a"), (2, "b!"), (3, "c!")]
        nothing = await connection.execute(select(thing).where(thing.c.id == 99))
        assert nothing.keys() == ["id", "name"] and nothing.all() == []
        await connection.commit()


async def test_a_reader_makes_one_hop_per_statement_and_a_writer_none(reader, writer, hops):
    async with reader.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the transaction's BEGIN
        hops.clear()
        await connection.execute(insert(thing).values(name="a"))
        await connection.execute(select(thing))
        assert hops == ["_run", "_run"]
        assert (await connection.execute(text("SELECT thread_id()"))).scalar() != threading.get_ident()
    hops.clear()
    async with writer.begin() as connection:
        await connection.execute(insert(thing).values(name="b"))
        assert (await connection.execute(text("SELECT thread_id()"))).scalar() == threading.get_ident()
    assert hops == []


async def test_rollback_undoes_a_write_and_costs_no_hop_when_nothing_is_open(reader, hops):
    async with reader.connect() as connection:
        await connection.execute(insert(thing).values(name="kept"))
        await connection.commit()
        await connection.execute(insert(thing).values(name="undone"))
        hops.clear()
        await connection.rollback()
        assert hops == ["rollback"]
        hops.clear()
        await connection.rollback()  # what the pool does to every connection it takes back
        await connection.execute(text("SELECT 1"))
        await connection.commit()
        await connection.rollback()
        assert hops == ["_run", "_run", "commit"]  # BEGIN, the statement, the commit; no rollback
        names = (await connection.execute(select(thing.c.name))).scalars().all()
        assert names == ["kept"]


async def test_errors_are_sqlalchemys_and_the_connection_stays_usable(engine):
    async with engine.connect() as connection:
        await connection.execute(insert(thing).values(name="same"))
        with pytest.raises(IntegrityError):
            await connection.execute(insert(thing).values(name="same"))
        await connection.rollback()
        assert (await connection.execute(select(thing.c.name))).all() == []


async def test_streamed_results_still_work(engine):
    async with engine.begin() as connection:
        await connection.execute(insert(thing), [{"name": f"n{n}"} for n in range(250)])
    async with engine.connect() as connection:
        streamed = await connection.stream(select(thing.c.id).order_by(thing.c.id))
        ids = [row.id async for row in streamed]
    assert ids == list(range(1, 251))


@pytest.mark.timing
async def test_a_writer_waits_for_another_process_lock_without_holding_the_loop(writer, database):
    other = sqlite3.connect(database, isolation_level=None)  # another program writing to the same file
    other.execute("BEGIN IMMEDIATE")
    try:

        async def write() -> None:
            async with writer.begin() as connection:
                await connection.execute(insert(thing).values(name="after"))

        waiting = asyncio.create_task(write())
        started = time.monotonic()
        await asyncio.sleep(0.2)  # time passing, not synchronisation: a held loop would not wake for 30 s
        assert time.monotonic() - started < 1.0
        assert not waiting.done()
        other.execute("INSERT INTO thing (name) VALUES ('first')")
        other.execute("COMMIT")
        await asyncio.wait_for(waiting, 5)
    finally:
        other.close()
    async with writer.connect() as connection:
        names = (await connection.execute(select(thing.c.name).order_by(thing.c.id))).scalars().all()
    assert names == ["first", "after"]


@pytest.mark.timing
async def test_writers_in_one_process_take_turns_when_one_yields_holding_the_lock(writer):
    # Two connections already in the pool, so that the second writer meets the lock, not a connect.
    async with writer.connect() as one, writer.connect() as two:
        await one.get_raw_connection()
        await two.get_raw_connection()
    holding, go_on = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with writer.begin() as connection:
            await connection.execute(insert(thing).values(name="first"))
            holding.set()
            await go_on.wait()  # as a sign-in does while its password is checked on a worker thread
            order.append("first")

    async def second() -> None:
        await holding.wait()
        async with writer.begin() as connection:
            await connection.execute(insert(thing).values(name="second"))
            order.append("second")

    started = time.monotonic()
    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await holding.wait()
    go_on.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert order == ["first", "second"]
    assert time.monotonic() - started < 1.0, "the second writer's wait held the loop"


async def test_a_writer_gives_up_when_the_lock_stays_taken(writer, database, monkeypatch):
    monkeypatch.setattr("server.sqlite_driver.WRITE_LOCK_WAIT_SECONDS", 0.05)
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            async with writer.begin() as connection:
                await connection.execute(insert(thing).values(name="never"))
    finally:
        other.execute("ROLLBACK")
        other.close()
