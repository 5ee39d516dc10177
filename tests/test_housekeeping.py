"""Hourly housekeeping (server/housekeeping.py) forgets what has expired a batch at a time, each batch a
transaction of its own, and keeps everything still in use."""

from datetime import timedelta

from sqlalchemy import func, insert, select

from server import clock, housekeeping
from server.accounts.models import WebSession
from server.accounts.uploads import ImportUpload
from server.feedback.models import SurveyToken
from server.idempotency import IdempotencyRecord
from server.realtime.models import BoardCounter, BoardEvent


class CountingSessions:
    """The runtime's sessionmaker, counting the sessions (so the transactions) housekeeping opens."""

    def __init__(self, sessionmaker) -> None:
        self.sessionmaker = sessionmaker
        self.opened = 0

    def __call__(self, *args, **kwargs):
        self.opened += 1
        return self.sessionmaker(*args, **kwargs)


async def _count(runtime, model) -> int:
    async with runtime.read_sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_expired_rows_go_in_batches_and_live_ones_stay(runtime, world):
    now = clock.now()
    old, fresh = now - timedelta(days=3), now + timedelta(hours=1)
    async with runtime.transaction() as session:
        await session.execute(
            insert(WebSession),
            [
                {
                    "token_hash": f"{n:064d}",
                    "user_id": world.member.id,
                    "csrf_token": "x",
                    "created_at": old,
                    "expires_at": old if n < 2500 else fresh,
                }
                for n in range(2510)
            ],
        )
        await session.execute(
            insert(SurveyToken),
            [
                {"token_hash": f"{n:064d}", "unit_id": world.bidang.id, "created_at": old, "expires_at": old}
                for n in range(1200)
            ]
            + [{"token_hash": "f" * 64, "unit_id": world.bidang.id, "created_at": now, "expires_at": fresh}],
        )
        await session.execute(
            insert(IdempotencyRecord),
            [
                {
                    "user_id": world.member.id,
                    "key": f"k{n}",
                    "request_hash": "h",
                    "status_code": 201,
                    "response_body": "{}",
                    "created_at": old if n else now,
                }
                for n in range(5)
            ],
        )
        session.add(
            ImportUpload(
                uploaded_by=world.admin.id, filename="a.csv", content=b"x", row_count=1, created_at=old
            )
        )
    sessions = CountingSessions(runtime.sessionmaker)
    deleted = await housekeeping.prune(sessions, runtime.settings, batch=1000)
    assert deleted == {
        "board events": 0,
        "idempotency records": 4,
        "survey tokens": 1200,
        "web sessions": 2500,
        "import files": 1,
        "unattached evidence": 0,
    }
    # One transaction per batch: 3 for the sessions (1000 + 1000 + 500), 2 for the tokens, 1 for each other kind.
    assert sessions.opened == 3 + 2 + 1 + 1 + 1 + 1
    assert await _count(runtime, WebSession) == 10
    assert await _count(runtime, SurveyToken) == 1
    assert await _count(runtime, IdempotencyRecord) == 1
    assert await _count(runtime, ImportUpload) == 0


async def test_a_kind_that_fails_does_not_stop_the_others(runtime, world, monkeypatch):
    async def broken(session, limit):
        raise RuntimeError("the table is gone")

    jobs = housekeeping.prunes(runtime.settings)
    monkeypatch.setattr(housekeeping, "prunes", lambda settings: {"broken": broken} | jobs)
    async with runtime.transaction() as session:
        expired = clock.now() - timedelta(days=1)
        session.add(
            WebSession(
                token_hash="a" * 64,
                user_id=world.member.id,
                csrf_token="x",
                created_at=expired,
                expires_at=expired,
            )
        )
    deleted = await housekeeping.prune(runtime.sessionmaker, runtime.settings)
    assert deleted["broken"] == 0 and deleted["web sessions"] == 1


async def test_old_board_events_beyond_the_newest_go_in_batches(runtime):
    settings = runtime.settings.model_copy(update={"replay_keep_days": 7, "replay_keep_events": 15})
    old, recent = clock.now() - timedelta(days=10), clock.now()
    async with runtime.transaction() as session:
        await session.execute(
            insert(BoardCounter), [{"board": "unit:1", "seq": 30}, {"board": "unit:2", "seq": 5}]
        )
        await session.execute(
            insert(BoardEvent),
            [
                {"board": "unit:1", "seq": n, "type": "t", "at": old if n <= 20 else recent, "message": "{}"}
                for n in range(1, 31)
            ]
            + [{"board": "unit:2", "seq": n, "type": "t", "at": old, "message": "{}"} for n in range(1, 6)],
        )
    sessions = CountingSessions(runtime.sessionmaker)
    deleted = await housekeeping.prune(sessions, settings, batch=4)
    assert deleted["board events"] == 15  # unit:1's seq 1-15: old, and not among its newest 15
    async with runtime.read_sessionmaker() as session:
        kept = (
            await session.execute(
                select(BoardEvent.board, BoardEvent.seq).order_by(BoardEvent.board, BoardEvent.seq)
            )
        ).all()
    assert kept == [("unit:1", n) for n in range(16, 31)] + [("unit:2", n) for n in range(1, 6)]
    assert sessions.opened == 4 + 5  # 4+4+4+3 events, then one transaction for each other kind
