"""The holiday calendar: everyone signed in reads it, the admin keeps it (API and the admin page)."""

from datetime import date

from sqlalchemy import select

from server.audit import HistoryEntry
from tests.projects.scenes import on, plan, team_project
from tests.web import csrf_of, log_in


async def _put(client, world, day: str, name: str, who=None):
    return await client.put(
        f"/api/v1/holidays/{day}", json={"name": name}, headers=world.auth(who or world.admin)
    )


async def test_admin_keeps_the_holiday_calendar_and_everyone_reads_it(client, world, runtime):
    added = await _put(client, world, "2026-12-25", "Hari Raya Natal")
    assert added.status_code == 200 and added.json() == {"date": "2026-12-25", "name": "Hari Raya Natal"}
    await _put(client, world, "2026-12-24", "Cuti bersama Natal")
    await _put(client, world, "2027-01-01", "Tahun Baru")
    renamed = await _put(client, world, "2026-12-24", "  Cuti Bersama Hari Raya Natal ")
    assert renamed.json()["name"] == "Cuti Bersama Hari Raya Natal"
    listed = await client.get("/api/v1/holidays", params={"year": 2026}, headers=world.auth(world.member))
    assert listed.status_code == 200
    assert listed.json() == [
        {"date": "2026-12-24", "name": "Cuti Bersama Hari Raya Natal"},
        {"date": "2026-12-25", "name": "Hari Raya Natal"},
    ]
    deleted = await client.delete("/api/v1/holidays/2026-12-24", headers=world.auth(world.admin))
    assert deleted.status_code == 204
    again = await client.delete("/api/v1/holidays/2026-12-24", headers=world.auth(world.admin))
    assert again.status_code == 404
    async with runtime.sessionmaker() as session:
        history = (
            await session.execute(
                select(HistoryEntry.action, HistoryEntry.entity_id, HistoryEntry.before, HistoryEntry.after)
                .where(HistoryEntry.entity == "holiday")
                .order_by(HistoryEntry.id)
            )
        ).all()
    assert [(action, entity_id) for action, entity_id, _, _ in history] == [
        ("created", 20261225),
        ("created", 20261224),
        ("created", 20270101),
        ("updated", 20261224),
        ("deleted", 20261224),
    ]
    assert history[3][2:] == (
        {"name": "Cuti bersama Natal"},
        {"date": "2026-12-24", "name": "Cuti Bersama Hari Raya Natal"},
    )


async def test_the_year_defaults_to_this_year_in_jakarta(client, world):
    on(date(2026, 12, 31), 23, 30)  # still 2026 in Jakarta (16:30 UTC)
    await _put(client, world, "2026-12-31", "Akhir tahun")
    await _put(client, world, "2027-01-01", "Tahun Baru")
    listed = await client.get("/api/v1/holidays", headers=world.auth(world.member))
    assert [h["date"] for h in listed.json()] == ["2026-12-31"]


async def test_only_an_admin_changes_the_calendar(client, world):
    for person in (world.leader, world.lead, world.member):
        assert (await _put(client, world, "2026-12-25", "Natal", who=person)).status_code == 403
        response = await client.delete("/api/v1/holidays/2026-12-25", headers=world.auth(person))
        assert response.status_code == 403
    assert (await client.get("/api/v1/holidays")).status_code == 401


async def test_bad_holidays_are_422(client, world):
    assert (await _put(client, world, "2026-13-01", "Tidak ada")).status_code == 422
    assert (await _put(client, world, "2026-12-25", "   ")).status_code == 422
    assert (await _put(client, world, "1999-12-25", "Terlalu lama")).status_code == 422
    listed = await client.get("/api/v1/holidays", params={"year": 99999}, headers=world.auth(world.admin))
    assert listed.status_code == 422


async def test_a_new_holiday_changes_the_lateness_of_open_work_at_once(client, world, runtime):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27))
    on(date(2026, 12, 1))

    async def late() -> int:
        read = await client.get(f"/api/v1/projects/{project.id}", headers=world.auth(world.member))
        return next(m for m in read.json()["milestones"] if m["id"] == milestone["id"])["late_working_days"]

    assert await late() == 2
    await _put(client, world, "2026-11-30", "Cuti bersama")
    assert await late() == 1


async def test_admin_page_lists_adds_and_removes_holidays(client, world):
    on(date(2026, 12, 1))
    await log_in(client, world.admin)
    page = await client.get("/admin/holidays")
    assert (
        page.status_code == 200 and "Hari libur 2026" in page.text and 'href="/admin/holidays"' in page.text
    )
    token = csrf_of(page.text)
    added = await client.post(
        "/admin/holidays", data={"csrf_token": token, "day": "2026-12-25", "name": "Hari Raya Natal"}
    )
    assert added.status_code == 303 and added.headers["location"].startswith("/admin/holidays?year=2026")
    page = await client.get(added.headers["location"])
    assert "Hari Raya Natal" in page.text and "25 Desember 2026" in page.text
    bad = await client.post("/admin/holidays", data={"csrf_token": token, "day": "besok", "name": "X"})
    assert bad.status_code == 422 and "Isi tanggal yang benar." in bad.text
    forged = await client.post("/admin/holidays", data={"csrf_token": "x", "day": "2026-12-26", "name": "X"})
    assert forged.status_code == 403
    removed = await client.post("/admin/holidays/2026-12-25/delete", data={"csrf_token": token})
    assert removed.status_code == 303
    listed = await client.get("/api/v1/holidays", params={"year": 2026}, headers=world.auth(world.admin))
    assert listed.json() == []


async def test_only_an_admin_opens_the_holiday_page(client, world):
    await log_in(client, world.leader)
    assert (await client.get("/admin/holidays")).status_code == 403
