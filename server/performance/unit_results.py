"""What a unit as a whole achieved in a period, to judge whether a new target is realistic."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.service import subtree_in, unit_parents
from server.calendar.periods import Period
from server.feedback.service import unit_ikm
from server.performance.indicators import ClosedWork, timeliness_rule
from server.performance.messages import N_, Message, message
from server.performance.rules import weighted_quality, weighted_timeliness
from server.performance.targets import INDICATOR_KEYS, TargetsInForce
from server.projects.models import Milestone, MilestoneStatus, Project

LOOKBACK = 4


# The indicators' names inside a sentence (lower case in Indonesian; a translation words them as it must).
_IN_SENTENCE = {
    "timeliness": N_("ketepatan waktu"),
    "quality": N_("kualitas hasil kerja"),
    "satisfaction": N_("kepuasan masyarakat"),
}


async def unit_values(session: AsyncSession, unit_id: int, period: Period) -> dict[str, Decimal | None]:
    units = subtree_in(await unit_parents(session), unit_id)
    rows = await session.execute(
        select(Milestone, Project.name)
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Project.unit_id.in_(units),
            Milestone.status == MilestoneStatus.closed,
            Milestone.closed_on >= period.first_day,
            Milestone.closed_on <= period.last_day,
        )
    )
    work = [ClosedWork(milestone, name) for milestone, name in rows.all()]
    ikm = await unit_ikm(session, unit_id=unit_id, period=period)
    return {
        "timeliness": weighted_timeliness(
            [(w.milestone.weight, w.late_working_days) for w in work], timeliness_rule()
        ),
        "quality": weighted_quality(
            [(w.milestone.weight, w.milestone.quality) for w in work if w.quality_counts]  # type: ignore[misc]
        ),
        "satisfaction": None if ikm.ikm is None else Decimal(str(ikm.ikm)),
    }


async def unrealistic_target_warnings(session: AsyncSession, in_force: TargetsInForce) -> list[Message]:
    """A warning for each target above everything the unit achieved in the last four periods."""
    history: dict[str, list[Decimal]] = {key: [] for key in INDICATOR_KEYS}
    period = in_force.period
    for _ in range(LOOKBACK):
        period = period.previous()
        for key, value in (await unit_values(session, in_force.unit_id, period)).items():
            if value is not None:
                history[key].append(value)
    warnings = []
    for key in INDICATOR_KEYS:
        target = in_force.target(key)
        if history[key] and target > max(history[key]):
            warnings.append(
                message(
                    N_(
                        "Target ini belum pernah tercapai: target %(indicator)s %(target)s lebih tinggi dari "
                        "capaian tertinggi unit (%(best)s) dalam %(periods)s periode terakhir."
                    ),
                    indicator=message(_IN_SENTENCE[key]),
                    target=target,
                    best=max(history[key]),
                    periods=LOOKBACK,
                )
            )
    return warnings
