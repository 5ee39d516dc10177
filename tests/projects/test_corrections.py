"""Corrections and reopening (DOMAIN.md §1b): the lead within the lead's limits while the period is open,
an admin any time; a correction rewrites the record as if it had always been so and is kept in history."""

import json
from datetime import date

from sqlalchemy import select

from server.calendar.models import PeriodLock
from server.projects import changes
from server.projects.models import Milestone, MilestoneDueDate
from server.realtime.models import BoardEvent
from tests.projects.scenes import milestone_history, on, plan, team_project

REASON = "Tanggal salah dicatat saat penutupan"


async def _closed(client, world, runtime, *, assignees=None) -> tuple[int, dict]:
    """Planned Mon 23 Nov 2026 due Fri 27 Nov, closed Wed 2 Dec with quality 4: 3 working days late."""
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27), assignees)
    on(date(2026, 12, 2))
    closed = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    assert closed.status_code == 200 and closed.json()["late_working_days"] == 3
    return project.id, closed.json()


async def _correct(client, world, milestone_id: int, who=None, **body):
    return await client.post(
        f"/api/v1/milestones/{milestone_id}/correct",
        json={"reason": REASON} | body,
        headers=world.auth(who or world.lead),
    )


async def _events(runtime, project_id: int) -> list[tuple[str, dict]]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(BoardEvent.type, BoardEvent.message)
            .where(BoardEvent.board == f"project:{project_id}")
            .order_by(BoardEvent.seq)
        )
        return [(kind, json.loads(message)["data"]) for kind, message in rows.all()]


async def test_lead_corrects_the_closing_date_within_the_leads_limits(client, world, runtime):
    project_id, closed = await _closed(client, world, runtime)
    for bad in ("2026-11-20", "2026-12-03", "0001-01-01"):  # before creation, in the future, absurd
        assert (await _correct(client, world, closed["id"], closed_on=bad)).status_code == 422
    fixed = await _correct(client, world, closed["id"], closed_on="2026-11-30")
    assert fixed.status_code == 200, fixed.text
    milestone = fixed.json()
    assert milestone["closed_on"] == "2026-11-30" and milestone["late_working_days"] == 1
    assert milestone["status"] == "closed" and milestone["quality"] == 4
    assert [(h["kind"], h["before"], h["after"], h["reason"], h["by"]) for h in milestone["history"]] == [
        (
            "corrected",
            {"closed_on": "2026-12-02", "late_working_days": 3},
            {"closed_on": "2026-11-30", "late_working_days": 1},
            REASON,
            world.lead.id,
        )
    ]
    kinds = [kind for kind, _ in await _events(runtime, project_id)]
    assert kinds[-1] == "milestone.corrected"
    data = (await _events(runtime, project_id))[-1][1]
    assert data["milestone"]["closed_on"] == "2026-11-30" and data["project"]["id"] == project_id


async def test_a_correction_needs_a_reason_and_something_to_change(client, world, runtime):
    _, closed = await _closed(client, world, runtime)
    short = await _correct(client, world, closed["id"], closed_on="2026-11-30", reason="salah")
    assert short.status_code == 422 and "10 characters" in short.text
    assert (await _correct(client, world, closed["id"])).status_code == 422
    same = await _correct(client, world, closed["id"], closed_on="2026-12-02", quality=4)
    assert same.status_code == 422 and "Nothing to change" in same.text
    mixed = await _correct(client, world, closed["id"], reopen=True, quality=3)
    assert mixed.status_code == 422
    assert [h.action for h in await milestone_history(runtime, closed["id"])] == ["created", "closed"]


async def test_who_may_correct(client, world, runtime):
    _, closed = await _closed(client, world, runtime)
    for person, status in (
        (world.member, 403),
        (world.leader, 403),
        (world.outsider, 404),
        (world.sibling_leader, 404),
    ):
        response = await _correct(client, world, closed["id"], who=person, quality=3)
        assert response.status_code == status, person.name
    assert (await _correct(client, world, closed["id"], quality=3)).status_code == 200
    admin = await _correct(client, world, closed["id"], who=world.admin, quality=2)
    assert (
        admin.status_code == 200 and admin.json()["quality"] == 2 and admin.json()["quality_note"] == REASON
    )


async def test_a_lead_among_the_assignees_may_not_correct_quality(client, world, runtime):
    _, closed = await _closed(client, world, runtime, assignees=[world.lead.id, world.member.id])
    assert closed["quality_status"] == "pending"
    response = await _correct(client, world, closed["id"], quality=5)
    assert response.status_code == 403 and "rater" in response.text
    admin = await _correct(client, world, closed["id"], who=world.admin, quality=3)
    assert admin.status_code == 200 and admin.json()["quality_status"] == "scored"


async def test_an_admin_may_set_any_closing_date_up_to_today(client, world, runtime):
    _, closed = await _closed(client, world, runtime)
    early = await _correct(client, world, closed["id"], who=world.admin, closed_on="2026-11-20")
    assert early.status_code == 200 and early.json()["late_working_days"] == 0
    for bad in ("2026-12-03", "0001-01-01"):
        assert (
            await _correct(client, world, closed["id"], who=world.admin, closed_on=bad)
        ).status_code == 422


async def test_a_corrected_due_date_rewrites_the_record_as_if_always_so(client, world, runtime):
    _, closed = await _closed(client, world, runtime)
    lead_past = await _correct(client, world, closed["id"], due_date="2026-11-30")
    assert lead_past.status_code == 422, "the lead's due dates are today or later"
    by_lead = await _correct(client, world, closed["id"], due_date="2026-12-02")
    assert by_lead.status_code == 200
    assert by_lead.json()["late_working_days"] == 0 and by_lead.json()["original_due_date"] == "2026-12-02"
    by_admin = await _correct(client, world, closed["id"], who=world.admin, due_date="2026-11-30")
    assert by_admin.status_code == 200
    milestone = by_admin.json()
    assert milestone["due_date"] == milestone["original_due_date"] == "2026-11-30"
    assert milestone["late_working_days"] == 2  # Tue 1 and Wed 2 Dec
    async with runtime.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(MilestoneDueDate).where(MilestoneDueDate.milestone_id == closed["id"])
            )
        ).all()
    assert [(r.due_date, r.set_on) for r in rows] == [(date(2026, 11, 30), date(2026, 11, 23))]


async def test_correcting_the_due_date_of_a_rescheduled_milestone_rewrites_the_date_in_force(
    client, world, runtime
):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27))
    on(date(2026, 12, 1))  # late Mon 30 Nov, Tue 1 Dec against 27 Nov
    moved = await client.patch(
        f"/api/v1/milestones/{milestone['id']}",
        json={"due_date": "2026-12-03", "reason": "Data susulan dari desa"},
        headers=world.auth(world.lead),
    )
    assert moved.json()["late_working_days"] == 1  # Mon 30 Nov; from 1 Dec on, 3 Dec is in force
    on(date(2026, 12, 7))
    open_fix = await _correct(client, world, milestone["id"], due_date="2026-12-04")
    assert open_fix.status_code == 403, "a lead moves an open milestone's date with a reschedule"
    fixed = await _correct(client, world, milestone["id"], who=world.admin, due_date="2026-12-04")
    assert fixed.status_code == 200, fixed.text
    read = fixed.json()
    assert read["status"] == "open" and read["due_date"] == "2026-12-04"
    assert read["original_due_date"] == "2026-11-27", "the first due date was right and stays"
    assert read["late_working_days"] == 1 + 1  # 30 Nov, and Mon 7 Dec against 4 Dec
    closed_fix = await _correct(client, world, milestone["id"], who=world.admin, closed_on="2026-12-04")
    assert closed_fix.status_code == 409, "an open milestone has no closing date to correct"


async def test_reopening_clears_the_close_and_restores_the_reported_progress(client, world, runtime):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27))
    update = await client.post(
        f"/api/v1/projects/{project.id}/updates",
        json={"milestone_id": milestone["id"], "progress_pct": 60},
        headers=world.auth(world.member),
    )
    assert update.status_code == 201
    on(date(2026, 12, 2))
    closed = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    assert closed.status_code == 200
    reopened = await _correct(client, world, milestone["id"], reopen=True)
    assert reopened.status_code == 200, reopened.text
    read = reopened.json()
    assert read["status"] == "open" and read["progress_pct"] == 60
    assert read["closed_on"] is None and read["quality"] is None and read["quality_status"] is None
    assert read["closed_at"] is None and read["days_late"] is None
    assert read["late_working_days"] == 3, "open again: lateness counts on to today"
    assert read["history"][-1]["kind"] == "reopened"
    assert read["history"][-1]["before"]["closed_on"] == "2026-12-02"
    assert read["history"][-1]["after"] == {"status": "open", "progress_pct": 60}
    assert (await _events(runtime, project.id))[-1][0] == "milestone.reopened"
    again = await _correct(client, world, milestone["id"], reopen=True)
    assert again.status_code == 409
    closed_again = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close", json={"quality": 3}, headers=world.auth(world.lead)
    )
    assert closed_again.status_code == 200 and closed_again.json()["quality"] == 3


async def test_a_locked_period_cannot_be_corrected_by_anyone(client, world, runtime):
    _, closed = await _closed(client, world, runtime)
    async with runtime.transaction() as db:
        db.add(PeriodLock(period="2026-11", locked=True))
    # The milestone counts in December; moving it into the locked November is refused ...
    for who in (world.lead, world.admin):
        response = await _correct(client, world, closed["id"], who=who, closed_on="2026-11-30")
        assert response.status_code == 409 and "2026-11" in response.text and "unlock" in response.text
    async with runtime.transaction() as db:
        db.add(PeriodLock(period="2026-12", locked=True))
    # ... and once December is locked, nothing that counts in it changes.
    for body in ({"quality": 3}, {"reopen": True}):
        response = await _correct(client, world, closed["id"], who=world.admin, **body)
        assert response.status_code == 409
    async with runtime.sessionmaker() as session:
        milestone = await session.get(Milestone, closed["id"])
    assert (
        milestone.status == "closed" and milestone.closed_on == date(2026, 12, 2) and milestone.quality == 4
    )


async def test_a_correction_recomputes_the_month_it_left_too(client, world, runtime):
    calls = []

    async def spy(session, milestone, assignee_ids, *, previous_closed_on=None):
        calls.append((milestone.closed_on, previous_closed_on, assignee_ids))

    changes.milestone_closed_listeners.append(spy)
    try:
        _, closed = await _closed(client, world, runtime)
        await _correct(client, world, closed["id"], who=world.admin, closed_on="2026-11-30")
        await _correct(client, world, closed["id"], reopen=True)
    finally:
        changes.milestone_closed_listeners.remove(spy)
    assert calls == [
        (date(2026, 12, 2), None, [world.member.id]),
        (date(2026, 11, 30), date(2026, 12, 2), [world.member.id]),
        (None, date(2026, 11, 30), [world.member.id]),
    ]


async def test_a_correction_sends_the_indicators_of_both_months(client, world, runtime):
    _, closed = await _closed(client, world, runtime)
    await _correct(client, world, closed["id"], who=world.admin, closed_on="2026-11-30")
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(BoardEvent.message).where(
                BoardEvent.board == f"unit:{world.bidang.id}", BoardEvent.type == "indicator.changed"
            )
        )
        periods = [json.loads(message)["data"]["period"] for (message,) in rows.all()]
    assert periods.count("2026-12") >= 2 and "2026-11" in periods, periods
