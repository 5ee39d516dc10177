"""The admin's review of survey answers: what was stored but not counted, clearing a suspect answer, and
excluding a counted one (DOMAIN.md §2). Every decision needs a reason, is kept in the history (entity
"feedback"), and is refused while the period the answer counts in is locked."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.service import subtree_in, unit_parents
from server.audit import record_change
from server.calendar.locks import require_days_unlocked
from server.calendar.periods import Period
from server.errors import Conflict, Invalid, NotFound
from server.feedback.integrity import COUNTED, EXCLUDED, NOT_COUNTED, STATUSES, SUSPECT, wib_day
from server.feedback.models import Feedback, FeedbackReview
from server.feedback.service import answer_changed

# What a list may ask for: one status, every status that is not counted (the default), or everything.
UNCOUNTED, ALL = "uncounted", "all"
LIST_FILTERS = (UNCOUNTED, *STATUSES, ALL)
LIST_LIMIT = 200


@dataclass(frozen=True)
class AnswerList:
    answers: list[Feedback]
    total: int  # how many match; the list holds the newest LIST_LIMIT of them
    counts: dict[str, int]  # per status, over the unit(s) and period whatever the status filter


def review_of(feedback: Feedback) -> FeedbackReview:
    return FeedbackReview.model_validate(feedback, update={"answers": feedback.answers})


async def list_answers(
    session: AsyncSession, *, period: Period, unit_id: int | None = None, status: str = UNCOUNTED
) -> AnswerList:
    """The answers of a period, of one unit and its sub-units (or every unit), newest first."""
    if status not in LIST_FILTERS:
        raise Invalid(f"status must be one of {', '.join(LIST_FILTERS)}; got {status!r}")
    scope = [Feedback.created_at >= period.start_utc, Feedback.created_at < period.end_utc]
    if unit_id is not None:
        parents = await unit_parents(session)
        if unit_id not in parents:
            raise Invalid(f"Unit {unit_id} does not exist")
        scope.append(Feedback.unit_id.in_(subtree_in(parents, unit_id)))
    rows = await session.execute(
        select(Feedback.status, func.count(Feedback.id)).where(*scope).group_by(Feedback.status)
    )
    counts = dict.fromkeys(STATUSES, 0) | {name: int(n) for name, n in rows.all()}
    wanted = {UNCOUNTED: NOT_COUNTED, ALL: STATUSES}.get(status, (status,))
    answers = await session.scalars(
        select(Feedback)
        .where(*scope, Feedback.status.in_(wanted))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())  # type: ignore[attr-defined]
        .limit(LIST_LIMIT)
    )
    return AnswerList(list(answers), sum(counts[name] for name in wanted), counts)


async def clear_answer(session: AsyncSession, *, feedback_id: int, by: User, reason: str) -> Feedback:
    """A suspect answer the admin judged genuine (e.g. a busy counter's kiosk) counts from now on."""
    return await _decide(
        session, feedback_id, by, reason, expected=SUSPECT, to=COUNTED, action="counted", verb="cleared"
    )


async def exclude_answer(session: AsyncSession, *, feedback_id: int, by: User, reason: str) -> Feedback:
    """A counted answer the admin judged not genuine stops counting."""
    return await _decide(
        session, feedback_id, by, reason, expected=COUNTED, to=EXCLUDED, action="excluded", verb="excluded"
    )


async def _decide(
    session: AsyncSession,
    feedback_id: int,
    by: User,
    reason: str,
    *,
    expected: str,
    to: str,
    action: str,
    verb: str,
) -> Feedback:
    # The row lock makes two admins deciding on one answer take turns; the second sees the first's status.
    feedback = await session.scalar(
        select(Feedback)
        .where(Feedback.id == feedback_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if feedback is None:
        raise NotFound("Survey answer not found")
    if feedback.status != expected:
        raise Conflict(f"Only a {expected} answer can be {verb}; answer {feedback_id} is {feedback.status}")
    await require_days_unlocked(session, wib_day(feedback.created_at))
    before = feedback.status
    feedback.status, feedback.reviewed_by = to, by.id
    session.add(feedback)
    await session.flush()
    await record_change(
        session,
        actor_id=by.id,
        entity="feedback",
        entity_id=feedback.id,  # type: ignore[arg-type]
        action=action,
        before={"status": before},
        after={"status": to},
        reason=reason,
        subject_user_id=feedback.employee_id,
        period=feedback.period,
    )
    await answer_changed(session, feedback)
    return feedback
