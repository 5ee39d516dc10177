"""Answers stored but not counted (suspect, duplicate), the IKM over counted answers only, and the minimum
sample of a quarter or a year (DOMAIN.md §2)."""

import hashlib
import hmac
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from server import clock
from server.feedback import service
from server.feedback.integrity import SUSPECT_AFTER, origin_of
from server.feedback.models import Feedback, FeedbackCreate
from tests.feedback.survey import answer

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
LATE_EVENING = datetime(2026, 11, 20, 16, 59, tzinfo=UTC)  # 23:59 WIB, the same day
NEXT_MORNING = datetime(2026, 11, 20, 17, 1, tzinfo=UTC)  # 00:01 WIB on 21 November


@asynccontextmanager
async def client_from(app, address: str, **headers: str):
    transport = httpx.ASGITransport(app=app, client=(address, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as http:
        yield http


def body(world, **overrides):
    return {"unit_id": world.dinas.id, "answers": [4] * 9} | overrides


async def statuses(runtime) -> list[str]:
    async with runtime.sessionmaker() as db:
        return list((await db.scalars(select(Feedback.status).order_by(Feedback.id))).all())


async def test_sixth_answer_naming_one_person_from_one_address_in_a_day_is_suspect(app, world, runtime):
    """Issue 11: more than 5 answers naming one person from one address in a day."""
    clock.freeze(NOW)
    async with client_from(app, "10.0.0.41") as phone:
        for _ in range(SUSPECT_AFTER + 2):
            response = await answer(phone, body(world, employee_id=world.member.id))
            assert response.status_code == 201  # the reply never says
    assert SUSPECT_AFTER == 5
    assert await statuses(runtime) == ["counted"] * 5 + ["suspect"] * 2


async def test_the_suspect_rule_is_per_person_address_and_wib_day(app, world, runtime):
    clock.freeze(NOW)
    async with client_from(app, "10.0.0.42") as phone, client_from(app, "10.0.0.43") as other:
        for _ in range(5):
            await answer(phone, body(world, employee_id=world.member.id))
        await answer(phone, body(world, employee_id=world.lead.id))  # another person
        await answer(phone, body(world))  # nobody named
        await answer(other, body(world, employee_id=world.member.id))  # another address
        clock.freeze(LATE_EVENING)
        await answer(phone, body(world, employee_id=world.member.id))  # 6th that WIB day
        clock.freeze(NEXT_MORNING)
        await answer(phone, body(world, employee_id=world.member.id))  # a new WIB day
    assert await statuses(runtime) == ["counted"] * 8 + ["suspect", "counted"]


async def test_rotating_x_forwarded_for_from_an_untrusted_peer_is_marked_and_limited(app, world, runtime):
    """Issue 11: with X-Forwarded-For rotated, 100 answers from one machine were all counted."""
    clock.freeze(NOW)
    codes = []
    async with client_from(app, "10.0.0.44") as script:
        for i in range(100):
            forged = {"X-Forwarded-For": f"203.0.113.{i}"}
            token = (
                await script.get(f"/api/v1/feedback/token?unit_id={world.dinas.id}", headers=forged)
            ).json()
            response = await script.post(
                "/api/v1/feedback",
                json=body(world, employee_id=world.member.id, token=token["token"]),
                headers=forged,
            )
            codes.append(response.status_code)
    assert codes == [201] * 60 + [429] * 40
    assert await statuses(runtime) == ["counted"] * 5 + ["suspect"] * 55


async def test_device_and_address_are_kept_only_as_keyed_hashes_of_the_day(app, world, runtime):
    clock.freeze(NOW)
    async with client_from(app, "10.0.0.45", cookie="pantau_survey_device=" + "d" * 32) as phone:
        await answer(phone, body(world, employee_id=world.member.id))
    async with runtime.sessionmaker() as db:
        [row] = (await db.scalars(select(Feedback))).all()
    key = runtime.secret_key.encode()
    assert row.client_hash == hmac.new(key, b"address|2026-11-20|10.0.0.45", hashlib.sha256).hexdigest()
    assert row.device_hash == hmac.new(key, b"device|2026-11-20|" + b"d" * 32, hashlib.sha256).hexdigest()
    assert (
        row.client_hash != hashlib.sha256(b"10.0.0.45").hexdigest()
    )  # keyed: not guessable without the secret
    tomorrow = origin_of(
        runtime.secret_key, at=NOW + timedelta(days=1), device_id="d" * 32, address="10.0.0.45"
    )
    assert tomorrow.client_hash != row.client_hash and tomorrow.device_hash != row.device_hash


async def test_api_answers_with_the_device_cookie_are_duplicates_too(app, world, runtime):
    clock.freeze(NOW)
    async with client_from(app, "10.0.0.46", cookie="pantau_survey_device=" + "e" * 32) as browser:
        await answer(browser, body(world))
        await answer(browser, body(world))
    assert await statuses(runtime) == ["counted", "duplicate"]


async def test_unit_ikm_counts_only_counted_answers_and_says_how_many_were_excluded(client, world, runtime):
    clock.freeze(NOW)
    origin = origin_of(runtime.secret_key, at=NOW, device_id="f" * 32, address="10.0.0.47")
    async with runtime.transaction() as db:
        await service.record_feedback(
            db, data=FeedbackCreate(unit_id=world.dinas.id, answers=[4] * 9), origin=origin
        )
        for _ in range(3):  # the same browser again: duplicates of a bad mood
            data = FeedbackCreate(unit_id=world.bidang.id, answers=[1] * 9)
            await service.record_feedback(db, data=data, origin=origin)
            await service.record_feedback(
                db, data=FeedbackCreate(unit_id=world.dinas.id, answers=[1] * 9), origin=origin
            )
    dinas = (await client.get(f"/api/v1/units/{world.dinas.id}/ikm", params={"period": "2026-11"})).json()
    bidang = (await client.get(f"/api/v1/units/{world.bidang.id}/ikm", params={"period": "2026-11"})).json()
    # The bidang's first answer from that browser counts (another unit); its later two do not.
    assert (dinas["n"], dinas["excluded"]) == (2, 5) and dinas["ikm"] == 62.5
    assert (bidang["n"], bidang["excluded"], bidang["ikm"]) == (1, 2, 25.0)


async def test_published_ikm_of_a_quarter_and_a_year_needs_their_population(client, world, runtime):
    """The dinas serves 1,000 people a month: a quarter 3,000 (341 answers), a year 12,000 (372)."""
    clock.freeze(NOW)
    async with runtime.transaction() as db:
        for _ in range(3):
            await service.record_feedback(db, data=FeedbackCreate(unit_id=world.dinas.id, answers=[3] * 9))
    url = f"/api/v1/units/{world.dinas.id}/ikm"
    month, quarter, year = [
        (await client.get(url, params={"period": p})).json() for p in ("2026-11", "2026-Q4", "2026")
    ]
    assert (month["min_sample"], quarter["min_sample"], year["min_sample"]) == (278, 341, 372)
    assert quarter["n"] == 3 and quarter["ikm"] == 75.0 and quarter["sample_ok"] is False
    bidang = (await client.get(f"/api/v1/units/{world.bidang.id}/ikm", params={"period": "2026-Q4"})).json()
    assert bidang["min_sample"] == 384  # population unknown
