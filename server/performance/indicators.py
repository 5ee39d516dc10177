"""Each ASN's indicators for a period, computed from their sources every time they are asked for.

Nothing is cached, so a number can never disagree with the records it names. The cost depends only on
the people and the period asked about (indexed by assignee and closing date), never on the size of the
whole history."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Unit, User
from server.config import get_settings
from server.feedback.ikm import compute_ikm, min_sample
from server.feedback.service import answers_naming
from server.performance.messages import N_, Message, message
from server.performance.periods import Period
from server.performance.rules import (
    TimelinessRule,
    achievement_pct,
    milestone_timeliness,
    weighted_quality,
    weighted_timeliness,
)
from server.performance.targets import INDICATOR_UNITS, TargetsInForce
from server.projects.models import Milestone, MilestoneAssignee, MilestoneStatus, Project

LABELS = {
    "timeliness": "Ketepatan waktu",
    "quality": "Kualitas hasil kerja",
    "satisfaction": "Kepuasan masyarakat",
}


@dataclass
class Indicator:
    key: str
    value: Decimal | None
    target: Decimal
    sources: list[dict[str, Any]]
    explanation: Message
    counts_toward_rating: bool = True
    n: int | None = None
    min_sample: int | None = None
    sample_ok: bool | None = None

    @property
    def achievement_pct(self) -> Decimal | None:
        return achievement_pct(self.value, self.target)

    def as_api(self) -> dict[str, Any]:
        """The API's shape, the explanation still a Message: the API words it in Indonesian
        (messages.in_indonesian), a page in the page's language."""
        data: dict[str, Any] = {
            "key": self.key,
            "label": LABELS[self.key],
            "value": self.value,
            "target": self.target,
            "unit": INDICATOR_UNITS[self.key],
            "achievement_pct": self.achievement_pct,
            "counts_toward_rating": self.counts_toward_rating,
            "explanation": self.explanation,
            "sources": self.sources,
        }
        if self.key == "satisfaction":
            data |= {"n": self.n, "min_sample": self.min_sample, "sample_ok": self.sample_ok}
        return data


@dataclass
class ClosedWork:
    """A closed milestone as one assignee's indicators see it."""

    milestone: Milestone
    project_name: str

    @property
    def days_late(self) -> int:
        assert self.milestone.closed_on is not None
        return max(0, (self.milestone.closed_on - self.milestone.due_date).days)

    @property
    def effective_days_late(self) -> int:
        """Lateness against the due date in force, plus days already late before any reschedule."""
        return self.days_late + self.milestone.accrued_late_days

    def source(self, rule: TimelinessRule) -> dict[str, Any]:
        m = self.milestone
        return {
            "kind": "milestone",
            "id": m.id,
            "title": m.title,
            "project_id": m.project_id,
            "project_name": self.project_name,
            "weight": m.weight,
            "due_date": m.due_date,
            "original_due_date": m.original_due_date,
            "closed_on": m.closed_on,
            "days_late": self.days_late,
            "effective_days_late": self.effective_days_late,
            "timeliness_score": milestone_timeliness(self.effective_days_late, rule),
            "quality": m.quality,
        }


@dataclass
class PersonIndicators:
    user_id: int
    period: Period
    indicators: dict[str, Indicator] = field(default_factory=dict)


def timeliness_rule() -> TimelinessRule:
    return TimelinessRule(penalty_per_day=get_settings().timeliness_penalty_per_day)


async def closed_work(
    session: AsyncSession, user_ids: list[int], period: Period
) -> dict[int, list[ClosedWork]]:
    rows = await session.execute(
        select(MilestoneAssignee.user_id, Milestone, Project.name)
        .join(Milestone, Milestone.id == MilestoneAssignee.milestone_id)
        .join(Project, Project.id == Milestone.project_id)
        .where(
            MilestoneAssignee.user_id.in_(user_ids),
            Milestone.status == MilestoneStatus.closed,
            Milestone.closed_on >= period.first_day,
            Milestone.closed_on <= period.last_day,
        )
        .order_by(Milestone.closed_on, Milestone.id)
    )
    found: dict[int, list[ClosedWork]] = defaultdict(list)
    for user_id, milestone, project_name in rows.all():
        found[user_id].append(ClosedWork(milestone, project_name))
    return found


def _timeliness(work: list[ClosedWork], target: Decimal, rule: TimelinessRule) -> Indicator:
    value = weighted_timeliness([(w.milestone.weight, w.effective_days_late) for w in work], rule)
    explanation = (
        message(
            N_(
                "Rata-rata tertimbang (bobot tonggak capaian) dari %(n)s tonggak capaian yang ditutup pada "
                "periode ini: tepat waktu bernilai 100, setiap hari terlambat mengurangi %(penalty)s poin "
                "(minimal %(floor)s)."
            ),
            n=len(work),
            # As str, not Decimal: the API has always shown the setting as written (2.5, not 2,5).
            penalty=str(rule.penalty_per_day),
            floor=str(rule.floor),
        )
        if work
        else message(N_("Belum ada tonggak capaian yang ditutup pada periode ini."))
    )
    return Indicator("timeliness", value, target, [w.source(rule) for w in work], explanation)


def _quality(work: list[ClosedWork], target: Decimal, rule: TimelinessRule) -> Indicator:
    scored = [w for w in work if w.milestone.quality is not None]
    value = weighted_quality([(w.milestone.weight, w.milestone.quality) for w in scored])  # type: ignore[misc]
    explanation = (
        message(
            N_(
                "Rata-rata tertimbang nilai kualitas (1–5) dari ketua tim atas %(n)s tonggak capaian yang "
                "ditutup."
            ),
            n=len(scored),
        )
        if scored
        else message(N_("Belum ada nilai kualitas dari ketua tim pada periode ini."))
    )
    return Indicator("quality", value, target, [w.source(rule) for w in scored], explanation)


def _satisfaction(answers: list[Any], target: Decimal, population: int | None) -> Indicator:
    result = compute_ikm([[a.u1, a.u2, a.u3, a.u4, a.u5, a.u6, a.u7, a.u8, a.u9] for a in answers])
    needed = min_sample(population)
    enough = result.n >= needed
    if result.n == 0:
        explanation = message(N_("Belum ada responden survei kepuasan masyarakat yang menyebut pegawai ini."))
    elif enough:
        explanation = message(
            N_(
                "IKM (PermenPANRB 14/2017) dari %(n)s jawaban survei yang menyebut pegawai ini; jumlah "
                "responden memenuhi sampel minimal."
            ),
            n=result.n,
        )
    else:
        explanation = message(
            N_(
                "IKM (PermenPANRB 14/2017) dari %(n)s jawaban survei yang menyebut pegawai ini; belum cukup "
                "responden (minimal %(min)s), sehingga tidak dihitung dalam saran penilaian."
            ),
            n=result.n,
            min=needed,
        )
    sources = [
        {"kind": "feedback", "id": a.id, "created_at": a.created_at, "unit_id": a.unit_id} for a in answers
    ]
    return Indicator(
        "satisfaction",
        result.ikm,
        target,
        sources,
        explanation,
        counts_toward_rating=enough,
        n=result.n,
        min_sample=needed,
        sample_ok=enough,
    )


async def compute_indicators(
    session: AsyncSession, *, users: list[User], period: Period, targets: dict[int, TargetsInForce]
) -> dict[int, PersonIndicators]:
    """Indicators of several people at once, in a fixed number of queries; `targets` by unit id."""
    ids = [u.id for u in users if u.id is not None]
    work = await closed_work(session, ids, period)
    answers = await answers_naming(session, user_ids=ids, period=period)
    populations = dict(
        (
            await session.execute(
                select(Unit.id, Unit.population).where(Unit.id.in_({u.unit_id for u in users}))
            )
        ).all()
    )
    rule = timeliness_rule()
    result: dict[int, PersonIndicators] = {}
    for user in users:
        in_force = targets[user.unit_id]
        mine = work.get(user.id, [])
        person = PersonIndicators(user.id, period)
        person.indicators["timeliness"] = _timeliness(mine, in_force.target("timeliness"), rule)
        person.indicators["quality"] = _quality(mine, in_force.target("quality"), rule)
        person.indicators["satisfaction"] = _satisfaction(
            answers.get(user.id, []), in_force.target("satisfaction"), populations.get(user.unit_id)
        )
        result[user.id] = person
    return result
