"""Indicators, ratings and predikat through the API, on a fixed date: 20 November 2026 (WIB)."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from server import clock
from server.audit import HistoryEntry
from tests import factories
from tests.api import close_milestone

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _late_milestone(runtime, world, setup, due: date):
    async with runtime.transaction() as db:
        return await factories.make_milestone(
            db, project=setup.project, lead=world.lead, due_date=due, weight=1, assignee_ids=[world.member.id]
        )


async def _performance(client, world, viewer, period="2026-11", user=None):
    user = user or world.member
    return await client.get(
        f"/api/v1/users/{user.id}/performance", params={"period": period}, headers=world.auth(viewer)
    )


async def test_timeliness_and_quality_are_weighted_with_sources(frozen, client, world, runtime, setup):
    late = await _late_milestone(runtime, world, setup, date(2026, 11, 10))  # a Tuesday
    await close_milestone(client, world, setup.milestone.id, 4)  # weight 3, on time
    await close_milestone(client, world, late.id, 2, date(2026, 11, 13))  # weight 1, 3 working days late
    response = await _performance(client, world, world.member)
    assert response.status_code == 200
    body = response.json()
    indicators = {i["key"]: i for i in body["indicators"]}
    assert indicators["timeliness"]["value"] == 96.25  # (3 x 100 + 1 x 85) / 4
    assert indicators["quality"]["value"] == 3.5  # (3 x 4 + 1 x 2) / 4
    assert indicators["timeliness"]["unit"] == "%" and indicators["quality"]["unit"] == "1-5"
    assert {s["id"] for s in indicators["timeliness"]["sources"]} == {setup.milestone.id, late.id}
    assert all(s["kind"] == "milestone" for s in indicators["timeliness"]["sources"])
    assert indicators["satisfaction"]["value"] is None and indicators["satisfaction"]["n"] == 0
    assert indicators["timeliness"]["target"] == 90 and indicators["timeliness"]["achievement_pct"] == 106.94
    # timeliness 106.94% of target is "meets", quality 87.5% is "below": one of each is "meets".
    assert body["hasil_kerja_suggested"] == "meets"
    assert body["predikat"] is None and "belum" in body["explanation"]
    source = next(s for s in indicators["timeliness"]["sources"] if s["id"] == late.id)
    assert (source["days_late"], source["late_working_days"], source["timeliness_score"]) == (3, 3, 85.0)
    assert source["quality_status"] == "scored" and source["delivered_on"] is None
    assert source["delivery_accepted"] is True and source["closed_at"].startswith("2026-11-20")
    assert source["history"] == []


async def test_no_data_is_null_not_zero(frozen, client, world, setup):
    body = (await _performance(client, world, world.member)).json()
    assert all(i["value"] is None for i in body["indicators"])
    assert body["hasil_kerja_suggested"] is None


@pytest.fixture
def first_of_november():
    clock.freeze(datetime(2026, 11, 1, 3, tzinfo=UTC))


async def test_rescheduled_milestone_keeps_lateness_accrued_before_the_move(
    first_of_november, client, world, runtime, setup
):
    moved = await _late_milestone(runtime, world, setup, date(2026, 11, 3))  # a Tuesday
    clock.freeze(datetime(2026, 11, 6, 3, tzinfo=UTC))  # Friday: late on Wednesday and Thursday
    response = await client.patch(
        f"/api/v1/milestones/{moved.id}",
        json={"due_date": "2026-11-16", "reason": "Banjir menutup akses kantor"},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200, response.text
    clock.freeze(datetime(2026, 11, 13, 3, tzinfo=UTC))
    closed = await close_milestone(client, world, moved.id, 4)
    assert closed["days_late"] == 0  # against the date in force
    source = {i["key"]: i for i in (await _performance(client, world, world.member)).json()["indicators"]}[
        "timeliness"
    ]
    assert source["value"] == 90.0  # the 2 working days late before the move still count
    assert source["sources"][0]["original_due_date"] == "2026-11-03"
    assert source["sources"][0]["late_working_days"] == 2
    [moved_entry] = source["sources"][0]["history"]
    assert moved_entry["kind"] == "rescheduled" and moved_entry["by"] == world.lead.id
    assert moved_entry["reason"] == "Banjir menutup akses kantor"


async def test_milestone_closed_late_evening_in_jakarta_belongs_to_that_month(frozen, client, world, setup):
    clock.freeze(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 23:30 WIB, 30 November
    await close_milestone(client, world, setup.milestone.id, 5)
    november = {
        i["key"]: i for i in (await _performance(client, world, world.member, "2026-11")).json()["indicators"]
    }
    december = {
        i["key"]: i for i in (await _performance(client, world, world.member, "2026-12")).json()["indicators"]
    }
    assert november["quality"]["value"] == 5.0 and december["quality"]["value"] is None
    quarter = {
        i["key"]: i for i in (await _performance(client, world, world.member, "2026-Q4")).json()["indicators"]
    }
    assert quarter["quality"]["value"] == 5.0


async def test_who_may_see_a_persons_performance(frozen, client, world, setup):
    for viewer in (
        world.member,
        world.lead,
        world.leader,
        world.admin,
    ):  # self, supervisor, unit leader, admin
        assert (await _performance(client, world, viewer)).status_code == 200
    for viewer in (world.outsider, world.sibling_leader):
        assert (await _performance(client, world, viewer)).status_code == 404
    # Supervision runs downwards only: the member may not see their own supervisor's performance.
    assert (await _performance(client, world, world.member, user=world.lead)).status_code == 404
    assert (await client.get(f"/api/v1/users/{world.member.id}/performance")).status_code == 401


async def test_bad_period_is_422(frozen, client, world):
    response = await _performance(client, world, world.member, period="2026-13")
    assert response.status_code == 422 and "month" in response.text


async def _history(runtime, user_id):
    async with runtime.sessionmaker() as db:
        rows = await db.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.subject_user_id == user_id, HistoryEntry.entity == "rating")
            .order_by(HistoryEntry.id)
        )
        return list(rows.all())


async def test_supervisor_confirms_or_overrides_with_reason(frozen, client, world, runtime, setup):
    await close_milestone(client, world, setup.milestone.id, 5)
    url = f"/api/v1/users/{world.member.id}/evaluation"
    suggested = (await _performance(client, world, world.lead)).json()["hasil_kerja_suggested"]
    assert suggested == "above"  # timeliness 100 / 90 = 111% and quality 5 / 4 = 125%: both above
    override = await client.put(
        url, params={"period": "2026-11"}, json={"hasil_kerja": "meets"}, headers=world.auth(world.lead)
    )
    assert override.status_code == 422 and "reason" in override.text
    assert await _history(runtime, world.member.id) == []
    blank = await client.put(
        url,
        params={"period": "2026-11"},
        json={"hasil_kerja": "meets", "reason": "  "},
        headers=world.auth(world.lead),
    )
    assert blank.status_code == 422
    confirmed = await client.put(
        url, params={"period": "2026-11"}, json={"hasil_kerja": "above"}, headers=world.auth(world.lead)
    )
    assert confirmed.status_code == 200 and confirmed.json()["hasil_kerja"] == "above"
    overridden = await client.put(
        url,
        params={"period": "2026-11"},
        json={"hasil_kerja": "meets", "reason": "Satu tonggak dikerjakan ulang"},
        headers=world.auth(world.lead),
    )
    assert overridden.status_code == 200 and overridden.json()["hasil_kerja"] == "meets"
    actions = [h.action for h in await _history(runtime, world.member.id)]
    assert actions == ["hasil_kerja_confirmed", "hasil_kerja_overridden"]


async def test_only_the_persons_rater_rates(frozen, client, world, setup):
    url = f"/api/v1/users/{world.member.id}/behaviour"
    body = {"rating": "meets"}
    assert (await client.put(url, json=body, headers=world.auth(world.leader))).status_code == 403
    assert (await client.put(url, json=body, headers=world.auth(world.member))).status_code == 403
    assert (await client.put(url, json=body, headers=world.auth(world.outsider))).status_code == 404
    assert (await client.put(url, json=body, headers=world.auth(world.admin))).status_code == 403
    assert (await client.put(url, json=body, headers=world.auth(world.lead))).status_code == 200


async def test_predikat_from_both_ratings(frozen, client, world, setup):
    params = {"period": "2026-11"}
    headers = world.auth(world.lead)
    behaviour = await client.put(
        f"/api/v1/users/{world.member.id}/behaviour",
        params=params,
        json={
            "rating": "above",
            "note": "Sangat membantu warga",
            "values": {"Berorientasi Pelayanan": "Ramah"},
        },
        headers=headers,
    )
    assert behaviour.json()["predikat"] is None and behaviour.json()["perilaku"] == "above"
    result = await client.put(
        f"/api/v1/users/{world.member.id}/evaluation",
        params=params,
        json={"hasil_kerja": "below", "reason": "Belum ada hasil"},
        headers=headers,
    )
    assert result.json()["predikat"] == "Butuh Perbaikan"
    assert result.json()["perilaku_values"] == {"Berorientasi Pelayanan": "Ramah"}
