from datetime import timedelta

from sqlalchemy import select

from server import clock
from server.audit import HistoryEntry


async def _history(runtime, milestone_id):
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.entity == "milestone", HistoryEntry.entity_id == milestone_id)
            .order_by(HistoryEntry.id)
        )
        return list(rows.all())


async def test_lead_creates_milestone_with_past_due_date(client, world, setup):
    due = clock.today() - timedelta(days=3)
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/milestones",
        json={"title": "Data lama", "due_date": due.isoformat(), "assignee_ids": [world.member.id]},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 201
    milestone = response.json()
    assert milestone["weight"] == 1 and milestone["status"] == "open" and milestone["progress_pct"] == 0
    assert milestone["original_due_date"] == due.isoformat() and milestone["assignee_ids"] == [
        world.member.id
    ]
    assert {"closed_on", "quality", "days_late"} <= set(milestone)


async def test_only_the_lead_plans_milestones(client, world, setup):
    body = {"title": "X", "due_date": clock.today().isoformat(), "assignee_ids": []}
    url = f"/api/v1/projects/{setup.project.id}/milestones"
    assert (await client.post(url, json=body, headers=world.auth(world.member))).status_code == 403
    assert (await client.post(url, json=body, headers=world.auth(world.leader))).status_code == 403
    assert (await client.post(url, json=body, headers=world.auth(world.outsider))).status_code == 404


async def test_milestone_with_unknown_assignee_is_422(client, world, setup):
    body = {"title": "X", "due_date": clock.today().isoformat(), "assignee_ids": [99999]}
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/milestones", json=body, headers=world.auth(world.lead)
    )
    assert response.status_code == 422


async def test_reschedule_needs_reason_and_keeps_original_date(client, world, runtime, setup):
    url = f"/api/v1/milestones/{setup.milestone.id}"
    new_due = (setup.milestone.due_date + timedelta(days=7)).isoformat()
    blank = await client.patch(
        url, json={"due_date": new_due, "reason": "   "}, headers=world.auth(world.lead)
    )
    assert blank.status_code == 422
    missing = await client.patch(url, json={"due_date": new_due}, headers=world.auth(world.lead))
    assert missing.status_code == 422
    by_member = await client.patch(
        url, json={"due_date": new_due, "reason": "x"}, headers=world.auth(world.member)
    )
    assert by_member.status_code == 403
    moved = await client.patch(
        url, json={"due_date": new_due, "reason": "Server rusak"}, headers=world.auth(world.lead)
    )
    assert moved.status_code == 200
    assert moved.json()["due_date"] == new_due
    assert moved.json()["original_due_date"] == setup.milestone.due_date.isoformat()
    history = await _history(runtime, setup.milestone.id)
    assert [h.action for h in history] == ["created", "rescheduled"]
    assert history[1].before == {"due_date": setup.milestone.due_date.isoformat()}
    assert history[1].after["due_date"] == new_due and history[1].reason == "Server rusak"
    assert history[1].actor_id == world.lead.id


async def test_close_late_milestone_reports_days_late(client, world, runtime, setup):
    clock.freeze(clock.now() + timedelta(days=8))  # due in 5 days, closed 3 days after
    response = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close",
        json={"quality": 4, "note": "Baik"},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200
    milestone = response.json()
    assert milestone["status"] == "closed" and milestone["progress_pct"] == 100
    assert milestone["days_late"] == 3 and milestone["quality"] == 4
    assert milestone["closed_on"] == clock.today().isoformat()
    history = await _history(runtime, setup.milestone.id)
    assert history[-1].action == "closed" and history[-1].after["quality"] == 4


async def test_closing_twice_is_409(client, world, setup):
    url = f"/api/v1/milestones/{setup.milestone.id}/close"
    assert (await client.post(url, json={"quality": 5}, headers=world.auth(world.lead))).status_code == 200
    assert (await client.post(url, json={"quality": 5}, headers=world.auth(world.lead))).status_code == 409


async def test_close_refuses_bad_quality_future_date_and_non_lead(client, world, runtime, setup):
    url = f"/api/v1/milestones/{setup.milestone.id}/close"
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    assert (await client.post(url, json={"quality": 6}, headers=world.auth(world.lead))).status_code == 422
    assert (await client.post(url, json={"quality": 0}, headers=world.auth(world.lead))).status_code == 422
    future = await client.post(
        url, json={"quality": 3, "closed_on": tomorrow}, headers=world.auth(world.lead)
    )
    assert future.status_code == 422 and "future" in future.text
    assert (await client.post(url, json={"quality": 3}, headers=world.auth(world.member))).status_code == 403
    assert (await client.post(url, json={"quality": 3}, headers=world.auth(world.admin))).status_code == 403
    assert (
        await client.post(url, json={"quality": 3}, headers=world.auth(world.outsider))
    ).status_code == 404
    assert [h.action for h in await _history(runtime, setup.milestone.id)] == ["created"]


async def test_closed_on_is_judged_in_jakarta_time(client, world, setup):
    # 17:30 UTC is 00:30 WIB the next day: "today" is already the next date in Jakarta.
    now = clock.now().replace(hour=17, minute=30, second=0, microsecond=0)
    clock.freeze(now)
    jakarta_today = (now + timedelta(hours=7)).date()
    response = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close",
        json={"quality": 5, "closed_on": jakarta_today.isoformat()},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200


async def test_unknown_milestone_is_404(client, world, setup):
    response = await client.post(
        "/api/v1/milestones/99999/close", json={"quality": 3}, headers=world.auth(world.lead)
    )
    assert response.status_code == 404
