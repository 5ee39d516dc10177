"""SQLite through aiosqlite with one hop to its thread per statement.

aiosqlite runs every call on the connection's own thread. SQLAlchemy's adapter makes four such calls
for one statement (open a cursor, execute, fetch the rows, close the cursor), and each hop costs about
70 us of CPU: a queue, a thread wake-up, the event loop's wake-up, the GIL changing hands. For the short
statements Pantau runs that was more than SQLite's own work; posting a progress update made ~50 hops.
Here the four calls are one. Everything else is SQLAlchemy's aiosqlite dialect, unchanged; the engine
takes this as its `module` (`server.db.make_engine`)."""

import collections
import sqlite3
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
    """What SQLAlchemy reads off a cursor once a statement has run, taken in the connection's thread."""

    __slots__ = ("description", "rowcount", "lastrowid", "arraysize")

    def __init__(self, cursor: sqlite3.Cursor | None = None) -> None:
        self.description = cursor.description if cursor else None
        self.rowcount = cursor.rowcount if cursor else -1
        self.lastrowid = cursor.lastrowid if cursor else None
        self.arraysize = 1


def _run(
    connection: aiosqlite.Connection, operation: str, parameters: Any, many: bool
) -> tuple[_Outcome, list[Any] | None]:
    """Runs in the connection's thread: the statement, its rows, and the cursor closed again."""
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
        await self._one_hop(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._one_hop(operation, seq_of_parameters, many=True)

    async def _one_hop(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        self._adapt_connection._ended = False  # type: ignore[attr-defined]
        async with self._adapt_connection._execute_mutex:
            outcome, rows = await connection._execute(_run, connection, operation, parameters, many)
        self._cursor = outcome  # type: ignore[assignment]
        self._rows = collections.deque(rows) if rows is not None else collections.deque()


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


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy does: a forgotten connection must not hold exit
        return OneHopConnection(self, await_(connection))


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
