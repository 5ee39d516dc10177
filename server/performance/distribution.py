"""A unit's predikat distribution against the SE MenPANRB 03/2023 curve, and the organisation result
(capaian kinerja organisasi) it is judged by.

The distribution counts all active staff of the unit and its sub-units, except the unit's own heads
(they are rated outside the unit they lead) and admins. Staff without a predikat are counted as
"belum dinilai": percentages are of everyone counted, and while anyone is unrated the check is marked
provisional (`complete: false`), so leaving people unrated never hides a warning."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.service import subtree_in
from server.audit import record_change
from server.calendar.locks import require_unlocked
from server.calendar.periods import Period
from server.performance.access import require_organisation_result_setter, require_unit_overview
from server.performance.models import OrganisationResult
from server.performance.rules import (
    PREDIKATS,
    UNRATED,
    distribution_notices,
    distribution_warnings,
    percentages,
    predikat,
)
from server.performance.service import ratings_of


async def unit_staff(session: AsyncSession, unit_id: int, unit_ids: set[int]) -> list[User]:
    """The people evaluated within a unit: everyone active in it and its sub-units except admins and
    the unit's own heads (a Kepala Dinas is rated outside the unit she leads)."""
    rows = await session.scalars(
        select(User)
        .where(User.unit_id.in_(unit_ids), User.role != Role.admin, User.is_active)
        .where(~((User.role == Role.leader) & (User.unit_id == unit_id)))
        .order_by(User.name)
    )
    return list(rows.all())


async def organisation_result_of(session: AsyncSession, unit_id: int, period: Period) -> str | None:
    return await session.scalar(
        select(OrganisationResult.result).where(
            OrganisationResult.unit_id == unit_id, OrganisationResult.period == str(period)
        )
    )


async def distribution(
    session: AsyncSession, *, viewer: User, unit_id: int, period: Period
) -> dict[str, Any]:
    parents = await require_unit_overview(session, viewer, unit_id)
    staff = await unit_staff(session, unit_id, subtree_in(parents, unit_id))
    ratings = await ratings_of(session, [u.id for u in staff if u.id is not None], period)
    counts = dict.fromkeys(PREDIKATS, 0)
    for rating in ratings.values():
        value = predikat(rating.hasil_kerja, rating.perilaku)
        if value is not None:
            counts[value] += 1
    unrated = len(staff) - sum(counts.values())
    result = await organisation_result_of(session, unit_id, period)
    return {
        "unit_id": unit_id,
        "period": str(period),
        "organisation_result": result,
        "total": len(staff),
        "counts": counts | {UNRATED: unrated},
        "percentages": percentages(counts, unrated),
        "unrated": unrated,
        "complete": unrated == 0,
        "warnings": distribution_warnings(result, counts, unrated),
        "notices": distribution_notices(result, counts, unrated),
    }


async def set_organisation_result(
    session: AsyncSession, *, by: User, unit_id: int, period: Period, result: str
) -> dict[str, Any]:
    """Set by an admin or a leader of the unit one level above (not the unit's own head); a locked
    period keeps its result (409)."""
    await require_organisation_result_setter(session, by, unit_id)
    await require_unlocked(session, period)
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
