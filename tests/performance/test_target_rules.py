"""Targets and thresholds must be more than 0 and `above` more than `meets`, also for the values in force
after inheritance: a PUT that would break that is a 422 naming the field; values stored before the rule
never cause a 500, the defaults stand in and a warning says so. On a fixed date: 20 November 2026."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server import clock
from server.performance.models import Target
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _put(client, world, unit, period, body):
    return await client.put(
        f"/api/v1/units/{unit.id}/targets",
        params={"period": period},
        json=body,
        headers=world.auth(world.admin),
    )


async def _targets(runtime) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(Target))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"targets": {"timeliness": {"target": 0}}}, "timeliness target"),
        ({"targets": {"timeliness": {"target": -5}}}, "timeliness target"),
        ({"thresholds": {"meets": {"value": 0}}}, "meets threshold"),
        ({"thresholds": {"above": {"value": 80}}}, "thresholds.above"),  # below the default meets (90)
        ({"thresholds": {"meets": {"value": 110}}}, "thresholds.meets"),  # equal to the default above
        ({"thresholds": {"above": {"value": 90}, "meets": {"value": 95}}}, "thresholds.meets"),
    ],
)
async def test_a_value_breaking_the_rules_is_422_naming_the_field(
    frozen, client, world, runtime, body, field
):
    response = await _put(client, world, world.bidang, "2026-11", body)
    assert response.status_code == 422 and field in response.json()["detail"]
    assert await _targets(runtime) == 0


async def test_a_parent_value_that_breaks_a_childs_thresholds_in_force_is_refused(
    frozen, client, world, runtime
):
    child = await _put(client, world, world.bidang, "2026-11", {"thresholds": {"meets": {"value": 100}}})
    assert child.status_code == 200
    # Above 105 on the dinas for the whole year: for the bidang in November that is above 105 and
    # meets 100 — fine; above 95 would leave the bidang with above 95 below its own meets 100.
    assert (
        await _put(client, world, world.dinas, "2026", {"thresholds": {"above": {"value": 105}}})
    ).status_code == 200
    refused = await _put(client, world, world.dinas, "2026", {"thresholds": {"above": {"value": 95}}})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "thresholds.above" in detail and world.bidang.name in detail and "2026-11" in detail
    in_force = await client.get(
        f"/api/v1/units/{world.bidang.id}/targets",
        params={"period": "2026-11"},
        headers=world.auth(world.admin),
    )
    assert in_force.json()["thresholds"]["above"]["value"] == 105  # nothing of the refused change stored


async def test_clearing_a_childs_own_value_that_would_expose_a_broken_pair_is_refused(frozen, client, world):
    assert (
        await _put(
            client,
            world,
            world.dinas,
            "2026-11",
            {"thresholds": {"meets": {"value": 100}, "above": {"value": 120}}},
        )
    ).status_code == 200
    assert (
        await _put(
            client,
            world,
            world.bidang,
            "2026-11",
            {"thresholds": {"above": {"value": 140}, "meets": {"value": 130}}},
        )
    ).status_code == 200
    # Clearing only the bidang's meets would leave it above 140 (own) and meets 100 (inherited): fine.
    assert (
        await _put(client, world, world.bidang, "2026-11", {"thresholds": {"meets": None}})
    ).status_code == 200
    # Clearing its above then leaves 120 / 100: fine too; clearing the dinas's above leaves 110 / 100.
    assert (
        await _put(client, world, world.bidang, "2026-11", {"thresholds": {"above": None}})
    ).status_code == 200


async def test_values_stored_before_the_rules_fall_back_to_the_defaults_with_a_warning(
    frozen, client, world, runtime, setup
):
    async with runtime.transaction() as db:
        db.add(Target(unit_id=world.bidang.id, period="2026-11", key="threshold_meets", value=Decimal("150")))
        db.add(Target(unit_id=world.dinas.id, period="2026", key="timeliness", value=Decimal("0")))
    response = await client.get(
        f"/api/v1/units/{world.bidang.id}/targets",
        params={"period": "2026-11"},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["thresholds"]["meets"]["value"] == 90 and body["thresholds"]["above"]["value"] == 110
    assert body["targets"]["timeliness"]["target"] == 90
    assert body["targets"]["timeliness"]["source"]["kind"] == "default"
    assert len(body["warnings"]) == 2
    assert any("targets.timeliness" in w and "tidak sah" in w for w in body["warnings"])
    assert any("thresholds.meets" in w for w in body["warnings"])
    performance = await client.get(
        f"/api/v1/users/{world.member.id}/performance",
        params={"period": "2026-11"},
        headers=world.auth(world.lead),
    )
    assert performance.status_code == 200 and len(performance.json()["warnings"]) == 2
    await log_in(client, world.admin)
    for url in (f"/people/{world.member.id}", f"/admin/units/{world.bidang.id}/targets"):
        page = await client.get(url, params={"period": "2026-11"})
        assert page.status_code == 200 and "tidak sah" in page.text, url
    # The stored value that breaks the rule is shown in the form so the admin can fix it.
    assert 'name="threshold_meets"' in page.text and 'value="150"' in page.text
