"""Recording survey answers and computing a unit's published IKM (DOMAIN.md §2).

Functions take the session and never commit; the caller's transaction does. The arithmetic and the
rules live in ikm.py; this module only gathers the totals it needs, in SQL."""

from collections.abc import Awaitable, Callable
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Role, Unit, User
from server.accounts.service import subtree_in, unit_parents
from server.calendar.periods import Period, month_of
from server.errors import Invalid, NotFound
from server.feedback.ikm import ikm_from_totals, period_min_sample, round_half_up
from server.feedback.integrity import COUNTED, UNKNOWN_ORIGIN, Origin, status_of_new_answer
from server.feedback.models import (
    ANSWER_COLUMNS,
    Feedback,
    FeedbackCreate,
    FeedbackSubmit,
    IkmReport,
    SurveyTokenRead,
)
from server.feedback.tokens import issue_token, spend_token

FeedbackListener = Callable[[AsyncSession, Feedback], Awaitable[None]]
# Who reacts to a new or reviewed answer, in the same transaction: see server/reactions.py, the one module
# that connects every domain's reactions (the performance domain recomputes the named employee's
# satisfaction indicator).
feedback_listeners: list[FeedbackListener] = []


class NotUnitStaff(Invalid):
    """The answer names someone who is not active staff of the unit or its sub-units (422)."""


async def submit_feedback(session: AsyncSession, *, data: FeedbackSubmit, origin: Origin) -> Feedback:
    """An answer from the public (API and survey page): checked, then its token spent, then stored with
    the status the rules in integrity.py give it. A refused answer leaves its token unspent."""
    await _check_answer(session, data)
    await spend_token(session, unit_id=data.unit_id, token=data.token)
    return await _store(session, data, origin)


async def record_feedback(
    session: AsyncSession, *, data: FeedbackCreate, origin: Origin = UNKNOWN_ORIGIN
) -> Feedback:
    """Store an answer without a token: for Pantau's own callers (the demo loader, tests), never the public."""
    await _check_answer(session, data)
    return await _store(session, data, origin)


async def survey_token(session: AsyncSession, *, unit_id: int) -> SurveyTokenRead:
    """A single-use token for one answer to the unit's survey (valid 2 hours)."""
    if unit_id not in await unit_parents(session):
        raise Invalid(f"Unit {unit_id} does not exist")
    return await issue_token(session, unit_id=unit_id)


async def _check_answer(session: AsyncSession, data: FeedbackCreate) -> None:
    parents = await unit_parents(session)
    if data.unit_id not in parents:
        raise Invalid(f"Unit {data.unit_id} does not exist")
    if data.employee_id is not None:
        employee = await session.get(User, data.employee_id)
        # One message for unknown, inactive and elsewhere: a public endpoint must not reveal who exists.
        if (
            employee is None
            or not employee.is_active
            or employee.unit_id not in subtree_in(parents, data.unit_id)
        ):
            raise NotUnitStaff(
                f"Employee {data.employee_id} is not on the staff of unit {data.unit_id} or its sub-units"
            )


async def _store(session: AsyncSession, data: FeedbackCreate, origin: Origin) -> Feedback:
    """The period is the Jakarta month of now."""
    now = clock.now()
    status = await status_of_new_answer(
        session, unit_id=data.unit_id, employee_id=data.employee_id, origin=origin, at=now
    )
    feedback = Feedback(
        unit_id=data.unit_id,
        employee_id=data.employee_id,
        **dict(zip(ANSWER_COLUMNS, data.answers, strict=True)),
        comment=data.comment,
        created_at=now,
        period=str(month_of(now)),
        status=status,
        device_hash=origin.device_hash,
        client_hash=origin.client_hash,
    )
    session.add(feedback)
    await session.flush()
    await answer_changed(session, feedback)
    return feedback


async def answer_changed(session: AsyncSession, feedback: Feedback) -> None:
    """Tell the listeners (the named person's satisfaction indicator) about a new or reviewed answer."""
    for listener in feedback_listeners:
        await listener(session, feedback)


def _in_period(period: Period) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (Feedback.created_at >= period.start_utc, Feedback.created_at < period.end_utc)


def _rounded(value: Decimal | None) -> float | None:
    return None if value is None else float(round_half_up(value))


async def unit_ikm(session: AsyncSession, *, unit_id: int, period: Period) -> IkmReport:
    """The unit's IKM over its own and its sub-units' counted answers in the period, from SQL totals,
    and how many answers were stored but not counted."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Unit not found")
    units = subtree_in(await unit_parents(session), unit_id)
    scope = (Feedback.unit_id.in_(units), *_in_period(period))
    sums = [func.coalesce(func.sum(getattr(Feedback, column)), 0) for column in ANSWER_COLUMNS]
    row = (
        await session.execute(
            select(func.count(Feedback.id), *sums).where(*scope, Feedback.status == COUNTED)
        )
    ).one()
    excluded = await session.scalar(select(func.count(Feedback.id)).where(*scope, Feedback.status != COUNTED))
    result = ikm_from_totals(int(row[0]), [int(total) for total in row[1:]])
    required = period_min_sample(unit.population, months=len(period.months()))
    return IkmReport(
        unit_id=unit_id,
        period=str(period),
        n=result.n,
        ikm=_rounded(result.ikm),
        mutu=result.mutu,
        kinerja=result.kinerja,
        per_element=[_rounded(nrr) for nrr in result.nrr],
        min_sample=required,
        sample_ok=result.n >= required,
        excluded=int(excluded or 0),
    )


async def answers_naming(
    session: AsyncSession, *, user_ids: list[int], period: Period
) -> dict[int, list[Feedback]]:
    """The counted answers in the period that name each user (oldest first); every asked id has a list."""
    found: dict[int, list[Feedback]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return found
    rows = await session.scalars(
        select(Feedback)
        .where(Feedback.employee_id.in_(set(user_ids)), Feedback.status == COUNTED, *_in_period(period))
        .order_by(Feedback.created_at, Feedback.id)
    )
    for feedback in rows:
        found[feedback.employee_id].append(feedback)
    return found


async def excluded_naming(session: AsyncSession, *, user_ids: list[int], period: Period) -> dict[int, int]:
    """How many answers in the period naming each user are stored but not counted (duplicate, suspect)."""
    found = dict.fromkeys(user_ids, 0)
    if not user_ids:
        return found
    rows = await session.execute(
        select(Feedback.employee_id, func.count(Feedback.id))
        .where(Feedback.employee_id.in_(set(user_ids)), Feedback.status != COUNTED, *_in_period(period))
        .group_by(Feedback.employee_id)
    )
    for user_id, count in rows.all():
        found[user_id] = int(count)
    return found


async def survey_staff(session: AsyncSession, *, unit_id: int) -> list[User]:
    """Who the public may name on the unit's survey: active staff of the unit and its sub-units, by name.
    Admins (BKPSDM operators) are left out: they do not serve the public at a counter."""
    units = subtree_in(await unit_parents(session), unit_id)
    rows = await session.scalars(
        select(User)
        .where(User.unit_id.in_(units), User.is_active.is_(True), User.role != Role.admin)
        .order_by(User.name, User.id)
    )
    return list(rows)
