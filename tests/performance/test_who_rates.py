"""Who rates, and when (DOMAIN.md §1): only the person's rater, never an admin or the person themselves;
not a period that has not started; not a locked period. On a fixed date: 20 November 2026 (WIB)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from server import clock
from server.accounts.models import Role, User
from server.performance.models import Rating
from tests import factories

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
BEHAVIOUR = {"rating": "meets"}
EVALUATION = {"hasil_kerja": "meets", "reason": "Dialog kinerja bulan ini"}


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _rate(client, world, rater, subject, period="2026-11"):
    """Both PUTs; their two status codes."""
    headers, params = world.auth(rater), {"period": period}
    behaviour = await client.put(
        f"/api/v1/users/{subject.id}/behaviour", params=params, json=BEHAVIOUR, headers=headers
    )
    evaluation = await client.put(
        f"/api/v1/users/{subject.id}/evaluation", params=params, json=EVALUATION, headers=headers
    )
    return behaviour, evaluation


async def _ratings(runtime) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(Rating))


async def test_an_admin_cannot_rate_themselves(frozen, client, world, runtime):
    behaviour, evaluation = await _rate(client, world, world.admin, world.admin)
    assert behaviour.status_code == evaluation.status_code == 403
    assert "admin" in behaviour.json()["detail"]
    assert await _ratings(runtime) == 0


async def test_an_admin_cannot_rate_an_asn(frozen, client, world, runtime):
    for subject in (world.member, world.outsider, world.lead):
        behaviour, evaluation = await _rate(client, world, world.admin, subject)
        assert behaviour.status_code == evaluation.status_code == 403, subject.name
    assert await _ratings(runtime) == 0


async def test_nobody_rates_themselves(frozen, client, world, runtime):
    for person in (world.member, world.lead, world.leader):
        behaviour, evaluation = await _rate(client, world, person, person)
        assert behaviour.status_code == evaluation.status_code == 403
        assert "themselves" in behaviour.json()["detail"]
    assert await _ratings(runtime) == 0


async def test_the_supervisor_rates_and_a_leader_who_is_not_the_rater_may_not(frozen, client, world):
    refused = await _rate(client, world, world.leader, world.member)  # sees the member, is not the rater
    assert [r.status_code for r in refused] == [403, 403]
    assert "rater" in refused[0].json()["detail"]
    behaviour, evaluation = await _rate(client, world, world.lead, world.member)
    assert behaviour.status_code == evaluation.status_code == 200
    assert evaluation.json()["hasil_kerja"] == "meets" and evaluation.json()["perilaku"] == "meets"


async def test_someone_who_cannot_see_the_person_gets_404(frozen, client, world):
    for stranger in (world.outsider, world.sibling_leader):
        behaviour, evaluation = await _rate(client, world, stranger, world.member)
        assert behaviour.status_code == evaluation.status_code == 404


async def test_a_supervisor_rates_whatever_their_role_even_from_another_unit(frozen, client, world, runtime):
    async with runtime.transaction() as db:
        await db.execute(
            update(User).where(User.id == world.outsider.id).values(supervisor_id=world.sibling_leader.id)
        )
    refused = await _rate(client, world, world.leader, world.outsider)  # the unit's leader, not the rater
    assert [r.status_code for r in refused] == [403, 403]
    rated = await _rate(client, world, world.sibling_leader, world.outsider)
    assert [r.status_code for r in rated] == [200, 200]


async def test_without_a_supervisor_the_leader_of_the_nearest_unit_with_one_rates(frozen, client, world):
    # The outsider (Bidang Pelayanan) has no supervisor and the bidang no leader: the dinas's leader rates.
    assert [r.status_code for r in await _rate(client, world, world.leader, world.outsider)] == [200, 200]
    assert [r.status_code for r in await _rate(client, world, world.lead, world.outsider)] == [404, 404]


async def test_a_unit_head_is_rated_from_the_unit_above(frozen, client, world, runtime):
    async with runtime.transaction() as db:
        head = await factories.make_user(db, unit=world.bidang, role=Role.leader, name="Kepala Bidang")
    assert [r.status_code for r in await _rate(client, world, world.leader, head)] == [200, 200]
    assert [r.status_code for r in await _rate(client, world, head, head)] == [403, 403]


async def test_a_period_that_has_not_started_cannot_be_rated(frozen, client, world, runtime):
    behaviour, evaluation = await _rate(client, world, world.lead, world.member, period="2030-01")
    assert behaviour.status_code == evaluation.status_code == 422
    assert "2030-01 has not started" in behaviour.json()["detail"]
    assert "2030-01-01" in evaluation.json()["detail"]
    december = await _rate(client, world, world.lead, world.member, period="2026-12")
    assert [r.status_code for r in december] == [422, 422]
    assert await _ratings(runtime) == 0


async def test_a_running_period_can_be_rated_provisionally(frozen, client, world):
    for period in ("2026-11", "2026-Q4", "2026"):
        assert [r.status_code for r in await _rate(client, world, world.lead, world.member, period)] == [
            200,
            200,
        ]


async def test_a_period_starts_on_its_first_day_in_jakarta(client, world):
    clock.freeze(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))  # 00:00 WIB on 1 December
    assert [r.status_code for r in await _rate(client, world, world.lead, world.member, "2026-12")] == [
        200,
        200,
    ]


async def test_a_locked_period_refuses_ratings_naming_the_period(frozen, client, world, runtime):
    lock = await client.post("/api/v1/periods/2026-10/lock", headers=world.auth(world.admin))
    assert lock.status_code == 200, lock.text
    behaviour, evaluation = await _rate(client, world, world.lead, world.member, period="2026-10")
    assert behaviour.status_code == evaluation.status_code == 409
    assert behaviour.json()["detail"].startswith("period locked: 2026-10")
    assert "2026-10" in evaluation.json()["detail"]
    assert await _ratings(runtime) == 0
    # Another period is not affected.
    assert [r.status_code for r in await _rate(client, world, world.lead, world.member, "2026-09")] == [
        200,
        200,
    ]
