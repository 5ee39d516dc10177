"""Single-use survey tokens through the API (DOMAIN.md §2 "One respondent, one answer")."""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, text

from server import clock
from server.feedback import tokens
from server.feedback.models import Feedback, SurveyToken
from server.feedback.routes import SURVEY_TOKENS
from tests.feedback.survey import survey_token

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def body(world, **overrides):
    return {"unit_id": world.dinas.id, "answers": [4, 3, 3, 4, 3, 3, 4, 3, 3]} | overrides


async def stored(runtime) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(Feedback))


async def test_token_is_issued_for_two_hours_and_only_its_hash_is_kept(client, world, runtime):
    clock.freeze(NOW)
    response = await client.get("/api/v1/feedback/token", params={"unit_id": world.dinas.id})
    assert response.status_code == 200
    issued = response.json()
    assert set(issued) == {"token", "expires_at"} and len(issued["token"]) >= 40
    assert datetime.fromisoformat(issued["expires_at"]) == NOW + timedelta(hours=2)
    async with runtime.sessionmaker() as db:
        [row] = (await db.scalars(select(SurveyToken))).all()
    assert row.token_hash == hashlib.sha256(issued["token"].encode()).hexdigest()
    assert issued["token"] not in row.token_hash and row.unit_id == world.dinas.id and row.used_at is None


async def test_every_token_is_different(client, world):
    assert len({await survey_token(client, world.dinas.id) for _ in range(5)}) == 5


@pytest.mark.parametrize("params", [{"unit_id": 999_999}, {}, {"unit_id": "dinas"}])
async def test_token_for_an_unknown_unit_is_422(client, world, runtime, params):
    response = await client.get("/api/v1/feedback/token", params=params)
    assert response.status_code == 422 and response.json()["detail"]
    async with runtime.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(SurveyToken)) == 0


async def test_answer_without_a_token_is_422_and_stores_nothing(client, world, runtime):
    """Issue 11: answers through the API needed no form at all."""
    response = await client.post("/api/v1/feedback", json=body(world))
    assert response.status_code == 422
    assert any(problem["loc"][-1] == "token" for problem in response.json()["detail"])
    assert await stored(runtime) == 0


async def test_token_used_twice_is_409_the_second_time(client, world, runtime):
    token = await survey_token(client, world.dinas.id)
    first = await client.post("/api/v1/feedback", json=body(world, token=token))
    second = await client.post("/api/v1/feedback", json=body(world, token=token, answers=[1] * 9))
    assert first.status_code == 201
    assert second.status_code == 409 and "already used" in second.json()["detail"]
    assert await stored(runtime) == 1


@pytest.mark.parametrize("case", ["unknown", "another unit", "expired", "empty"])
async def test_a_token_that_is_not_this_units_and_current_is_422(client, world, runtime, case):
    clock.freeze(NOW)
    token = {
        "unknown": "x" * 43,
        "another unit": await survey_token(client, world.sibling.id),
        "expired": await survey_token(client, world.dinas.id),
        "empty": "",
    }[case]
    if case == "expired":
        clock.freeze(NOW + timedelta(hours=2, seconds=1))
    response = await client.post("/api/v1/feedback", json=body(world, token=token))
    assert response.status_code == 422, response.text
    detail = str(response.json()["detail"])
    expected = {"unknown": "Unknown", "another unit": "another unit", "expired": "expired", "empty": "token"}
    assert expected[case] in detail
    assert await stored(runtime) == 0


async def test_token_is_good_until_its_two_hours_are_up(client, world):
    clock.freeze(NOW)
    token = await survey_token(client, world.dinas.id)
    clock.freeze(NOW + timedelta(hours=1, minutes=59))
    assert (await client.post("/api/v1/feedback", json=body(world, token=token))).status_code == 201


async def test_a_refused_answer_does_not_spend_its_token(client, world, runtime):
    token = await survey_token(client, world.dinas.id)
    refused = await client.post(
        "/api/v1/feedback", json=body(world, token=token, employee_id=world.sibling_leader.id)
    )
    accepted = await client.post("/api/v1/feedback", json=body(world, token=token))
    assert (refused.status_code, accepted.status_code) == (422, 201)
    assert await stored(runtime) == 1


async def test_answers_racing_with_one_token_store_exactly_one(app, world, runtime):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        token = await survey_token(http, world.dinas.id)
        responses = await asyncio.gather(
            *(http.post("/api/v1/feedback", json=body(world, token=token)) for _ in range(5))
        )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert await stored(runtime) == 1


async def _until_a_query_waits_for_a_lock(runtime) -> None:
    """PostgreSQL: until another connection is blocked on a row lock. SQLite lets one writer in at a time,
    so there the second answer waits for the first's write lock at BEGIN and cannot interleave at all."""
    if runtime.engine.dialect.name != "postgresql":
        return
    async with runtime.engine.connect() as watcher:
        for _ in range(1000):
            waiting = await watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            await watcher.rollback()  # a fresh snapshot of pg_stat_activity for the next look
            await asyncio.sleep(0.01)
    raise AssertionError("the second answer never waited for the first one's row lock")


async def test_an_answer_waiting_on_a_token_being_spent_gets_409(client, world, runtime):
    token = await survey_token(client, world.dinas.id)
    async with runtime.sessionmaker() as first:
        await tokens.spend_token(first, unit_id=world.dinas.id, token=token)  # not committed yet
        second = asyncio.create_task(client.post("/api/v1/feedback", json=body(world, token=token)))
        await _until_a_query_waits_for_a_lock(runtime)
        await first.commit()
    response = await second
    assert response.status_code == 409
    assert await stored(runtime) == 0  # the first spender here stored no answer: only the token was used


async def test_tokens_are_rate_limited_per_address_generously(app, world):
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.0.0.21", 1)), base_url="http://t"
        ) as kiosk,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.0.0.22", 1)), base_url="http://t"
        ) as other,
    ):
        for _ in range(SURVEY_TOKENS.amount):
            await survey_token(kiosk, world.dinas.id)
        refused = await kiosk.get("/api/v1/feedback/token", params={"unit_id": world.dinas.id})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert (
            await other.get("/api/v1/feedback/token", params={"unit_id": world.dinas.id})
        ).status_code == 200
    assert SURVEY_TOKENS.amount >= 30  # API.md: a kiosk answers at least 30 times per 10 minutes


async def test_old_tokens_are_pruned_a_day_after_they_expire(client, world, runtime):
    clock.freeze(NOW)
    old = await survey_token(client, world.dinas.id)
    clock.freeze(NOW + timedelta(hours=3))
    recent = await survey_token(client, world.dinas.id)
    async with runtime.transaction() as db:
        await tokens.prune_tokens(db, now=NOW + timedelta(days=1, hours=2, minutes=1))
    async with runtime.sessionmaker() as db:
        kept = set((await db.scalars(select(SurveyToken.token_hash))).all())
    assert kept == {tokens.token_hash(recent)} and tokens.token_hash(old) not in kept
