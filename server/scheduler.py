"""The daily jobs (reminders, the e-mail digest) and the outbox worker, run by every app process.

A job runs once per deployment and day, however many processes there are: the process that runs it inserts
ScheduledRun(job, day) first, in the job's own transaction, and another process's insert of the same key
fails (PostgreSQL makes it wait for the first transaction and then refuses it; SQLite's write lock lets one
writer at a time, which then finds the row). If the job fails, its transaction rolls back with the row, and
the next check tries again. Each process checks every minute and once at start-up, so a deployment that was
down at 07:00 WIB runs the day's jobs when it comes back (the missed day's, once; earlier days are not
replayed: a reminder is about today).
"""

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, time
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import clock
from server.errors import Conflict, Unavailable
from server.notifications import outbox
from server.notifications.models import ScheduledRun
from server.performance.reminders import stale_reminders
from server.projects.reminders import due_date_reminders

log = logging.getLogger(__name__)

Job = Callable[..., Awaitable[int]]
JOBS: dict[str, Job] = {
    "due_dates": due_date_reminders,
    "stale": stale_reminders,
    "digest": outbox.send_digests,
}
RUN_AT = time(7, 0)  # WIB
CHECK_SECONDS = 60.0
# How often the outbox worker looks for due e-mail when nobody wakes it (a retry coming due, another
# process's mail).
OUTBOX_SECONDS = 5.0
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}"


class Transactions(Protocol):
    """What the jobs need of the Runtime: its sessions, and units of work that publish board events."""

    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]: ...


def due_day(now: datetime) -> date | None:
    """The day whose jobs are due at `now`: today (WIB) from 07:00, none before."""
    local = now.astimezone(clock.JAKARTA)
    return local.date() if local.time() >= RUN_AT else None


async def run_due_jobs(
    runtime: Transactions, *, now: datetime | None = None, ran_by: str = PROCESS_ID
) -> list[str]:
    """Run each job not yet run today (once 07:00 WIB has passed); returns the names this call ran."""
    day = due_day(now or clock.now())
    if day is None:
        return []
    ran, _settled = await _run_day(runtime, day, ran_by)
    return ran


async def _run_day(runtime: Transactions, day: date, ran_by: str) -> tuple[list[str], bool]:
    """The jobs this call ran for `day`, and whether every job is now done for it (by anyone)."""
    ran: list[str] = []
    settled = True
    for name, job in JOBS.items():
        async with runtime.read_sessionmaker() as session:
            if await session.get(ScheduledRun, (name, day)) is not None:
                continue
        try:
            async with runtime.transaction() as session:
                session.add(ScheduledRun(job=name, day=day, ran_at=clock.now(), ran_by=ran_by))
                # Claimed before the work: a second process waits here (PostgreSQL) and is then refused.
                await session.flush()
                count = await job(session, today=day)
        except Conflict:
            log.info("job %s for %s was run by another process", name, day)
            continue
        except Unavailable:
            log.warning("job %s for %s: the database was busy; will try again", name, day)
            settled = False
            continue
        except Exception:
            log.exception("job %s for %s failed; will try again", name, day)
            settled = False
            continue
        log.info("job %s for %s done: %s", name, day, count)
        ran.append(name)
    return ran, settled


def wall_clock() -> datetime:
    return datetime.now(clock.UTC)


async def scheduler_loop(
    runtime: Transactions, *, every: float = CHECK_SECONDS, now: Callable[[], datetime] = wall_clock
) -> None:
    """At start-up (catching up a day missed while down), then every minute until every job is done for
    the day; then nothing more until the next day's 07:00. The loop goes by the real time, not by
    clock.now(): tests that move the clock run the jobs themselves (run_due_jobs)."""
    settled_day: date | None = None
    while True:
        day = due_day(now())
        if day is not None and day != settled_day:
            try:
                _ran, settled = await _run_day(runtime, day, PROCESS_ID)
                if settled:
                    settled_day = day
            except Exception:  # the database away for a moment: the next check tries again
                log.warning("scheduled jobs not checked; will retry", exc_info=True)
        await asyncio.sleep(every)


async def outbox_loop(
    runtime: Transactions,
    *,
    target: outbox.SmtpTarget,
    sender: str,
    wake: asyncio.Event,
    every: float | None = None,
) -> None:
    """Sends due e-mail every few seconds, and at once when a commit in this process wrote some."""
    while True:
        try:
            while await outbox.deliver_due(
                runtime.sessionmaker, target=target, sender=sender, worker_id=PROCESS_ID
            ):
                pass  # a full batch may mean more are waiting
        except Exception:
            log.warning("outbox not processed; will retry", exc_info=True)
        _stop_if_cancelled()
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that arrives as
        # the event is set, and the runtime's stop() would then wait for the next look.
        try:
            async with asyncio.timeout(OUTBOX_SECONDS if every is None else every):
                await wake.wait()
        except TimeoutError:
            pass
        wake.clear()


def _stop_if_cancelled() -> None:
    """Stop a loop whose cancellation was swallowed below it (seen when stop() came in the middle of a
    send): otherwise the runtime's stop() would wait for the loop's next look."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
