"""Engines and sessions. The request boundary (`request_session`) is the one place that commits."""

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, event, select, text, tuple_
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from server.errors import Conflict, Invalid, Unavailable
from server.models_base import metadata  # noqa: E402,F401  (re-exported for Alembic and tests)
from server.sqlite_driver import BEGIN_WRITE, WRITE_LOCK_WAIT_SECONDS, sqlite_dbapi


def sync_url(url: str) -> str:
    """The plain URL a person writes, with the synchronous driver Pantau uses (migrations, CLI)."""
    parsed = make_url(url)
    if parsed.get_backend_name() in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    raise ValueError(f"Unsupported database URL {url!r}: use sqlite:///file.db or postgresql://...")


def async_url(url: str) -> str:
    parsed = make_url(sync_url(url))
    driver = "sqlite+aiosqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def configure_sqlite(sync_engine: Any, *, writes: bool, lock_wait: float = WRITE_LOCK_WAIT_SECONDS) -> None:
    """WAL for concurrent readers. A writing engine starts transactions with BEGIN IMMEDIATE, so a
    writer waits for the lock up front instead of failing with SQLITE_BUSY when it upgrades a read
    transaction (SQLAlchemy's recipe); a reading engine keeps plain BEGIN, so reads never queue."""

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # A writing connection runs on the event loop's thread: it must never wait inside SQLite, and its
        # driver waits for the write lock instead (server/sqlite_driver.py).
        cursor.execute(f"PRAGMA busy_timeout={0 if writes else int(lock_wait * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if writes:
            # No checkpoint inside a request: the commit that crossed SQLite's 1,000-page mark copied the
            # log into the database and synced it, ~10 ms more for 1 post in ~150 (its p99). The runtime
            # checkpoints in the background instead (`checkpoint`).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(BEGIN_WRITE if writes else "BEGIN")


async def checkpoint(engine: AsyncEngine) -> tuple[int, int]:
    """Copy SQLite's write-ahead log into the database file without waiting for, or blocking, readers
    and writers (PASSIVE); returns the log's frames and how many are now in the database."""
    async with engine.connect() as connection:
        _busy, log_frames, done = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")).one()
    return int(log_frames), int(done)


def make_engine(url: str, *, writes: bool = True, lock_wait: float = WRITE_LOCK_WAIT_SECONDS) -> AsyncEngine:
    """`lock_wait`: how long a statement waits for a lock another transaction holds (SQLite's write lock,
    a PostgreSQL row or advisory lock) before it fails; the request then answers 503 (`_as_request_error`)."""
    if is_sqlite(url):
        engine = create_async_engine(async_url(url), module=sqlite_dbapi(writes=writes, lock_wait=lock_wait))
        configure_sqlite(engine.sync_engine, writes=writes, lock_wait=lock_wait)
        return engine
    return create_async_engine(
        async_url(url),
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        connect_args={"options": f"-c lock_timeout={max(1, int(lock_wait * 1000))}"},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


AfterCommit = Callable[[AsyncSession], Awaitable[None]]


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession], after_commit: AfterCommit | None = None
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error, then run `after_commit`
    (the realtime publisher) only once the change is durable."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException as exc:
            await _rollback_quietly(session)
            mapped = _as_request_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        if after_commit is not None:
            await after_commit(session)


async def _rollback_quietly(session: AsyncSession) -> None:
    try:
        await session.rollback()
    except Exception:  # the connection may be the thing that broke; the pool discards it
        pass


def _as_request_error(exc: BaseException) -> BaseException:
    """Database failures as the status the caller should see; anything else unchanged."""
    if isinstance(exc, IntegrityError):
        return Conflict("This conflicts with existing data")
    if isinstance(exc, DataError | OverflowError) or (
        isinstance(exc, StatementError) and isinstance(exc.orig, OverflowError)
    ):
        # A value the database cannot hold (e.g. an id beyond 64 bits) is the caller's mistake.
        return Invalid("A value in the request is out of range")
    if isinstance(exc, DBAPIError) and _is_lock_wait(exc):
        return Unavailable(BUSY)
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or _is_connection_error(exc)):
        return Unavailable()
    return exc


BUSY = "The database is busy with other changes; try again shortly"
# SQLite's "database is locked" (SQLITE_BUSY, SQLITE_LOCKED); PostgreSQL's lock_not_available (lock_timeout
# passed) and deadlock_detected (one of two transactions waiting for each other is given up).
_SQLITE_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_POSTGRES_BUSY = ("55P03", "40P01")


def _is_lock_wait(exc: DBAPIError) -> bool:
    """A statement gave up waiting for a lock another transaction holds: a moment's congestion, not a fault
    of the request, so the caller is told to try again (503) rather than shown an error (500)."""
    sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)  # an extended code: its low byte is the kind
    return (sqlite_code is not None and (sqlite_code & 0xFF) in _SQLITE_BUSY) or getattr(
        exc.orig, "sqlstate", None
    ) in _POSTGRES_BUSY


def _is_connection_error(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(word in text for word in ("connection", "could not connect", "server closed", "terminating"))


async def consistent_reads(session: AsyncSession) -> None:
    """Make every query of this (fresh) session see one snapshot of the database. SQLite's WAL read
    transaction already does; PostgreSQL needs REPEATABLE READ, set before the first query."""
    if session.bind.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def transaction_lock(session: AsyncSession, name: str) -> None:
    """Make concurrent transactions that take the same named lock run one after the other.
    SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped
    advisory lock, released at commit or rollback."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


async def delete_some(session: AsyncSession, model: Any, condition: Any, *, limit: int | None = None) -> int:
    """DELETE the rows of `model` matching `condition`: all of them, or at most `limit` (housekeeping
    deletes in batches, each a short transaction of its own, so that no write waits long behind it);
    returns how many went."""
    table = model.__table__
    if limit is None:
        statement = delete(table).where(condition)
    else:
        key = list(table.primary_key.columns)
        # correlate(None): the batch is a query of its own, not a filter on the DELETE's rows.
        batch = select(*key).where(condition).limit(limit).correlate(None)
        statement = delete(table).where((key[0] if len(key) == 1 else tuple_(*key)).in_(batch))
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
