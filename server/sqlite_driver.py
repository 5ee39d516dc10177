"""The embedded database's driver: SQLAlchemy's aiosqlite dialect, made cheaper per statement.

aiosqlite runs every call on the connection's own thread, and SQLAlchemy's adapter makes four such calls
for one statement (open a cursor, execute, fetch the rows, close the cursor). Each hop costs about 70 us of
CPU - a queue, a thread wake-up, the event loop's wake-up, the GIL changing hands - more than SQLite's own work
for the short statements Pantau runs: posting a progress update made ~50 hops. The engine takes one of these
as its `module` (`server.db.make_engine`); everything else is SQLAlchemy's dialect, unchanged.

- Reading engines (`OneHopDBAPI`): the four calls are one hop, so a long read still runs beside the loop.
- The writing engine (`InlineDBAPI`): statements run on the event loop's own thread, no hop at all. A write's
  statements take SQLite tens of microseconds, and SQLite lets one writer in at a time anyway. The one wait a
  writer can meet is for SQLite's write lock, at BEGIN IMMEDIATE; waiting inside SQLite would hold the loop and
  every board with it, so writing connections have no busy timeout and the driver waits for the lock here,
  asynchronously, retrying with a growing pause for up to the engine's lock wait (`WRITE_LOCK_WAIT_SECONDS`
  unless the engine is made with another: PANTAU_DATABASE_LOCK_WAIT_SECONDS); past it the statement fails
  with SQLite's own "database is locked", which server.db turns into the 503 the caller sees."""

import asyncio
import collections
import functools
import sqlite3
import time
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


class _Outcome:
    """What SQLAlchemy reads off a cursor once a statement has run, taken from it right after."""

    __slots__ = ("description", "rowcount", "lastrowid", "arraysize")

    def __init__(self, cursor: sqlite3.Cursor | None = None) -> None:
        self.description = cursor.description if cursor else None
        self.rowcount = cursor.rowcount if cursor else -1
        self.lastrowid = cursor.lastrowid if cursor else None
        self.arraysize = 1


def _run(
    connection: aiosqlite.Connection, operation: str, parameters: Any, many: bool
) -> tuple[_Outcome, list[Any] | None]:
    """The statement, its rows, and the cursor closed again, on the thread where the connection's calls run
    (aiosqlite's, or the loop's for the writing engine)."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return _Outcome(cursor), rows
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No cursor is opened here: each statement opens and closes its own within its one hop.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Outcome()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _async_soft_close(self) -> None:
        return  # nothing is left open between statements

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._statement(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._statement(operation, seq_of_parameters, many=True)

    async def _statement(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        self._adapt_connection._ended = False  # type: ignore[attr-defined]
        async with self._adapt_connection._execute_mutex:
            outcome, rows = await self._perform(connection, operation, parameters, many)
        self._cursor = outcome  # type: ignore[assignment]
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    async def _perform(
        self, connection: aiosqlite.Connection, operation: Any, parameters: Any, many: bool
    ) -> tuple[_Outcome, list[Any] | None]:
        return await connection._execute(_run, connection, operation, parameters, many)  # one hop


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_ended",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        # True while nothing has run since the last commit or rollback. Kept here rather than asked of
        # SQLite: a statement of a cancelled request may still be running on the thread.
        self._ended = True

    def commit(self) -> None:
        super().commit()
        self._ended = True

    def rollback(self) -> None:
        # The pool rolls back every connection it takes back, mostly just after a commit: then there is
        # nothing to undo, and asking the thread would cost a hop.
        if not self._ended:
            super().rollback()
            self._ended = True


WRITE_LOCK_WAIT_SECONDS = 30.0  # the busy timeout that reading connections keep
BEGIN_WRITE = "BEGIN IMMEDIATE"  # how writing engines begin (server.db.configure_sqlite)


class _InlineAiosqlite(aiosqlite.Connection):
    """aiosqlite's connection with every call after the connect made right here, on the loop's thread. Its
    own thread only opens the connection, sets the isolation level (SQLAlchemy queues that itself) and
    closes it."""

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


async def _begin_when_free(
    connection: aiosqlite.Connection, operation: str, parameters: Any, wait: float
) -> tuple[_Outcome, list[Any] | None]:
    """BEGIN IMMEDIATE, and while another writer (in this process or another) holds the lock, pause (1 ms,
    doubling up to 50 ms) and try again for up to `wait` seconds: the loop runs on meanwhile."""
    deadline = time.monotonic() + wait
    pause = 0.001
    while True:
        try:
            return _run(connection, operation, parameters, False)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


class InlineCursor(OneHopCursor):
    __slots__ = ()

    async def _perform(
        self, connection: aiosqlite.Connection, operation: Any, parameters: Any, many: bool
    ) -> tuple[_Outcome, list[Any] | None]:
        if operation == BEGIN_WRITE:
            wait = self._adapt_connection.dbapi.lock_wait  # type: ignore[attr-defined]
            return await _begin_when_free(connection, operation, parameters, wait)
        return _run(connection, operation, parameters, many)  # right here, no hop


class InlineConnection(OneHopConnection):
    __slots__ = ()
    _cursor_cls = InlineCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    connection_class: type[OneHopConnection] = OneHopConnection

    def _open(self, *arg: Any, **kw: Any) -> aiosqlite.Connection:
        return self.aiosqlite.connect(*arg, **kw)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = self._open(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy does: a forgotten connection must not hold exit
        return self.connection_class(self, await_(connection))


class InlineDBAPI(OneHopDBAPI):
    connection_class = InlineConnection
    lock_wait = WRITE_LOCK_WAIT_SECONDS

    def _open(self, *arg: Any, **kw: Any) -> aiosqlite.Connection:
        # Opened on aiosqlite's thread, used on the loop's.
        connector = functools.partial(sqlite3.connect, *arg, **{**kw, "check_same_thread": False})
        return _InlineAiosqlite(connector, iter_chunk_size=64)


def sqlite_dbapi(*, writes: bool, lock_wait: float = WRITE_LOCK_WAIT_SECONDS) -> OneHopDBAPI:
    if not writes:
        return OneHopDBAPI(aiosqlite, sqlite3)
    dbapi = InlineDBAPI(aiosqlite, sqlite3)
    dbapi.lock_wait = lock_wait
    return dbapi
