"""The daily reminder jobs, called directly (the scheduler that runs them is tested on its own): due in
3 working days, overdue, and quiet ASN then their rater; each idempotent within its day."""

from datetime import date, timedelta

from sqlalchemy import select

from server.calendar.models import Holiday
from server.notifications.models import Notification
from server.performance.reminders import stale_reminders
from server.projects import editing
from server.projects import service as projects
from server.projects.models import UpdateCreate
from server.projects.reminders import due_date_reminders
from tests import factories
from tests.projects.scenes import on, team_project

MONDAY = date(2027, 3, 1)


async def _told(runtime) -> list[tuple[int, str, str]]:
    async with runtime.transaction() as db:
        rows = await db.scalars(select(Notification).order_by(Notification.id))
        return [(n.user_id, n.kind, n.params) for n in rows.all()]


async def _run(runtime, job, today: date) -> int:
    on(today, 7)
    async with runtime.transaction() as db:
        return await job(db, today=today)


async def _milestone(runtime, world, project, due: date, title: str):
    async with runtime.transaction() as db:
        return await factories.make_milestone(
            db, project=project, lead=world.lead, due_date=due, title=title, assignee_ids=[world.member.id]
        )


async def test_due_in_three_working_days_counts_the_holidays_between(runtime, world):
    on(MONDAY - timedelta(days=14))
    project = await team_project(
        runtime, world, start=MONDAY - timedelta(days=14), due=MONDAY + timedelta(days=30)
    )
    async with runtime.transaction() as db:
        db.add(Holiday(date=MONDAY + timedelta(days=2), name="Hari Raya Nyepi"))  # Wednesday
    await _milestone(runtime, world, project, MONDAY + timedelta(days=3), "Kamis")  # 2 working days away
    friday = await _milestone(runtime, world, project, MONDAY + timedelta(days=4), "Jumat")  # 3 away
    await _milestone(runtime, world, project, MONDAY + timedelta(days=7), "Senin depan")  # 4 away

    assert await _run(runtime, due_date_reminders, MONDAY) == 2
    told = await _told(runtime)
    assert sorted((user, kind) for user, kind, _ in told) == sorted(
        [(world.lead.id, "milestone_due"), (world.member.id, "milestone_due")]
    )
    assert all('"Jumat"' in params for _, _, params in told)
    # Run again the same day (a retried job, a second process): nobody is told twice.
    assert await _run(runtime, due_date_reminders, MONDAY) == 0
    assert friday.status == "open"


async def test_overdue_once_per_working_day_and_not_on_weekends(runtime, world):
    on(MONDAY - timedelta(days=14))
    project = await team_project(
        runtime, world, start=MONDAY - timedelta(days=14), due=MONDAY + timedelta(days=30)
    )
    await _milestone(runtime, world, project, MONDAY - timedelta(days=3), "Terlambat")  # the Friday before

    assert await _run(runtime, due_date_reminders, MONDAY) == 2
    assert await _run(runtime, due_date_reminders, MONDAY) == 0
    assert await _run(runtime, due_date_reminders, MONDAY + timedelta(days=1)) == 2
    assert await _run(runtime, due_date_reminders, MONDAY + timedelta(days=5)) == 0  # Saturday
    kinds = {kind for _, kind, _ in await _told(runtime)}
    assert kinds == {"milestone_overdue"}


async def test_an_archived_project_is_not_reminded(runtime, world):
    on(MONDAY - timedelta(days=14))
    project = await team_project(
        runtime, world, start=MONDAY - timedelta(days=14), due=MONDAY + timedelta(days=30)
    )
    await _milestone(runtime, world, project, MONDAY - timedelta(days=3), "Terlambat")
    async with runtime.transaction() as db:
        await editing.archive_project(db, by=world.admin, project_id=project.id)
    assert await _run(runtime, due_date_reminders, MONDAY) == 0


async def test_a_quiet_asn_is_reminded_then_their_rater(runtime, world):
    start = MONDAY - timedelta(days=14)
    on(start)
    project = await team_project(runtime, world, start=start, due=MONDAY + timedelta(days=30))
    await _milestone(runtime, world, project, MONDAY + timedelta(days=10), "Pekerjaan")

    assert await _run(runtime, stale_reminders, MONDAY) == 1
    assert [(user, kind) for user, kind, _ in await _told(runtime)] == [(world.member.id, "stale")]
    assert await _run(runtime, stale_reminders, MONDAY) == 0
    # Two working days on: still only the ASN. The third: their rater (the supervisor, world.lead).
    assert await _run(runtime, stale_reminders, MONDAY + timedelta(days=2)) == 0
    assert await _run(runtime, stale_reminders, MONDAY + timedelta(days=3)) == 1
    assert await _run(runtime, stale_reminders, MONDAY + timedelta(days=4)) == 0
    assert [(user, kind) for user, kind, _ in await _told(runtime)] == [
        (world.member.id, "stale"),
        (world.lead.id, "stale"),
    ]


async def test_an_update_ends_the_quiet_spell(runtime, world):
    start = MONDAY - timedelta(days=14)
    on(start)
    project = await team_project(runtime, world, start=start, due=MONDAY + timedelta(days=30))
    milestone = await _milestone(runtime, world, project, MONDAY + timedelta(days=10), "Pekerjaan")
    on(MONDAY - timedelta(days=2))
    async with runtime.transaction() as db:
        await projects.post_update(
            db,
            by=world.member,
            project_id=project.id,
            data=UpdateCreate(milestone_id=milestone.id, progress_pct=10),
        )
    assert await _run(runtime, stale_reminders, MONDAY) == 0
    assert await _told(runtime) == []
