"""The periodic evaluation: indicators, suggested and confirmed ratings, predikat, distribution.

Also keeps boards live: when a milestone closes, survey answers name someone or a rating is set, the
affected people's month indicators are recomputed and an `indicator.changed` event goes to the boards of
their unit and every unit above it."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.service import ancestors_in, subtree_in, unit_parents
from server.audit import record_change
from server.errors import Invalid
from server.feedback.service import feedback_listeners
from server.performance.access import rateable_person, require_unit_overview, viewable_person
from server.performance.indicators import PersonIndicators, compute_indicators
from server.performance.messages import N_, Message, message, sentences
from server.performance.models import BehaviourSet, EvaluationSet, OrganisationResult, Rating
from server.performance.periods import Period, month_of
from server.performance.rules import (
    PREDIKATS,
    distribution_warnings,
    percentages,
    predikat,
    suggest_hasil_kerja,
)
from server.performance.targets import TargetsInForce, targets_in_force
from server.projects.service import milestone_closed_listeners
from server.realtime.events import record_event, unit_board


async def targets_for(session: AsyncSession, users: list[User], period: Period) -> dict[int, TargetsInForce]:
    parents = await unit_parents(session)
    return {
        unit_id: await targets_in_force(session, unit_id=unit_id, period=period, parents=parents)
        for unit_id in {u.unit_id for u in users}
    }


async def indicators_of(
    session: AsyncSession, users: list[User], period: Period
) -> dict[int, PersonIndicators]:
    return await compute_indicators(
        session, users=users, period=period, targets=await targets_for(session, users, period)
    )


def suggestion(person: PersonIndicators, targets: TargetsInForce) -> str | None:
    """Mean achievement of the indicators that count (a satisfaction value below the minimum sample
    does not), against the thresholds in force."""
    counted = [i.achievement_pct for i in person.indicators.values() if i.counts_toward_rating]
    return suggest_hasil_kerja(counted, targets.thresholds)


async def ratings_of(session: AsyncSession, user_ids: list[int], period: Period) -> dict[int, Rating]:
    rows = await session.scalars(
        select(Rating).where(Rating.user_id.in_(user_ids), Rating.period == str(period))
    )
    return {r.user_id: r for r in rows.all()}


_PREDIKAT_EXPLANATIONS = {
    (True, True): N_(
        "Predikat kinerja diambil dari matriks resmi PermenPANRB 6/2022 atas rating hasil kerja dan "
        "perilaku kerja."
    ),
    (False, False): N_(
        "Predikat belum ada karena rating hasil kerja dan perilaku kerja belum ditetapkan oleh atasan."
    ),
    (False, True): N_("Predikat belum ada karena rating hasil kerja belum ditetapkan oleh atasan."),
    (True, False): N_("Predikat belum ada karena rating perilaku kerja belum ditetapkan oleh atasan."),
}


def _predikat_explanation(hasil: str | None, perilaku: str | None) -> Message:
    """Where the predikat comes from, or which rating it still waits for."""
    return message(_PREDIKAT_EXPLANATIONS[(hasil is not None, perilaku is not None)])


def performance_read(
    user: User, period: Period, person: PersonIndicators, targets: TargetsInForce, rating: Rating | None
) -> dict[str, Any]:
    """A person's performance for a period; its explanations are Messages (see server/performance/messages.py)."""
    hasil = rating.hasil_kerja if rating else None
    perilaku = rating.perilaku if rating else None
    indicators = [i.as_api() for i in person.indicators.values()]
    return {
        "user_id": user.id,
        "period": str(period),
        "indicators": indicators,
        "hasil_kerja_suggested": suggestion(person, targets),
        "hasil_kerja": hasil,
        "hasil_kerja_reason": rating.hasil_kerja_reason if rating else None,
        "perilaku": perilaku,
        "perilaku_note": rating.perilaku_note if rating else None,
        "perilaku_values": rating.perilaku_values if rating else None,
        "predikat": predikat(hasil, perilaku),
        "explanation": sentences(
            *(i["explanation"] for i in indicators), _predikat_explanation(hasil, perilaku)
        ),
    }


async def _performance_of(session: AsyncSession, subject: User, period: Period) -> dict[str, Any]:
    targets = await targets_in_force(session, unit_id=subject.unit_id, period=period)
    person = (
        await compute_indicators(session, users=[subject], period=period, targets={subject.unit_id: targets})
    )[subject.id]
    rating = (await ratings_of(session, [subject.id], period)).get(subject.id)
    return performance_read(subject, period, person, targets, rating)


async def performance(session: AsyncSession, *, viewer: User, user_id: int, period: Period) -> dict[str, Any]:
    return await _performance_of(session, await viewable_person(session, viewer, user_id), period)


async def _rating_row(session: AsyncSession, user_id: int, period: Period) -> Rating:
    rating = (await ratings_of(session, [user_id], period)).get(user_id)
    return rating or Rating(user_id=user_id, period=str(period))


async def set_behaviour(
    session: AsyncSession, *, by: User, user_id: int, period: Period, data: BehaviourSet
) -> dict[str, Any]:
    subject = await rateable_person(session, by, user_id)
    rating = await _rating_row(session, subject.id, period)
    before = {"perilaku": rating.perilaku, "note": rating.perilaku_note}
    rating.perilaku, rating.perilaku_note, rating.perilaku_values = data.rating, data.note, data.values
    after = {"perilaku": data.rating, "note": data.note, "values": data.values}
    return await _save_rating(
        session, rating, by=by, subject=subject, period=period, action="perilaku", before=before, after=after
    )


async def set_evaluation(
    session: AsyncSession, *, by: User, user_id: int, period: Period, data: EvaluationSet
) -> dict[str, Any]:
    subject = await rateable_person(session, by, user_id)
    current = await _performance_of(session, subject, period)
    suggested = current["hasil_kerja_suggested"]
    reason = (data.reason or "").strip() or None
    if data.hasil_kerja != suggested and reason is None:
        raise Invalid(
            f"Overriding the suggested rating ({suggested or 'none: no data yet'}) with "
            f"{data.hasil_kerja!r} needs a reason"
        )
    rating = await _rating_row(session, subject.id, period)
    before = {"hasil_kerja": rating.hasil_kerja, "reason": rating.hasil_kerja_reason}
    rating.hasil_kerja, rating.hasil_kerja_suggested, rating.hasil_kerja_reason = (
        data.hasil_kerja,
        suggested,
        reason,
    )
    action = "hasil_kerja_confirmed" if data.hasil_kerja == suggested else "hasil_kerja_overridden"
    after = {"hasil_kerja": data.hasil_kerja, "suggested": suggested}
    return await _save_rating(
        session,
        rating,
        by=by,
        subject=subject,
        period=period,
        action=action,
        before=before,
        after=after,
        reason=reason,
    )


async def _save_rating(
    session: AsyncSession,
    rating: Rating,
    *,
    by: User,
    subject: User,
    period: Period,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str | None = None,
) -> dict[str, Any]:
    """Store a rating change with its history entry, then tell the boards the new predikat."""
    rating.updated_by = by.id
    session.add(rating)
    await session.flush()
    await record_change(
        session,
        actor_id=by.id,
        entity="rating",
        entity_id=rating.id,
        action=action,
        before=before,
        after=after,
        reason=reason,
        subject_user_id=subject.id,
        period=str(period),
    )
    return await _after_rating(session, subject, period)


async def _after_rating(session: AsyncSession, subject: User, period: Period) -> dict[str, Any]:
    result = await _performance_of(session, subject, period)
    if period.kind == "month":
        await emit_indicator_changes(session, subject, period, {"predikat": result["predikat"]})
    return result


async def emit_indicator_changes(
    session: AsyncSession, user: User, period: Period, values: dict[str, Any]
) -> None:
    boards = [unit_board(u) for u in ancestors_in(await unit_parents(session), user.unit_id)]
    for key, value in values.items():
        await record_event(
            session,
            boards=boards,
            type="indicator.changed",
            data={"user_id": user.id, "period": str(period), "key": key, "value": value},
        )


async def recompute(
    session: AsyncSession, user_ids: list[int], period: Period, keys: tuple[str, ...]
) -> None:
    users = list((await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all())
    people = await indicators_of(session, users, period)
    for user in users:
        values = {key: people[user.id].indicators[key].value for key in keys}
        await emit_indicator_changes(session, user, period, values)


async def on_milestone_closed(session: AsyncSession, milestone: Any, assignee_ids: list[int]) -> None:
    if assignee_ids and milestone.closed_on is not None:
        await recompute(session, assignee_ids, month_of(milestone.closed_on), ("timeliness", "quality"))


async def on_feedback(session: AsyncSession, feedback: Any) -> None:
    if feedback.employee_id is not None:
        await recompute(session, [feedback.employee_id], month_of(feedback.created_at), ("satisfaction",))


def listen() -> None:
    """Connect the recomputation to the changes that cause it (idempotent: safe for every app start)."""
    for listeners, handler in (
        (milestone_closed_listeners, on_milestone_closed),
        (feedback_listeners, on_feedback),
    ):
        if handler not in listeners:
            listeners.append(handler)  # type: ignore[arg-type]


async def set_organisation_result(
    session: AsyncSession, *, by: User, unit_id: int, period: Period, result: str
) -> dict[str, Any]:
    await require_unit_overview(session, by, unit_id)
    row = await session.scalar(
        select(OrganisationResult).where(
            OrganisationResult.unit_id == unit_id, OrganisationResult.period == str(period)
        )
    )
    before = {"result": row.result} if row else None
    row = row or OrganisationResult(unit_id=unit_id, period=str(period), result=result)
    row.result, row.updated_by = result, by.id
    session.add(row)
    await session.flush()
    await record_change(
        session,
        actor_id=by.id,
        entity="organisation_result",
        entity_id=unit_id,
        action="set",
        before=before,
        after={"result": result},
        period=str(period),
    )
    return await distribution(session, viewer=by, unit_id=unit_id, period=period)


async def unit_staff(session: AsyncSession, unit_id: int, unit_ids: set[int]) -> list[User]:
    """The people evaluated within a unit: everyone in it and its sub-units except admins and the
    unit's own heads (a Kepala Dinas is rated outside the unit she leads)."""
    rows = await session.scalars(
        select(User)
        .where(User.unit_id.in_(unit_ids), User.role != Role.admin, User.is_active)
        .where(~((User.role == Role.leader) & (User.unit_id == unit_id)))
        .order_by(User.name)
    )
    return list(rows.all())


async def distribution(
    session: AsyncSession, *, viewer: User, unit_id: int, period: Period
) -> dict[str, Any]:
    parents = await require_unit_overview(session, viewer, unit_id)
    staff = await unit_staff(session, unit_id, subtree_in(parents, unit_id))
    ratings = await ratings_of(session, [u.id for u in staff], period)
    counts = dict.fromkeys(PREDIKATS, 0)
    for rating in ratings.values():
        value = predikat(rating.hasil_kerja, rating.perilaku)
        if value is not None:
            counts[value] += 1
    result = await session.scalar(
        select(OrganisationResult.result).where(
            OrganisationResult.unit_id == unit_id, OrganisationResult.period == str(period)
        )
    )
    return {
        "unit_id": unit_id,
        "period": str(period),
        "organisation_result": result,
        "total": sum(counts.values()),
        "counts": counts,
        "percentages": percentages(counts),
        "warnings": distribution_warnings(result, counts),
    }
