"""Who is told by the changes themselves: a blocker reported (the lead and the leaders above), a milestone
reported at 100% (the lead), an evaluation confirmed (the ASN)."""

import json
from datetime import UTC, datetime

from sqlalchemy import select

from server import clock
from server.notifications.models import Notification

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB, within the period rated


async def _told(runtime) -> list[tuple[int, str, dict]]:
    async with runtime.transaction() as db:
        rows = await db.scalars(select(Notification).order_by(Notification.user_id))
        return [(n.user_id, n.kind, json.loads(n.params)) for n in rows.all()]


async def _post(client, world, setup, **body):
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates",
        json={"milestone_id": setup.milestone.id} | body,
        headers=world.auth(world.member),
    )
    assert response.status_code == 201, response.text


async def test_a_blocker_tells_the_lead_and_the_leaders_of_the_unit_and_above(client, world, setup, runtime):
    await _post(client, world, setup, progress_pct=20, blockers="Server mati sejak pagi")
    told = await _told(runtime)
    assert sorted(user for user, _, _ in told) == sorted([world.lead.id, world.leader.id])
    assert {kind for _, kind, _ in told} == {"blocker"}
    assert told[0][2]["text"] == "Server mati sejak pagi"
    # An update without a blocker tells nobody.
    await _post(client, world, setup, progress_pct=30)
    assert len(await _told(runtime)) == 2


async def test_a_milestone_reported_at_100_tells_the_lead_once(client, world, setup, runtime):
    await _post(client, world, setup, progress_pct=90)
    assert await _told(runtime) == []
    await _post(client, world, setup, progress_pct=100)
    await _post(client, world, setup, progress_pct=100, note="masih 100")
    told = await _told(runtime)
    assert [(user, kind) for user, kind, _ in told] == [(world.lead.id, "milestone_reported")]
    assert told[0][2]["milestone"] == setup.milestone.title


async def test_a_confirmed_evaluation_tells_the_asn(client, world, runtime):
    clock.freeze(NOW)
    response = await client.put(
        f"/api/v1/users/{world.member.id}/evaluation",
        params={"period": "2026-11"},
        json={"hasil_kerja": "meets", "reason": "Dialog kinerja bulan ini"},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200, response.text
    assert [(user, kind, params["period"]) for user, kind, params in await _told(runtime)] == [
        (world.member.id, "evaluation_confirmed", "2026-11")
    ]
