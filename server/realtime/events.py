"""Recording board events inside the change's own transaction, and reading them back for replay."""

import functools
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import TextClause, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.jsonenc import dumps, encode
from server.realtime.models import BoardCounter, BoardEvent

PENDING_KEY = "pantau_pending_events"


@dataclass(frozen=True)
class OutgoingEvent:
    board: str
    seq: int
    message: str


def project_board(project_id: int) -> str:
    return f"project:{project_id}"


def unit_board(unit_id: int) -> str:
    return f"unit:{unit_id}"


@functools.cache
def _next_seqs_statement(count: int) -> TextClause:
    # Written out because SQLite and PostgreSQL spell this upsert alike, and because SQLAlchemy compiles
    # its own multi-row ON CONFLICT statement afresh on every post; this text is compiled once per count.
    values = ", ".join(f"(:board_{n}, 1)" for n in range(count))
    return text(
        f"INSERT INTO board_counter (board, seq) VALUES {values} "
        "ON CONFLICT (board) DO UPDATE SET seq = board_counter.seq + 1 RETURNING board, seq"
    )


async def next_seqs(session: AsyncSession, boards: list[str]) -> dict[str, int]:
    """Take the next seq of each board, in one statement (a multi-row upsert)."""
    parameters = {f"board_{n}": board for n, board in enumerate(boards)}
    rows = await session.execute(_next_seqs_statement(len(boards)), parameters)
    return {board: int(seq) for board, seq in rows.all()}


async def record_event(session: AsyncSession, *, boards: list[str], type: str, data: dict[str, Any]) -> None:
    """Append one event to each board's log and queue it for publishing after commit.

    Counters are taken in sorted board order so that two writers touching overlapping boards
    always lock them in the same order and cannot deadlock."""
    at = clock.now()
    data_json = dumps(data)
    pending: list[OutgoingEvent] = session.info.setdefault(PENDING_KEY, [])
    ordered = sorted(set(boards))
    seqs = await next_seqs(session, ordered)
    rows: list[dict[str, Any]] = []
    for board in ordered:
        seq = seqs[board]
        # The message is assembled as text so that data is serialised once, not once per board.
        message = (
            f'{{"seq":{seq},"type":{json.dumps(type)},"scope":{json.dumps(board)},'
            f'"at":{json.dumps(encode(at))},"data":{data_json}}}'
        )
        rows.append({"board": board, "seq": seq, "type": type, "at": at, "message": message})
        pending.append(OutgoingEvent(board=board, seq=seq, message=message))
    await session.execute(insert(BoardEvent.__table__), rows)  # one statement, no ORM bookkeeping


def take_pending(session: AsyncSession) -> list[OutgoingEvent]:
    return session.info.pop(PENDING_KEY, [])


async def board_position(session: AsyncSession, board: str) -> int:
    seq = await session.scalar(select(BoardCounter.seq).where(BoardCounter.board == board))
    return int(seq or 0)


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


async def prune_events(session: AsyncSession, *, keep_days: int, keep_events: int) -> int:
    """Forget events that are both older than `keep_days` and beyond the newest `keep_events` of their board."""
    cutoff = clock.now() - timedelta(days=keep_days)
    counters = BoardCounter.__table__.c
    result = await session.execute(
        delete(BoardEvent)
        .where(BoardEvent.at < cutoff)
        .where(
            BoardEvent.seq
            <= select(counters.seq - keep_events).where(counters.board == BoardEvent.board).scalar_subquery()
        )
    )
    return int(result.rowcount or 0)
