"""Timeliness is judged in working days against the due date in force, up to the delivery (DOMAIN.md §1b).

The dates are checked by hand against the calendar: 27 Nov 2026 is a Friday, 30 Nov a Monday, 4 Dec a
Friday, 9 Dec a Wednesday, 11 Dec a Friday, 14 Dec a Monday."""

from datetime import date

from server.calendar.models import Holiday
from tests.projects.scenes import on, plan, team_project


async def _close(client, world, milestone_id: int, **body) -> dict:
    response = await client.post(
        f"/api/v1/milestones/{milestone_id}/close", json={"quality": 4} | body, headers=world.auth(world.lead)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _read(client, world, milestone_id: int, project_id: int) -> dict:
    response = await client.get(f"/api/v1/projects/{project_id}", headers=world.auth(world.member))
    assert response.status_code == 200
    return next(m for m in response.json()["milestones"] if m["id"] == milestone_id)


async def _report(client, world, project_id: int, milestone_id: int, pct: int, who=None) -> None:
    response = await client.post(
        f"/api/v1/projects/{project_id}/updates",
        json={"milestone_id": milestone_id, "progress_pct": pct},
        headers=world.auth(who or world.member),
    )
    assert response.status_code == 201, response.text


async def test_due_friday_closed_monday_is_one_working_day_late(client, world, runtime):
    """Issue 11: due Friday, closed Monday counted as 3 days late."""
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27))
    on(date(2026, 11, 30))
    closed = await _close(client, world, milestone["id"])
    assert closed["days_late"] == 3 and closed["late_working_days"] == 1


async def test_holidays_do_not_count(client, world, runtime):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27))
    async with runtime.transaction() as db:
        db.add(Holiday(date=date(2026, 11, 30), name="Cuti bersama"))
        db.add(Holiday(date=date(2026, 11, 28), name="Libur di hari Sabtu"))
    on(date(2026, 12, 1))
    assert (await _read(client, world, milestone["id"], project.id))["late_working_days"] == 1
    closed = await _close(client, world, milestone["id"])
    assert closed["days_late"] == 4 and closed["late_working_days"] == 1


async def test_a_reschedule_judges_each_day_against_the_due_date_in_force_then(client, world, runtime):
    """Issue 11: due Mon 30 Nov, moved on Fri 4 Dec to Wed 9 Dec, delivered Fri 11 Dec: late on Tue 1,
    Wed 2 and Thu 3 Dec (against 30 Nov) and on Thu 10 and Fri 11 Dec (against 9 Dec) = 5 working days.
    Moving the date neither erases the first three nor makes 4-9 Dec late."""
    on(date(2026, 11, 20))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 30))
    on(date(2026, 12, 4), 8)
    assert (await _read(client, world, milestone["id"], project.id))["late_working_days"] == 4
    moved = await client.patch(
        f"/api/v1/milestones/{milestone['id']}",
        json={"due_date": "2026-12-09", "reason": "Data dari desa terlambat"},
        headers=world.auth(world.lead),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["late_working_days"] == 3, "the day of the move is judged against the new date"
    on(date(2026, 12, 11), 9)
    assert (await _read(client, world, milestone["id"], project.id))["late_working_days"] == 5
    await _report(client, world, project.id, milestone["id"], 100)
    on(date(2026, 12, 15), 14)
    closed = await _close(client, world, milestone["id"])
    assert closed["delivered_on"] == "2026-12-11" and closed["closed_on"] == "2026-12-15"
    assert closed["late_working_days"] == 5 and closed["days_late"] == 6


async def test_a_past_due_date_moved_earlier_cannot_apply_backwards(client, world, runtime):
    """Issue 11: due 1 Dec, moved on 6 Dec to 3 Dec (a date already past) counted 8 days instead of 5.
    Now a past date cannot be set at all, and a move to a later date keeps the days already late."""
    on(date(2026, 11, 25))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 12, 1))
    on(date(2026, 12, 7))  # Monday: late Wed 2, Thu 3, Fri 4, Mon 7 against 1 Dec
    url = f"/api/v1/milestones/{milestone['id']}"
    backwards = await client.patch(
        url, json={"due_date": "2026-12-03", "reason": "Tenggat dimajukan"}, headers=world.auth(world.lead)
    )
    assert backwards.status_code == 422
    later = await client.patch(
        url, json={"due_date": "2026-12-10", "reason": "Tenggat diperpanjang"}, headers=world.auth(world.lead)
    )
    assert later.json()["late_working_days"] == 3  # 2, 3, 4 Dec; from 7 Dec on 10 Dec is in force
    on(date(2026, 12, 14))
    closed = await _close(client, world, milestone["id"])
    assert closed["late_working_days"] == 3 + 2  # and Fri 11, Mon 14 Dec


async def test_the_delivery_stops_the_clock_unless_the_lead_does_not_accept_it(client, world, runtime):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    accepted = await plan(client, world, project.id, date(2026, 11, 27))
    refused = await plan(client, world, project.id, date(2026, 11, 27))
    on(date(2026, 12, 1), 20)  # Tuesday evening
    for milestone in (accepted, refused):
        await _report(client, world, project.id, milestone["id"], 100)
    on(date(2026, 12, 4))
    kept = await _close(client, world, accepted["id"])
    assert kept["delivered_on"] == "2026-12-01" and kept["late_working_days"] == 2
    not_kept = await _close(
        client, world, refused["id"], delivery_accepted=False, delivery_reason="Laporan belum ditandatangani"
    )
    assert not_kept["delivered_on"] == "2026-12-01" and not_kept["late_working_days"] == 5
    assert not_kept["delivery_accepted"] is False


async def test_only_an_assignees_100_percent_is_a_delivery(client, world, runtime):
    """The lead reporting 100% on someone else's milestone, or an assignee's 90%, is not a delivery."""
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27))
    on(date(2026, 11, 30))
    await _report(client, world, project.id, milestone["id"], 90)
    await _report(client, world, project.id, milestone["id"], 100, who=world.lead)
    on(date(2026, 12, 2))
    closed = await _close(client, world, milestone["id"])
    assert closed["delivered_on"] is None and closed["late_working_days"] == 3


async def test_a_backdated_close_before_the_delivery_counts_to_the_closing_date(client, world, runtime):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 11, 30))
    milestone = await plan(client, world, project.id, date(2026, 11, 24))
    on(date(2026, 12, 3))
    await _report(client, world, project.id, milestone["id"], 100)
    closed = await _close(client, world, milestone["id"], closed_on="2026-11-26")
    assert closed["delivered_on"] == "2026-12-03" and closed["late_working_days"] == 2  # 25, 26 Nov
