"""Planning, moving and closing milestones through the API, and the rules each keeps (DOMAIN.md §1b)."""

from datetime import date, timedelta

from sqlalchemy import select, update

from server import clock
from server.accounts.models import User
from server.calendar.models import PeriodLock
from server.projects.models import Milestone, MilestoneDueDate
from tests.projects.scenes import milestone_history, on, plan, team_project

NOTE = "Bukti dukung: laporan terlampir"


async def _due_dates(runtime, milestone_id: int) -> list[tuple[date, date, int | None]]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(MilestoneDueDate.due_date, MilestoneDueDate.set_on, MilestoneDueDate.set_by)
            .where(MilestoneDueDate.milestone_id == milestone_id)
            .order_by(MilestoneDueDate.id)
        )
        return [tuple(row) for row in rows.all()]


# --- planning --------------------------------------------------------------------------------------------


async def test_lead_plans_a_milestone_due_today_with_its_due_date_in_force_from_today(
    client, world, runtime, setup
):
    today = clock.today()
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/milestones",
        json={"title": "Data baru", "due_date": today.isoformat(), "assignee_ids": [world.member.id]},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 201, response.text
    milestone = response.json()
    assert milestone["weight"] == 1 and milestone["status"] == "open" and milestone["progress_pct"] == 0
    assert milestone["original_due_date"] == today.isoformat()
    assert milestone["assignee_ids"] == [world.member.id]
    assert milestone["late_working_days"] == 0 and milestone["history"] == []
    assert milestone["quality_status"] is None and milestone["delivered_on"] is None
    assert milestone["closed_at"] is None and milestone["delivery_accepted"] is True
    assert await _due_dates(runtime, milestone["id"]) == [(today, today, world.lead.id)]


async def test_lead_cannot_plan_a_milestone_due_in_the_past(client, world, setup):
    yesterday = clock.today() - timedelta(days=1)
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/milestones",
        json={"title": "Data lama", "due_date": yesterday.isoformat(), "assignee_ids": [world.member.id]},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 422 and "in the past" in response.text


async def test_milestone_due_before_the_project_starts_is_422(client, world, runtime):
    on(date(2026, 11, 2))
    project = await team_project(runtime, world, start=date(2026, 11, 20), due=date(2026, 12, 31))
    response = await client.post(
        f"/api/v1/projects/{project.id}/milestones",
        json={"title": "Terlalu awal", "due_date": "2026-11-10", "assignee_ids": []},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 422 and "before the project starts" in response.text


async def test_lead_cannot_assign_a_non_member(client, world, setup):
    """Issue 11: a lead assigned a milestone to an ASN of another office and ruined their timeliness."""
    for stranger in (world.outsider, world.sibling_leader):
        response = await client.post(
            f"/api/v1/projects/{setup.project.id}/milestones",
            json={"title": "X", "due_date": clock.today().isoformat(), "assignee_ids": [stranger.id]},
            headers=world.auth(world.lead),
        )
        assert response.status_code == 422
        assert str(stranger.id) in response.json()["detail"] and "members" in response.json()["detail"]


async def test_lead_may_assign_themselves_and_active_members_only(client, world, runtime, setup):
    url = f"/api/v1/projects/{setup.project.id}/milestones"
    body = {
        "title": "X",
        "due_date": clock.today().isoformat(),
        "assignee_ids": [world.lead.id, world.member.id],
    }
    assert (await client.post(url, json=body, headers=world.auth(world.lead))).status_code == 201
    async with runtime.transaction() as db:
        await db.execute(update(User).where(User.id == world.member.id).values(is_active=False))
    inactive = await client.post(url, json=body, headers=world.auth(world.lead))
    assert inactive.status_code == 422 and str(world.member.id) in inactive.json()["detail"]


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
    assert response.status_code == 422 and "99999" in response.text


async def test_absurd_due_dates_are_422_not_500(client, world, setup):
    url = f"/api/v1/projects/{setup.project.id}/milestones"
    for due in ("0001-01-01", "9999-12-31"):
        body = {"title": "X", "due_date": due, "assignee_ids": []}
        response = await client.post(url, json=body, headers=world.auth(world.lead))
        assert response.status_code == 422, response.text


# --- rescheduling ----------------------------------------------------------------------------------------


async def test_reschedule_needs_a_reason_of_ten_characters_and_keeps_the_original_date(
    client, world, runtime, setup
):
    url = f"/api/v1/milestones/{setup.milestone.id}"
    new_due = (setup.milestone.due_date + timedelta(days=7)).isoformat()
    lead = world.auth(world.lead)
    assert (
        await client.patch(url, json={"due_date": new_due, "reason": "   "}, headers=lead)
    ).status_code == 422
    assert (await client.patch(url, json={"due_date": new_due}, headers=lead)).status_code == 422
    short = await client.patch(url, json={"due_date": new_due, "reason": "  hujan   d "}, headers=lead)
    assert short.status_code == 422 and "10 characters" in short.text
    by_member = await client.patch(
        url, json={"due_date": new_due, "reason": "Server rusak total"}, headers=world.auth(world.member)
    )
    assert by_member.status_code == 403
    moved = await client.patch(url, json={"due_date": new_due, "reason": "Server rusak"}, headers=lead)
    assert moved.status_code == 200, moved.text
    assert moved.json()["due_date"] == new_due
    assert moved.json()["original_due_date"] == setup.milestone.due_date.isoformat()
    assert [(h["kind"], h["before"], h["after"], h["reason"], h["by"]) for h in moved.json()["history"]] == [
        (
            "rescheduled",
            {"due_date": setup.milestone.due_date.isoformat()},
            {"due_date": new_due},
            "Server rusak",
            world.lead.id,
        )
    ]
    history = await milestone_history(runtime, setup.milestone.id)
    assert [h.action for h in history] == ["created", "rescheduled"]
    today = clock.today()
    assert await _due_dates(runtime, setup.milestone.id) == [
        (setup.milestone.due_date, today, world.lead.id),
        (date.fromisoformat(new_due), today, world.lead.id),
    ]


async def test_moving_a_due_date_into_the_past_is_422(client, world, runtime):
    """Issue 11: due 20 Dec, moved to 2020-01-01 (and back) made a milestone 2,531 days late."""
    on(date(2026, 12, 7))
    project = await team_project(runtime, world, start=date(2026, 12, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 12, 20))
    url = f"/api/v1/milestones/{milestone['id']}"
    for past in ("2020-01-01", "2026-12-06", "0001-01-01"):
        response = await client.patch(
            url, json={"due_date": past, "reason": "Salah ketik tanggal"}, headers=world.auth(world.lead)
        )
        assert response.status_code == 422, response.text
    before_start = await client.patch(
        url, json={"due_date": "2026-11-30", "reason": "Salah ketik tanggal"}, headers=world.auth(world.lead)
    )
    assert before_start.status_code == 422
    assert [h.action for h in await milestone_history(runtime, milestone["id"])] == ["created"]


async def test_closed_milestone_cannot_be_rescheduled(client, world, setup):
    url = f"/api/v1/milestones/{setup.milestone.id}"
    closed = await client.post(f"{url}/close", json={"quality": 4}, headers=world.auth(world.lead))
    assert closed.status_code == 200
    response = await client.patch(
        url,
        json={"due_date": (clock.today() + timedelta(days=9)).isoformat(), "reason": "Perlu waktu lagi"},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 409


# --- closing ---------------------------------------------------------------------------------------------


async def test_close_late_milestone_counts_calendar_and_working_days(client, world, runtime):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27))  # a Friday
    on(date(2026, 12, 2), 15)  # Wednesday: Mon 30 Nov, Tue 1 Dec, Wed 2 Dec late
    response = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close",
        json={"quality": 4, "note": "Baik"},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["status"] == "closed" and closed["progress_pct"] == 100
    assert closed["days_late"] == 5 and closed["late_working_days"] == 3 and closed["quality"] == 4
    assert closed["quality_status"] == "scored" and closed["closed_on"] == "2026-12-02"
    assert closed["closed_at"] == "2026-12-02T08:00:00Z"
    history = await milestone_history(runtime, milestone["id"])
    assert history[-1].action == "closed"
    assert history[-1].after | {} == {
        "status": "closed",
        "closed_on": "2026-12-02",
        "quality": 4,
        "quality_status": "scored",
        "days_late": 5,
        "late_working_days": 3,
        "delivered_on": None,
        "delivery_accepted": True,
    }


async def test_closing_twice_is_409(client, world, setup):
    url = f"/api/v1/milestones/{setup.milestone.id}/close"
    body = {"quality": 5, "note": NOTE}
    assert (await client.post(url, json=body, headers=world.auth(world.lead))).status_code == 200
    assert (await client.post(url, json=body, headers=world.auth(world.lead))).status_code == 409


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
    assert [h.action for h in await milestone_history(runtime, setup.milestone.id)] == ["created"]


async def test_closed_on_before_the_milestone_was_created_is_422(client, world, runtime, setup):
    """Issue 11: closed_on 2020-01-01 on a milestone created today was accepted and moved a rated month."""
    url = f"/api/v1/milestones/{setup.milestone.id}/close"
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    for closed_on in ("2020-01-01", yesterday, "0001-01-01"):
        response = await client.post(
            url, json={"quality": 3, "closed_on": closed_on}, headers=world.auth(world.lead)
        )
        assert response.status_code == 422 and "before the milestone was created" in response.text
    assert [h.action for h in await milestone_history(runtime, setup.milestone.id)] == ["created"]


async def test_quality_1_2_and_5_need_a_note(client, world, runtime, setup):
    url = f"/api/v1/milestones/{setup.milestone.id}/close"
    for quality in (1, 2, 5):
        for note in (None, "   "):
            response = await client.post(
                url, json={"quality": quality, "note": note}, headers=world.auth(world.lead)
            )
            assert response.status_code == 422 and "needs a note" in response.text
    scored = await client.post(url, json={"quality": 5, "note": NOTE}, headers=world.auth(world.lead))
    assert scored.status_code == 200 and scored.json()["quality_note"] == NOTE
    third = await client.post(
        f"/api/v1/milestones/{setup.other_milestone.id}/close",
        json={"quality": 3},
        headers=world.auth(world.lead),
    )
    assert third.status_code == 200 and third.json()["quality"] == 3


async def test_not_accepting_the_delivery_needs_a_reason(client, world, setup):
    url = f"/api/v1/milestones/{setup.milestone.id}/close"
    for reason in (None, "  "):
        refused = await client.post(
            url,
            json={"quality": 3, "delivery_accepted": False, "delivery_reason": reason},
            headers=world.auth(world.lead),
        )
        assert refused.status_code == 422 and "delivery_reason" in refused.text
    closed = await client.post(
        url,
        json={"quality": 3, "delivery_accepted": False, "delivery_reason": "Hasil belum lengkap"},
        headers=world.auth(world.lead),
    )
    assert closed.status_code == 200
    assert closed.json()["delivery_accepted"] is False
    assert closed.json()["delivery_reason"] == "Hasil belum lengkap"


async def test_close_in_a_locked_period_is_409(client, world, runtime, setup):
    async with runtime.transaction() as db:
        db.add(PeriodLock(period=f"{clock.today():%Y-%m}", locked=True, locked_at=clock.now()))
    response = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close", json={"quality": 3}, headers=world.auth(world.lead)
    )
    assert response.status_code == 409 and "period locked" in response.text
    async with runtime.sessionmaker() as session:
        assert (await session.get(Milestone, setup.milestone.id)).status == "open"


async def test_closed_on_is_judged_in_jakarta_time(client, world, setup):
    # 17:30 UTC is 00:30 WIB the next day: "today" is already the next date in Jakarta.
    now = clock.now().replace(hour=17, minute=30, second=0, microsecond=0)
    clock.freeze(now)
    jakarta_today = (now + timedelta(hours=7)).date()
    response = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close",
        json={"quality": 4, "closed_on": jakarta_today.isoformat()},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200, response.text


async def test_unknown_milestone_is_404(client, world, setup):
    response = await client.post(
        "/api/v1/milestones/99999/close", json={"quality": 3}, headers=world.auth(world.lead)
    )
    assert response.status_code == 404
