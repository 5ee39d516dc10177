from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
import redis.asyncio as redis
from limits.aio.storage import MemoryStorage, RedisStorage
from sqlalchemy import func, select

from server import clock
from server.calendar.periods import parse_period
from server.feedback import service
from server.feedback.models import Feedback, FeedbackCreate
from server.feedback.routes import SURVEY_ANSWERS
from tests import factories
from tests.feedback.survey import answer, survey_token

NOV_30_LATE = datetime(2026, 11, 30, 16, 59, tzinfo=UTC)  # 23:59 WIB, still November
DEC_1_EARLY = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 00:30 WIB on 1 December


@pytest.fixture(autouse=True)
async def fresh_rate_limits(runtime):
    """The app (and its limiter) lives for the whole run; no test may inherit another's counters."""
    yield
    await runtime.limiter.reset()


@asynccontextmanager
async def client_from(app, address: str):
    transport = httpx.ASGITransport(app=app, client=(address, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def stored(runtime) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(Feedback))


async def answer_all(runtime, unit, rows, *, at=NOV_30_LATE, employee=None) -> None:
    clock.freeze(at)
    async with runtime.transaction() as db:
        for answers in rows:
            data = FeedbackCreate(
                unit_id=unit.id, answers=answers, employee_id=employee.id if employee else None
            )
            await service.record_feedback(db, data=data)


def respondents(n: int, total: int) -> list[list[int]]:
    """n answer rows (1..4) whose answers add up to `total`, starting from all 3s."""
    cells = [3] * (9 * n)
    step = 1 if total > 27 * n else -1
    for i in range(abs(total - 27 * n)):
        cells[i] += step
    return [cells[i * 9 : (i + 1) * 9] for i in range(n)]


def body(world, **overrides):
    return {"unit_id": world.dinas.id, "answers": [4, 3, 3, 4, 3, 3, 4, 3, 3]} | overrides


async def test_answer_is_stored_in_the_jakarta_month_of_its_time(client, world, runtime):
    clock.freeze(DEC_1_EARLY)
    response = await answer(client, body(world, comment="  Antrean rapi.  "))
    assert response.status_code == 201
    created = response.json()
    assert created == {"id": created["id"], "unit_id": world.dinas.id, "period": "2026-12"}
    async with runtime.sessionmaker() as db:
        feedback = await db.get(Feedback, created["id"])
    assert feedback.answers == [4, 3, 3, 4, 3, 3, 4, 3, 3]
    assert feedback.created_at == DEC_1_EARLY and feedback.comment == "Antrean rapi."
    assert feedback.employee_id is None


async def test_answer_late_on_the_last_day_belongs_to_that_month(client, world):
    clock.freeze(NOV_30_LATE)
    response = await answer(client, body(world))
    assert response.status_code == 201 and response.json()["period"] == "2026-11"


INVALID_BODIES = {
    "eight answers": lambda w: body(w, answers=[3] * 8),
    "ten answers": lambda w: body(w, answers=[3] * 10),
    "no answers": lambda w: {"unit_id": w.dinas.id},
    "answer 0": lambda w: body(w, answers=[3] * 8 + [0]),
    "answer 5": lambda w: body(w, answers=[5] + [3] * 8),
    "answer as text": lambda w: body(w, answers=["3"] * 9),
    "answer with a fraction": lambda w: body(w, answers=[3.5] + [3] * 8),
    "answer as boolean": lambda w: body(w, answers=[True] + [3] * 8),
    "answers not a list": lambda w: body(w, answers="333333333"),
    "comment too long": lambda w: body(w, comment="x" * 2001),
    "unknown unit": lambda w: body(w, unit_id=999_999),
    "unknown employee": lambda w: body(w, employee_id=999_999),
    "employee of another dinas": lambda w: body(w, employee_id=w.sibling_leader.id),
    "employee of the parent unit": lambda w: body(w, unit_id=w.bidang.id, employee_id=w.leader.id),
}


@pytest.mark.parametrize("case", INVALID_BODIES)
async def test_invalid_answer_is_422_and_stores_nothing(client, world, runtime, case):
    # A valid token, so that the answer itself is what is refused.
    token = await survey_token(client, world.dinas.id)
    response = await client.post("/api/v1/feedback", json=INVALID_BODIES[case](world) | {"token": token})
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    assert await stored(runtime) == 0


async def test_unknown_unit_message_names_it(client, world):
    token = await survey_token(client, world.dinas.id)
    response = await client.post("/api/v1/feedback", json=body(world, unit_id=999_999, token=token))
    assert response.json() == {"detail": "Unit 999999 does not exist"}


async def test_inactive_employee_cannot_be_named(client, world, runtime):
    async with runtime.transaction() as db:
        (await db.merge(world.member)).is_active = False
    response = await answer(client, body(world, employee_id=world.member.id))
    assert response.status_code == 422 and await stored(runtime) == 0


async def test_employee_of_a_sub_unit_may_be_named(client, world, runtime):
    response = await answer(client, body(world, employee_id=world.member.id))
    assert response.status_code == 201
    async with runtime.sessionmaker() as db:
        assert (await db.get(Feedback, response.json()["id"])).employee_id == world.member.id


async def test_body_must_be_json(client, world, runtime):
    form = await client.post("/api/v1/feedback", data={"unit_id": str(world.dinas.id)})
    bare = await client.post("/api/v1/feedback", content=b'{"unit_id": 1}', headers={"content-type": ""})
    assert form.status_code == 422 and bare.status_code == 422
    assert await stored(runtime) == 0


async def test_body_over_16_kb_is_refused(client, world, runtime):
    response = await answer(client, body(world, comment="x" * 17_000))
    assert response.status_code == 413 and response.json()["detail"]
    assert await stored(runtime) == 0


async def test_61st_answer_from_one_address_in_10_minutes_is_429(app, world, runtime):
    async with client_from(app, "10.0.0.7") as kiosk, client_from(app, "10.0.0.8") as other:
        for _ in range(60):
            assert (await answer(kiosk, body(world))).status_code == 201
        refused = await answer(kiosk, body(world))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 600
        assert "60" in refused.json()["detail"]
        assert (await answer(other, body(world))).status_code == 201
    assert await stored(runtime) == 61


async def test_limiter_counts_in_redis_when_configured_with_expiring_keys(runtime, settings):
    if settings.redis_url is None:
        assert isinstance(runtime.limiter.storage, MemoryStorage)
        return
    assert isinstance(runtime.limiter.storage, RedisStorage)
    await runtime.limiter.hit(SURVEY_ANSWERS, "10.0.0.11")
    client = redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{settings.redis_prefix}ratelimit:*")]
        assert len(keys) == 1 and 0 < await client.ttl(keys[0]) <= 600
    finally:
        await client.aclose()


async def test_listeners_run_with_the_stored_answer(client, world, monkeypatch):
    heard = []

    async def listener(session, feedback):
        heard.append((feedback.id, feedback.employee_id, feedback.period))

    monkeypatch.setattr(service, "feedback_listeners", [listener])
    clock.freeze(DEC_1_EARLY)
    response = await answer(client, body(world, employee_id=world.member.id))
    assert heard == [(response.json()["id"], world.member.id, "2026-12")]


IKM_CASES = {
    # name: (answer rows, ikm, mutu, kinerja, per_element or None)
    "all 3 is C, Kurang Baik": ([[3] * 9] * 4, 75.0, "C", "Kurang Baik", [3.0] * 9),
    "all 4": ([[4] * 9] * 2, 100.0, "A", "Sangat Baik", [4.0] * 9),
    "all 1": ([[1] * 9], 25.0, "D", "Tidak Baik", [1.0] * 9),
    "mixed elements": (
        [[1, 2, 3, 4, 4, 3, 2, 1, 4], [2, 2, 4, 4, 3, 3, 4, 1, 4]],
        70.83,
        "C",
        "Kurang Baik",
        [1.5, 2.0, 3.5, 4.0, 3.5, 3.0, 3.0, 1.0, 4.0],
    ),
    # NRR 3.333.. each: from the rounded 3.33 the IKM would be 83.25.
    "ikm from unrounded nrr": ([[4] * 9, [3] * 9, [3] * 9], 83.33, "B", "Baik", [3.33] * 9),
    # 78.125 and NRR 3.125 round half up (banker's rounding would give 78.12 and 3.12).
    "half up": ([[4] * 9] + [[3] * 9] * 7, 78.13, "B", "Baik", [3.13] * 9),
    "88.31 is A": (respondents(24, 763), 88.31, "A", "Sangat Baik", None),
    "88.30 is B": (respondents(19, 604), 88.3, "B", "Baik", None),
    "76.61 is B": (respondents(19, 524), 76.61, "B", "Baik", None),
    "76.60 is C": (respondents(26, 717), 76.6, "C", "Kurang Baik", None),
}


@pytest.mark.parametrize("case", IKM_CASES)
async def test_ikm_of_a_unit(client, world, runtime, case):
    rows, ikm, mutu, kinerja, per_element = IKM_CASES[case]
    await answer_all(runtime, world.dinas, rows)
    response = await client.get(f"/api/v1/units/{world.dinas.id}/ikm", params={"period": "2026-11"})
    assert response.status_code == 200
    report = response.json()
    assert (report["n"], report["ikm"], report["mutu"], report["kinerja"]) == (len(rows), ikm, mutu, kinerja)
    if per_element is not None:
        assert report["per_element"] == per_element


async def test_sample_size_against_the_unit_population(client, world, runtime):
    await answer_all(runtime, world.bidang, [[3] * 9] * 3)
    async with runtime.transaction() as db:
        small = await factories.make_unit(db, name="Loket Kecil", population=2)
    await answer_all(runtime, small, [[4] * 9] * 2)
    dinas = (await client.get(f"/api/v1/units/{world.dinas.id}/ikm?period=2026-11")).json()
    bidang = (await client.get(f"/api/v1/units/{world.bidang.id}/ikm?period=2026-11")).json()
    loket = (await client.get(f"/api/v1/units/{small.id}/ikm?period=2026-11")).json()
    assert (dinas["n"], dinas["min_sample"], dinas["sample_ok"]) == (3, 278, False)  # population 1,000
    assert (bidang["n"], bidang["min_sample"], bidang["sample_ok"]) == (3, 384, False)  # population unknown
    assert (loket["n"], loket["min_sample"], loket["sample_ok"]) == (2, 2, True)


async def test_sub_unit_answers_count_in_the_parent_only(client, world, runtime):
    await answer_all(runtime, world.bidang, [[4] * 9] * 2)
    await answer_all(runtime, world.dinas, [[1] * 9])
    dinas = (await client.get(f"/api/v1/units/{world.dinas.id}/ikm?period=2026-11")).json()
    bidang = (await client.get(f"/api/v1/units/{world.bidang.id}/ikm?period=2026-11")).json()
    sibling = (await client.get(f"/api/v1/units/{world.sibling.id}/ikm?period=2026-11")).json()
    assert (dinas["n"], dinas["ikm"]) == (3, 75.0)
    assert (bidang["n"], bidang["ikm"]) == (2, 100.0)
    assert sibling["n"] == 0


async def test_no_answers_means_no_ikm(client, world):
    response = await client.get(f"/api/v1/units/{world.dinas.id}/ikm", params={"period": "2026-11"})
    assert response.json() == {
        "unit_id": world.dinas.id,
        "period": "2026-11",
        "n": 0,
        "ikm": None,
        "mutu": None,
        "kinerja": None,
        "per_element": [None] * 9,
        "min_sample": 278,
        "sample_ok": False,
        "excluded": 0,
    }


async def test_periods_follow_the_jakarta_calendar(client, world, runtime):
    await answer_all(runtime, world.dinas, [[4] * 9], at=NOV_30_LATE)
    await answer_all(runtime, world.dinas, [[2] * 9] * 3, at=DEC_1_EARLY)
    url = f"/api/v1/units/{world.dinas.id}/ikm"
    counts = {
        p: (await client.get(url, params={"period": p})).json()["n"]
        for p in ("2026-11", "2026-12", "2026-Q4", "2026")
    }
    assert counts == {"2026-11": 1, "2026-12": 3, "2026-Q4": 4, "2026": 4}
    current = (await client.get(url)).json()  # the clock is still at 1 December in Jakarta
    assert (current["period"], current["n"], current["ikm"]) == ("2026-12", 3, 50.0)


@pytest.mark.parametrize("period", ["2026-13", "November", "2026-Q5", "1999"])
async def test_bad_period_is_422_with_the_reason(client, world, period):
    response = await client.get(f"/api/v1/units/{world.dinas.id}/ikm", params={"period": period})
    assert response.status_code == 422
    assert "invalid period" in response.json()["detail"]


async def test_ikm_of_unknown_unit_is_404(client, world):
    assert (await client.get("/api/v1/units/999999/ikm?period=2026-11")).status_code == 404


async def test_ikm_is_public(client, world, runtime):
    await answer_all(runtime, world.dinas, [[3] * 9])
    response = await client.get(f"/api/v1/units/{world.dinas.id}/ikm?period=2026-11")
    assert "authorization" not in {k.lower() for k in client.headers}
    assert response.status_code == 200 and response.json()["n"] == 1


async def test_answers_naming_groups_each_person_in_the_period(world, runtime):
    await answer_all(runtime, world.dinas, [[4] * 9, [3] * 9], employee=world.member)
    await answer_all(runtime, world.dinas, [[2] * 9], employee=world.member, at=DEC_1_EARLY)
    await answer_all(runtime, world.bidang, [[1] * 9], employee=world.lead)
    async with runtime.sessionmaker() as db:
        named = await service.answers_naming(
            db, user_ids=[world.member.id, world.lead.id, world.outsider.id], period=parse_period("2026-11")
        )
    assert [f.answers[0] for f in named[world.member.id]] == [4, 3]
    assert [f.answers[0] for f in named[world.lead.id]] == [1]
    assert named[world.outsider.id] == []
