"""Open work past its due date at the end of a period: not scored, but listed ("terbuka, lewat tenggat N
hari kerja") on the performance object and the person and evaluation pages. Today is 20 November 2026."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from server import clock
from server.accounts.models import User
from server.calendar.models import Holiday
from server.calendar.periods import Period
from server.performance.overdue import open_overdue
from tests import factories
from tests.api import close_milestone
from tests.realtime.test_snapshot_queries import counted_statements
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB, a Friday


@pytest.fixture
def frozen():
    clock.freeze(NOW)


@pytest.fixture
def october():
    clock.freeze(datetime(2026, 10, 1, 3, tzinfo=UTC))


async def _milestone(runtime, world, setup, due: date, assignee=None):
    async with runtime.transaction() as db:
        return await factories.make_milestone(
            db,
            project=setup.project,
            lead=world.lead,
            due_date=due,
            assignee_ids=[(assignee or world.member).id],
        )


async def _overdue(client, world, period):
    response = await client.get(
        f"/api/v1/users/{world.member.id}/performance",
        params={"period": period},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200
    return response.json()["open_overdue"]


async def test_open_work_past_due_is_listed_with_working_days_late(frozen, client, world, runtime, setup):
    late = await _milestone(runtime, world, setup, date(2026, 11, 10))  # a Tuesday
    assert await _overdue(client, world, "2026-11") == [
        {
            "milestone_id": late.id,
            "title": late.title,
            "project_id": setup.project.id,
            "project_name": setup.project.name,
            "due_date": "2026-11-10",
            "late_working_days": 8,  # 11–13 and 16–20 November, up to today
        }
    ]
    quarter = await _overdue(client, world, "2026-Q4")
    assert [o["late_working_days"] for o in quarter] == [8]
    assert await _overdue(client, world, "2026-10") == []  # not yet due then
    # The open milestones not yet due (the fixture's two) are not listed; nor is the work once closed.
    await close_milestone(client, world, late.id, 3)
    assert await _overdue(client, world, "2026-11") == []


async def test_holidays_are_not_working_days(frozen, client, world, runtime, setup):
    await _milestone(runtime, world, setup, date(2026, 11, 10))
    async with runtime.transaction() as db:
        db.add(Holiday(date=date(2026, 11, 12), name="Cuti bersama"))
    assert [o["late_working_days"] for o in await _overdue(client, world, "2026-11")] == [7]


async def test_a_period_counts_up_to_its_own_end_against_the_due_date_in_force_then(
    october, client, world, runtime, setup
):
    moved = await _milestone(runtime, world, setup, date(2026, 10, 20))  # a Tuesday
    clock.freeze(datetime(2026, 11, 5, 3, tzinfo=UTC))
    response = await client.patch(
        f"/api/v1/milestones/{moved.id}",
        json={"due_date": "2026-11-30", "reason": "Menunggu data dari kecamatan"},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200, response.text
    clock.freeze(NOW)
    # At the end of October it was open and due 20 October: 21–23 and 26–30 October.
    october_list = {o["milestone_id"]: o for o in await _overdue(client, world, "2026-10")}
    assert october_list[moved.id]["late_working_days"] == 8
    assert october_list[moved.id]["due_date"] == "2026-10-20"
    # Today it is due 30 November: not overdue now, so November does not list it.
    assert moved.id not in {o["milestone_id"] for o in await _overdue(client, world, "2026-11")}


async def test_a_period_that_has_not_started_lists_nothing(frozen, client, world, runtime, setup):
    await _milestone(runtime, world, setup, date(2026, 11, 10))
    assert await _overdue(client, world, "2026-12") == []


async def test_a_milestone_due_on_the_last_working_day_is_not_listed_over_the_weekend(
    client, world, runtime, setup
):
    clock.freeze(datetime(2026, 11, 1, 3, tzinfo=UTC))
    await _milestone(runtime, world, setup, date(2026, 11, 27))  # Friday
    clock.freeze(datetime(2026, 11, 29, 3, tzinfo=UTC))  # Sunday
    assert await _overdue(client, world, "2026-11") == []


async def test_the_person_and_evaluation_pages_list_open_overdue_work(frozen, client, world, runtime, setup):
    late = await _milestone(runtime, world, setup, date(2026, 11, 10))
    await log_in(client, world.lead)
    for url in (f"/people/{world.member.id}", f"/people/{world.member.id}/evaluation"):
        html = (await client.get(url, params={"period": "2026-11"})).text
        assert "terbuka, lewat tenggat 8 hari kerja" in html, url
        assert f'href="/projects/{setup.project.id}#milestone-{late.id}"' in html, url


async def test_open_overdue_takes_the_same_few_queries_for_many_people(frozen, runtime, world, setup):
    people: list[User] = []
    async with runtime.transaction() as db:
        for n in range(6):
            person = await factories.make_user(db, unit=world.bidang, name=f"Pegawai {n}")
            await factories.add_member(db, project=setup.project, user=person, by=world.lead)
            await factories.make_milestone(
                db,
                project=setup.project,
                lead=world.lead,
                due_date=date(2026, 11, 10 + n),
                assignee_ids=[person.id],
            )
            people.append(person)
        await db.execute(insert(Holiday), [{"date": date(2026, 11, 17), "name": "Libur", "updated_at": NOW}])
    november = Period("month", 2026, 11)
    counts = []
    for group in (people[:1], people):
        async with runtime.read_sessionmaker() as session:
            connection = (await session.connection()).sync_connection
            with counted_statements(session, connection) as statements:
                found = await open_overdue(session, [p.id for p in group], november)
        assert all(found[p.id] for p in group)
        counts.append(len(statements))
    assert counts[0] == counts[1] == 3  # open milestones, their due dates, the holidays
