"""Recording board events inside the change's own transaction, and reading them back for replay; and
queueing the notices that make open boards follow access (AccessChanged), which go out the same way."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import TextClause, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import col

from server import clock
from server.db import delete_some
from server.jsonenc import dumps
from server.models_base import table_of
from server.realtime.models import BoardCounter, BoardEvent

PENDING_KEY = "pantau_pending_events"
SAVEPOINTS_KEY = "pantau_pending_savepoints"


@dataclass(frozen=True)
class OutgoingEvent:
    board: str
    seq: int
    message: str


@dataclass(frozen=True)
class AccessChanged:
    """A notice, not a board event (no seq, not logged): what these users may see has shrunk, so every
    process checks their open board sockets again as it checked them at the handshake, and closes those
    that now fail (server/realtime/access.py). `session_hash`: only the sockets opened with that web
    session (a sign-out). `everyone`: every open socket (the unit tree changed)."""

    user_ids: tuple[int, ...] = ()
    session_hash: str | None = None
    everyone: bool = False


Outgoing = OutgoingEvent | AccessChanged


def project_board(project_id: int) -> str:
    return f"project:{project_id}"


def unit_board(unit_id: int) -> str:
    return f"unit:{unit_id}"


def user_board(user_id: int) -> str:
    """One person's own board: their notifications (the bell), opened only by them."""
    return f"user:{user_id}"


_INSERT_EVENTS = insert(table_of(BoardEvent))  # built once: every change of a board sends it


@functools.cache
def _next_seqs_statement(count: int, taken: int) -> TextClause:
    # Written out because SQLite and PostgreSQL spell this upsert alike, and because SQLAlchemy compiles
    # its own multi-row ON CONFLICT statement afresh on every post; this text is compiled once per shape.
    values = ", ".join(f"(:board_{n}, {taken})" for n in range(count))
    return text(
        f"INSERT INTO board_counter (board, seq) VALUES {values} "
        f"ON CONFLICT (board) DO UPDATE SET seq = board_counter.seq + {taken} RETURNING board, seq"
    )


async def next_seqs(session: AsyncSession, boards: list[str], taken: int = 1) -> dict[str, int]:
    """Take the next `taken` seqs of each board, in one statement (a multi-row upsert); returns the last
    of them for each board."""
    parameters = {f"board_{n}": board for n, board in enumerate(boards)}
    rows = await session.execute(_next_seqs_statement(len(boards), taken), parameters)
    return {board: int(seq) for board, seq in rows.all()}


def envelope(*, seq: int, type: str, scope: str, at: datetime, data_json: str) -> str:
    """Every board message, events and snapshots alike (API.md "Events"): seq, type, scope, at, data.
    Assembled as text around data serialised beforehand, so that an event for several boards serialises
    its data once, not once per board."""
    return f'{{"seq":{seq},"type":{dumps(type)},"scope":{dumps(scope)},"at":{dumps(at)},"data":{data_json}}}'


async def record_event(session: AsyncSession, *, boards: list[str], type: str, data: dict[str, Any]) -> None:
    """Append one event to each board's log and queue it for publishing after commit."""
    await record_events(session, boards=boards, events=[(type, data)])


async def record_events(
    session: AsyncSession, *, boards: list[str], events: list[tuple[str, dict[str, Any]]]
) -> None:
    """Append these events, in this order, to each board's log and queue them for publishing after
    commit: as `record_event` for each in turn, in two statements however many there are (a change that
    sends two events, such as an update reporting a blocker, takes two seqs of each board at once).

    Counters are taken in sorted board order so that two writers touching overlapping boards
    always lock them in the same order and cannot deadlock."""
    at = clock.now()
    pending: list[Outgoing] = session.info.setdefault(PENDING_KEY, [])
    ordered = sorted(set(boards))
    last_seqs = await next_seqs(session, ordered, len(events))
    rows: list[dict[str, Any]] = []
    for position, (type, data) in enumerate(events, start=1 - len(events)):
        data_json = dumps(data)
        for board in ordered:
            seq = last_seqs[board] + position
            message = envelope(seq=seq, type=type, scope=board, at=at, data_json=data_json)
            rows.append({"board": board, "seq": seq, "type": type, "at": at, "message": message})
            pending.append(OutgoingEvent(board=board, seq=seq, message=message))
    await session.execute(_INSERT_EVENTS, rows)  # one statement, no ORM bookkeeping


def access_changed(
    session: AsyncSession,
    *,
    user_ids: Iterable[int] = (),
    session_hash: str | None = None,
    everyone: bool = False,
) -> None:
    """Queue an AccessChanged notice with this transaction's events: published only once it commits
    (a rolled-back change closes nothing), and then to every process."""
    notice = AccessChanged(
        user_ids=tuple(sorted(set(user_ids))), session_hash=session_hash, everyone=everyone
    )
    pending: list[Outgoing] = session.info.setdefault(PENDING_KEY, [])
    if notice not in pending:
        pending.append(notice)


def take_pending(session: AsyncSession) -> list[Outgoing]:
    return session.info.pop(PENDING_KEY, [])


# Events queued in a transaction that rolls back were never committed, and their seqs are handed out
# again by the board's next transaction: published, they would announce a change that did not happen
# and make boards drop the real event that reuses the number as a duplicate. So a rollback forgets
# the events (and access notices) queued since the transaction (or savepoint) began, wherever the
# rollback comes from (the request boundary, `pages.forms.attempt`, a failed flush).


@event.listens_for(Session, "after_transaction_create")
def _note_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(SAVEPOINTS_KEY, {})
        marks[transaction] = len(session.info.get(PENDING_KEY, ()))


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_events(session: Session, previous_transaction: SessionTransaction) -> None:
    marks = session.info.get(SAVEPOINTS_KEY)
    if previous_transaction.nested and marks and previous_transaction in marks:
        del session.info.get(PENDING_KEY, [])[marks.pop(previous_transaction) :]
    else:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(SAVEPOINTS_KEY, None)


async def board_position(session: AsyncSession, board: str) -> int:
    seq = await session.scalar(select(BoardCounter.seq).where(BoardCounter.board == board))
    return int(seq or 0)


async def board_positions(session: AsyncSession, boards: list[str]) -> dict[str, int]:
    """The positions of many boards in one query per 500 boards (a board with no events is left out)."""
    positions: dict[str, int] = {}
    for start in range(0, len(boards), 500):
        query = select(BoardCounter.board, BoardCounter.seq).where(
            col(BoardCounter.board).in_(boards[start : start + 500])
        )
        positions.update((board, int(seq)) for board, seq in (await session.execute(query)).all())
    return positions


async def events_after(
    session: AsyncSession, board: str, after: int, upto: int | None = None
) -> list[tuple[int, str]]:
    query = select(BoardEvent.seq, BoardEvent.message).where(
        BoardEvent.board == board, BoardEvent.seq > after
    )
    if upto is not None:
        query = query.where(BoardEvent.seq <= upto)
    rows = await session.execute(query.order_by(BoardEvent.seq))
    return [(int(seq), message) for seq, message in rows.all()]


async def can_replay_from(session: AsyncSession, board: str, since: int, position: int) -> bool:
    """True when every event after `since` up to `position` is still in the log."""
    if since > position or since < 0:
        return False
    if since == position:
        return True
    oldest = await session.scalar(select(func.min(BoardEvent.seq)).where(BoardEvent.board == board))
    return oldest is not None and oldest <= since + 1


async def prune_events(
    session: AsyncSession, *, keep_days: int, keep_events: int, limit: int | None = None
) -> int:
    """Forget events that are both older than `keep_days` and beyond the newest `keep_events` of their board
    (at most `limit` of them: housekeeping deletes in batches)."""
    cutoff = clock.now() - timedelta(days=keep_days)
    counters = table_of(BoardCounter).c
    beyond_newest = BoardEvent.seq <= (
        select(counters.seq - keep_events).where(counters.board == BoardEvent.board).scalar_subquery()
    )
    return await delete_some(session, BoardEvent, (BoardEvent.at < cutoff) & beyond_newest, limit=limit)
