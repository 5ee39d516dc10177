"""The embedded database's driver (server/sqlite_driver.py): one hop to aiosqlite's thread per
statement, with the same results, errors and transactions as SQLAlchemy's own aiosqlite adapter."""

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from server.db import make_engine

metadata = MetaData()
thing = Table("thing", metadata, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture
async def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


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


async def test_each_statement_is_one_hop_with_its_results(engine, hops):
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the transaction's BEGIN
        hops.clear()
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
        assert hops == ["_run"] * 5
        await connection.commit()


async def test_rollback_undoes_a_write_and_costs_no_hop_when_nothing_is_open(engine, hops):
    async with engine.connect() as connection:
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
