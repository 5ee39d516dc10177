"""Quiet reminders, run once a day by the scheduler (server/scheduler.py): an ASN with open work on a
live project who has posted no progress update for `stale_after_days` days is reminded; if they are
still quiet 3 working days after that reminder, their rater is told.

Each quiet spell is keyed by the day it began (the ASN's last update, or the day their work began), so
the ASN hears of it once, the rater once, and a new update starts a new spell. Working days only."""

from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import Role, User
from server.accounts.raters import rater_ids
from server.calendar.periods import today_jakarta
from server.calendar.workdays import holidays_between, is_working_day, working_days_after
from server.config import get_settings
from server.notifications.models import Notification
from server.notifications.service import notify
from server.projects.models import Milestone, MilestoneAssignee, MilestoneStatus, ProgressUpdate, Project
from server.text import N_

RATER_AFTER_WORKING_DAYS = 3


async def stale_reminders(session: AsyncSession, *, today: date) -> int:
    """Remind the quiet ASN, and the raters of those still quiet 3 working days after their reminder;
    returns how many notifications were created."""
    if not is_working_day(today, await holidays_between(session, today, today)):
        return 0
    days = get_settings().stale_after_days
    created = 0
    for user, quiet_since in await _quiet_people(session, today=today, days=days):
        assert user.id is not None
        spell = quiet_since.isoformat()
        told = await notify(
            session,
            user_ids=[user.id],
            kind="stale",
            message=N_("Anda belum mengirim pembaruan kemajuan sejak %(since)s"),
            params={"since": spell},
            url="/",
            dedupe_key=f"stale:{user.id}:{spell}",
        )
        created += len(told)
        reminded_at = await _reminded_at(session, user.id, f"stale:{user.id}:{spell}")
        if reminded_at is None:
            continue
        reminded_on = today_jakarta(reminded_at)
        holidays = await holidays_between(session, reminded_on, today)
        if working_days_after(reminded_on, today, holidays) < RATER_AFTER_WORKING_DAYS:
            continue
        told = await notify(
            session,
            user_ids=await rater_ids(session, user),
            kind="stale",
            message=N_("%(name)s belum mengirim pembaruan kemajuan sejak %(since)s"),
            params={"name": user.name, "since": spell},
            url=f"/people/{user.id}",
            dedupe_key=f"stale_rater:{user.id}:{spell}",
        )
        created += len(told)
    return created


async def _quiet_people(session: AsyncSession, *, today: date, days: int) -> list[tuple[User, date]]:
    """Active non-admin ASN with an open milestone assigned on a live project, and the WIB day their
    quiet spell began (their last update, else the earliest start of that work), when it began at least
    `days` days before `today`."""
    work_began = (
        select(
            col(MilestoneAssignee.user_id).label("user_id"),
            func.min(col(Project.created_at)).label("began"),
        )
        .join(Milestone, col(Milestone.id) == col(MilestoneAssignee.milestone_id))
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .where(col(Milestone.status) == MilestoneStatus.open, col(Project.archived_at).is_(None))
        .group_by(col(MilestoneAssignee.user_id))
        .subquery()
    )
    last_update = (
        select(
            col(ProgressUpdate.author_id).label("user_id"),
            func.max(col(ProgressUpdate.created_at)).label("last"),
        )
        .group_by(col(ProgressUpdate.author_id))
        .subquery()
    )
    rows = (
        await session.execute(
            select(User, work_began.c.began, last_update.c.last)
            .join(work_began, work_began.c.user_id == col(User.id))
            .outerjoin(last_update, last_update.c.user_id == col(User.id))
            .where(col(User.is_active).is_(True), col(User.role) != Role.admin)
            .order_by(col(User.id))
        )
    ).all()
    quiet: list[tuple[User, date]] = []
    for user, began, last in rows:
        since = _wib_day(cast(datetime, last if last is not None else began))
        if since <= today - timedelta(days=days):
            quiet.append((cast(User, user), since))
    return quiet


def _wib_day(moment: datetime) -> date:
    return today_jakarta(moment if moment.tzinfo is not None else moment.replace(tzinfo=clock.UTC))


async def _reminded_at(session: AsyncSession, user_id: int, dedupe_key: str) -> datetime | None:
    return await session.scalar(
        select(col(Notification.created_at)).where(
            col(Notification.user_id) == user_id, col(Notification.dedupe_key) == dedupe_key
        )
    )
