"""The periodic evaluation: indicators, suggested and confirmed ratings, predikat.

Also keeps boards live: when a milestone closes, survey answers name someone or a rating is set, the
affected people's month indicators are recomputed and an `indicator.changed` event goes to the boards of
their unit and every unit above it. A unit's distribution and organisation result are in
server/performance/distribution.py."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import User
from server.accounts.raters import is_unit_head
from server.accounts.service import ancestors_in, unit_parents
from server.audit import record_change
from server.calendar.locks import require_unlocked
from server.calendar.periods import Period, month_of, today_jakarta
from server.errors import Invalid
from server.notifications.service import notify
from server.performance.access import rateable_person, viewable_person
from server.performance.indicators import PersonIndicators, compute_indicators
from server.performance.messages import N_, Message, message, sentences
from server.performance.models import BehaviourSet, EvaluationSet, OrganisationResult, Rating
from server.performance.overdue import open_overdue
from server.performance.rules import RATING_LABELS_ID, UNIT_HEAD_SUGGESTION, predikat, suggest_hasil_kerja
from server.performance.staleness import changes_since, snapshot
from server.performance.targets import TargetsInForce, targets_in_force
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


async def ratings_of(session: AsyncSession, user_ids: list[int], period: Period) -> dict[int, Rating]:
    rows = await session.scalars(
        select(Rating).where(Rating.user_id.in_(user_ids), Rating.period == str(period))
    )
    return {r.user_id: r for r in rows.all()}


async def organisation_results(session: AsyncSession, unit_ids: set[int], period: Period) -> dict[int, str]:
    rows = await session.execute(
        select(OrganisationResult.unit_id, OrganisationResult.result).where(
            OrganisationResult.unit_id.in_(unit_ids), OrganisationResult.period == str(period)
        )
    )
    return dict(rows.all())


# --- the suggestion ------------------------------------------------------------------------------------

_RULE = N_(
    "Saran hasil kerja: setiap indikator yang dihitung dinilai sendiri (capaian ≥ %(above)s%% di atas "
    "ekspektasi, ≥ %(meets)s%% sesuai ekspektasi, selain itu di bawah ekspektasi); saran di atas "
    "ekspektasi bila lebih dari separuhnya di atas dan tidak ada yang di bawah, di bawah ekspektasi bila "
    "lebih dari separuhnya di bawah, selain itu sesuai ekspektasi."
)
_UNIT_HEAD = N_(
    "Sebagai kepala unit, saran hasil kerja mengikuti capaian kinerja organisasi unitnya pada periode "
    "ini: %(result)s, sehingga %(rating)s (SE MenPANRB 03/2023). Atasan dapat menetapkan lain dengan "
    "alasan."
)
_UNIT_HEAD_NO_RESULT = N_(
    "Capaian kinerja organisasi unit yang dipimpin pegawai ini belum ditetapkan untuk periode ini, "
    "sehingga saran hasil kerja dihitung dari indikatornya."
)


def suggestion(
    subject: User, person: PersonIndicators, targets: TargetsInForce, organisation_result: str | None
) -> tuple[str | None, dict[str, Any], Message]:
    """(suggested hasil kerja, what it is based on, why). A unit head's follows their unit's
    organisation result when one is set; everyone else's (and a head's without a result) follows the
    counted indicators (rules.suggest_hasil_kerja; a satisfaction value below the minimum number of
    answers does not count)."""
    head = is_unit_head(subject, subject.unit_id)
    if head and organisation_result is not None:
        value = UNIT_HEAD_SUGGESTION[organisation_result]
        basis = {"kind": "organisation_result", "unit_id": subject.unit_id, "result": organisation_result}
        why = message(
            _UNIT_HEAD, result=message(organisation_result), rating=message(RATING_LABELS_ID[value])
        )
        return value, basis, why
    counted = [i.achievement_pct for i in person.indicators.values() if i.counts_toward_rating]
    thresholds = targets.thresholds
    why = message(_RULE, above=thresholds.above, meets=thresholds.meets)
    basis: dict[str, Any] = {"kind": "indicators"}
    if head:
        why = sentences(message(_UNIT_HEAD_NO_RESULT), why)
        basis["unit_head_without_result"] = True
    return suggest_hasil_kerja(counted, thresholds), basis, why


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


# --- the performance object ----------------------------------------------------------------------------


def performance_read(
    user: User,
    period: Period,
    person: PersonIndicators,
    targets: TargetsInForce,
    rating: Rating | None,
    *,
    organisation_result: str | None = None,
    overdue: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A person's performance for a period; its explanations are Messages (see server/performance/messages.py)."""
    hasil = rating.hasil_kerja if rating else None
    perilaku = rating.perilaku if rating else None
    indicators = [i.as_api() for i in person.indicators.values()]
    suggested, basis, why = suggestion(user, person, targets, organisation_result)
    confirmed = rating.confirmed_sources if rating is not None and hasil is not None else None
    changes = changes_since(confirmed, snapshot(person))
    return {
        "user_id": user.id,
        "period": str(period),
        "indicators": indicators,
        "hasil_kerja_suggested": suggested,
        "suggestion_basis": basis,
        "hasil_kerja": hasil,
        "hasil_kerja_reason": rating.hasil_kerja_reason if rating else None,
        "confirmed_at": rating.confirmed_at if rating and hasil else None,
        "stale_since_rating": bool(changes),
        "changes": changes,
        "perilaku": perilaku,
        "perilaku_note": rating.perilaku_note if rating else None,
        "perilaku_values": rating.perilaku_values if rating else None,
        "predikat": predikat(hasil, perilaku),
        "open_overdue": overdue or [],
        "warnings": list(targets.warnings),
        "explanation": sentences(
            *(i["explanation"] for i in indicators), why, _predikat_explanation(hasil, perilaku)
        ),
    }


async def evaluate(
    session: AsyncSession, users: list[User], period: Period
) -> dict[int, tuple[dict[str, Any], PersonIndicators]]:
    """Several people's performance objects (and the indicators behind each) in a fixed number of
    queries, whatever the number of people (plus one per unit for its targets)."""
    ids = [u.id for u in users if u.id is not None]
    targets = await targets_for(session, users, period)
    people = await compute_indicators(session, users=users, period=period, targets=targets)
    ratings = await ratings_of(session, ids, period)
    heads = {u.unit_id for u in users if is_unit_head(u, u.unit_id)}
    results = await organisation_results(session, heads, period) if heads else {}
    overdue = await open_overdue(session, ids, period)
    return {
        user.id: (
            performance_read(
                user,
                period,
                people[user.id],
                targets[user.unit_id],
                ratings.get(user.id),
                organisation_result=results.get(user.unit_id),
                overdue=overdue[user.id],
            ),
            people[user.id],
        )
        for user in users
    }


async def _performance_of(session: AsyncSession, subject: User, period: Period) -> dict[str, Any]:
    return (await evaluate(session, [subject], period))[subject.id][0]


async def performance(session: AsyncSession, *, viewer: User, user_id: int, period: Period) -> dict[str, Any]:
    return await _performance_of(session, await viewable_person(session, viewer, user_id), period)


# --- ratings -------------------------------------------------------------------------------------------


async def require_rateable_period(session: AsyncSession, period: Period) -> None:
    """A period can be rated from its first day (ratings during it are provisional) until it is locked."""
    if period.first_day > today_jakarta():
        raise Invalid(
            f"Period {period} has not started yet (it begins on {period.first_day.isoformat()}); a period "
            "can be rated from its first day"
        )
    await require_unlocked(session, period)


async def _rating_row(session: AsyncSession, user_id: int, period: Period) -> Rating:
    rating = (await ratings_of(session, [user_id], period)).get(user_id)
    return rating or Rating(user_id=user_id, period=str(period))


async def set_behaviour(
    session: AsyncSession, *, by: User, user_id: int, period: Period, data: BehaviourSet
) -> dict[str, Any]:
    subject = await rateable_person(session, by, user_id)
    await require_rateable_period(session, period)
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
    """Confirm or override the suggested hasil kerja; the sources it is judged on are kept with it, so
    a later change to them shows as "data berubah sejak dinilai" until the rater confirms again."""
    subject = await rateable_person(session, by, user_id)
    await require_rateable_period(session, period)
    current, person = (await evaluate(session, [subject], period))[subject.id]
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
    rating.confirmed_at, rating.confirmed_sources = clock.now(), snapshot(person)
    action = "hasil_kerja_confirmed" if data.hasil_kerja == suggested else "hasil_kerja_overridden"
    after = {"hasil_kerja": data.hasil_kerja, "suggested": suggested}
    if current["stale_since_rating"]:
        after["changes_seen"] = len(current["changes"])
    saved = await _save_rating(
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
    if subject.id is not None and subject.id != by.id:
        await notify(
            session,
            user_ids=[subject.id],
            kind="evaluation_confirmed",
            message=N_("%(rater)s mengonfirmasi penilaian hasil kerja Anda untuk periode %(period)s"),
            params={"rater": by.name, "period": str(period)},
            url=f"/people/{subject.id}?period={period}",
        )
    return saved


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
    rating.updated_by, rating.updated_at = by.id, clock.now()
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


# --- live boards ---------------------------------------------------------------------------------------


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


async def on_milestone_closed(
    session: AsyncSession, milestone: Any, assignee_ids: list[int], *, previous_closed_on: Any = None
) -> None:
    """A close, a quality scored, a correction or a reopening: the month the milestone counts in now and
    the month it counted in before a correction moved or cleared its closing date."""
    days = (milestone.closed_on, previous_closed_on)
    for month in sorted({month_of(day) for day in days if day is not None}):
        if assignee_ids:
            await recompute(session, assignee_ids, month, ("timeliness", "quality"))


async def on_feedback(session: AsyncSession, feedback: Any) -> None:
    if feedback.employee_id is not None:
        await recompute(session, [feedback.employee_id], month_of(feedback.created_at), ("satisfaction",))
