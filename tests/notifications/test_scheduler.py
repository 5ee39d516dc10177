"""The daily jobs: due at 07:00 WIB, run once per day however often (and by however many processes) they
are checked, caught up after downtime, and tried again when they fail."""

import asyncio
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import clock, scheduler
from server.accounts.models import Role, User
from server.config import Settings
from server.migrate import upgrade
from server.notifications.models import Notification, OutboxEmail, ScheduledRun
from server.notifications.service import notify, set_preference
from server.runtime import Runtime
from server.text import N_
from tests import factories
from tests.services import app_env, postgres_database, redis_prefix

THURSDAY = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 09:00 WIB
FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)
ALL_JOBS = ["due_dates", "stale", "digest"]


def wib(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.JAKARTA)


async def arrange_overdue_milestone(runtime) -> tuple[User, User]:
    """A project whose milestone, assigned to a member, is due on Friday: overdue from the weekend on."""
    clock.freeze(THURSDAY)
    async with runtime.transaction() as db:
        unit = await factories.make_unit(db, name="Bidang Jalan")
        admin = await factories.make_user(db, unit=unit, role=Role.admin)
        lead = await factories.make_user(db, unit=unit, name="Ketua")
        member = await factories.make_user(db, unit=unit, supervisor_id=lead.id, name="Anggota")
        project = await factories.make_project(db, by=admin, unit=unit, lead=lead)
        await factories.add_member(db, project=project, user=member, by=lead)
        await factories.make_milestone(
            db, project=project, lead=lead, due_date=FRIDAY, assignee_ids=[member.id]
        )
    return lead, member


async def count(runtime, model, *conditions) -> int:
    async with runtime.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


async def runs(runtime) -> list[tuple[str, date]]:
    async with runtime.sessionmaker() as db:
        rows = await db.scalars(select(ScheduledRun).order_by(ScheduledRun.day, ScheduledRun.job))
        return [(row.job, row.day) for row in rows.all()]


async def test_the_jobs_run_once_a_day_from_seven_wib(runtime):
    await arrange_overdue_milestone(runtime)
    overdue = Notification.kind == "milestone_overdue"

    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 6, 59)) == []
    assert await count(runtime, Notification) == 0 and await runs(runtime) == []

    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 7, 0)) == ALL_JOBS
    assert await count(runtime, Notification, overdue) == 2  # the assignee and the lead
    told = await count(runtime, Notification)

    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 7, 1)) == []
    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 23, 59)) == []
    assert await count(runtime, Notification) == told
    assert await runs(runtime) == sorted((job, MONDAY) for job in ALL_JOBS)

    # The next day's 07:00 is a new day: the jobs run again (the reminders are that day's).
    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY + timedelta(days=1), 7, 0)) == ALL_JOBS
    assert await count(runtime, Notification, overdue) == 4


async def test_after_downtime_the_days_jobs_run_once_when_the_process_starts(runtime):
    await arrange_overdue_milestone(runtime)
    async with runtime.transaction() as db:
        db.add_all(ScheduledRun(job=job, day=FRIDAY, ran_by="before the outage") for job in ALL_JOBS)

    # Down from Friday evening until Monday 11:00 WIB: Monday's jobs run at start-up; the weekend is not
    # replayed (a reminder is about today).
    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 11, 0)) == ALL_JOBS
    assert await runs(runtime) == sorted((job, FRIDAY) for job in ALL_JOBS) + sorted(
        (job, MONDAY) for job in ALL_JOBS
    )
    assert await count(runtime, Notification, Notification.kind == "milestone_overdue") == 2
    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 11, 1)) == []


async def test_a_failing_job_leaves_no_record_and_is_tried_again(runtime, monkeypatch):
    calls: list[date] = []

    async def flaky(session, *, today: date) -> int:
        calls.append(today)
        if len(calls) == 1:
            raise RuntimeError("the first try fails")
        return 1

    monkeypatch.setattr(scheduler, "JOBS", {"flaky": flaky})
    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 8)) == []
    assert await runs(runtime) == []
    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 8, 1)) == ["flaky"]
    assert await scheduler.run_due_jobs(runtime, now=wib(MONDAY, 8, 2)) == []
    assert calls == [MONDAY, MONDAY] and await runs(runtime) == [("flaky", MONDAY)]


async def test_two_checks_at_once_run_a_job_once(runtime, monkeypatch):
    calls: list[str] = []

    async def counted(session, *, today: date) -> int:
        calls.append(today.isoformat())
        await asyncio.sleep(0)  # let the other check reach its insert meanwhile
        return 1

    monkeypatch.setattr(scheduler, "JOBS", {"counted": counted})
    first, second = await asyncio.gather(
        scheduler.run_due_jobs(runtime, now=wib(MONDAY, 8), ran_by="a"),
        scheduler.run_due_jobs(runtime, now=wib(MONDAY, 8), ran_by="b"),
    )
    assert sorted([first, second]) == [[], ["counted"]]
    assert calls == [MONDAY.isoformat()]


@pytest.mark.multiprocess
async def test_two_processes_checking_at_once_send_the_reminders_and_the_digest_once():
    """Two OS processes on one PostgreSQL database check the jobs at the same moment."""
    with postgres_database() as url:
        upgrade(url)
        runtime = Runtime.create(Settings(database_url=url, scheduler=False))
        try:
            lead, member = await arrange_overdue_milestone(runtime)
            async with runtime.transaction() as db:
                reader = await db.get(User, member.id)
                reader.email = "anggota@example.go.id"
                await set_preference(db, user=reader, kind="blocker", channel="digest")
            clock.freeze(wib(MONDAY - timedelta(days=1), 10))
            async with runtime.transaction() as db:
                await notify(db, user_ids=[member.id], kind="blocker", message=N_("Kendala baru"))
            clock.freeze(None)

            env = app_env(url, None, redis_prefix(), PANTAU_SCHEDULER="false")
            root = Path(__file__).resolve().parents[2]
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
            moment = wib(MONDAY, 7, 30).isoformat()
            processes = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.notifications.run_scheduler",
                    moment,
                    env=env,
                    cwd=root,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                for _ in range(2)
            ]
            async with asyncio.timeout(120):
                for process in processes:
                    assert await process.stdout.readline() == b"ready\n"
                for process in processes:  # both start their check now
                    process.stdin.write(b"go\n")
                    await process.stdin.drain()
                outputs = [await process.communicate() for process in processes]
            ran = []
            for process, (out, err) in zip(processes, outputs, strict=True):
                assert process.returncode == 0, err.decode()
                ran += [job for job in out.decode().strip().removeprefix("ran").strip().split(",") if job]

            assert sorted(ran) == sorted(ALL_JOBS), "each job by exactly one of the two processes"
            assert await runs(runtime) == sorted((job, MONDAY) for job in ALL_JOBS)
            overdue = await count(runtime, Notification, Notification.kind == "milestone_overdue")
            assert overdue == 2, "the assignee and the lead, once each"
            assert await count(runtime, OutboxEmail) == 1, "one digest, not one per process"
        finally:
            clock.freeze(None)
            await runtime.engine.dispose()


async def test_the_loop_catches_up_at_start_up_and_then_waits_for_the_next_day(runtime, monkeypatch):
    calls: list[date] = []
    called = asyncio.Event()

    async def counted(session, *, today: date) -> int:
        calls.append(today)
        called.set()
        return 1

    monkeypatch.setattr(scheduler, "JOBS", {"counted": counted})
    moments = iter([wib(MONDAY, 9), wib(MONDAY, 9, 1), wib(MONDAY, 9, 2)])
    checked = asyncio.Event()

    def now() -> datetime:
        moment = next(moments, None)
        if moment is None:
            checked.set()  # the loop has come back for a fourth look
            return wib(MONDAY, 9, 3)
        return moment

    loop = asyncio.get_running_loop().create_task(scheduler.scheduler_loop(runtime, every=0, now=now))
    try:
        async with asyncio.timeout(20):
            await called.wait()
            await checked.wait()
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    assert calls == [MONDAY] and await runs(runtime) == [("counted", MONDAY)]
