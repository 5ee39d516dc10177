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

from server.accounts.models import User
from server.calendar.periods import Period
from server.config import get_settings
from server.feedback.ikm import INDIVIDUAL_MIN_ANSWERS, individual_satisfaction
from server.feedback.service import answers_naming, excluded_naming
from server.performance.messages import N_, Message, message, sentences
from server.performance.rules import (
    TimelinessRule,
    achievement_pct,
    milestone_timeliness,
    weighted_quality,
    weighted_timeliness,
)
from server.performance.targets import INDICATOR_UNITS, TargetsInForce
from server.projects.history import milestone_histories
from server.projects.models import Milestone, MilestoneAssignee, MilestoneStatus, Project

# Milestone.quality_status: a score that counts, or one waiting for the lead's rater.
SCORED, PENDING = "scored", "pending"

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
    excluded: int | None = None

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
            data |= {
                "n": self.n,
                "min_sample": self.min_sample,
                "sample_ok": self.sample_ok,
                "excluded": self.excluded,
            }
        return data


@dataclass
class ClosedWork:
    """A closed milestone as one assignee's indicators see it."""

    milestone: Milestone
    project_name: str

    @property
    def days_late(self) -> int:
        """Calendar days from the due date to the closing date: for reference only."""
        assert self.milestone.closed_on is not None
        return max(0, (self.milestone.closed_on - self.milestone.due_date).days)

    @property
    def late_working_days(self) -> int:
        """What the timeliness score uses (DOMAIN.md §1b): working days late against the due date in
        force, up to the delivery date, fixed when the milestone was closed or corrected."""
        m = self.milestone
        return m.late_working_days if m.late_working_days is not None else self.days_late

    @property
    def quality_counts(self) -> bool:
        """A quality score counts once it is scored; a pending one (the lead's own work waiting for the
        lead's rater) counts for nobody."""
        return self.milestone.quality_status == SCORED and self.milestone.quality is not None

    def source(self, rule: TimelinessRule, history: list[dict[str, Any]]) -> dict[str, Any]:
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
            "delivered_on": m.delivered_on,
            "delivery_accepted": m.delivery_accepted,
            "delivery_reason": m.delivery_reason,
            "closed_on": m.closed_on,
            "closed_at": m.closed_at,
            "days_late": self.days_late,
            "late_working_days": self.late_working_days,
            "timeliness_score": milestone_timeliness(self.late_working_days, rule),
            "quality": m.quality,
            "quality_status": m.quality_status,
            "quality_note": m.quality_note,
            "history": history,
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


def _timeliness(
    work: list[ClosedWork], target: Decimal, rule: TimelinessRule, sources: list[dict[str, Any]]
) -> Indicator:
    value = weighted_timeliness([(w.milestone.weight, w.late_working_days) for w in work], rule)
    explanation = (
        message(
            N_(
                "Rata-rata tertimbang (bobot tonggak capaian) dari %(n)s tonggak capaian yang ditutup pada "
                "periode ini: tepat waktu bernilai 100, setiap hari kerja terlambat mengurangi %(penalty)s "
                "poin (minimal %(floor)s). Hari kerja: Senin–Jumat kecuali hari libur, dihitung terhadap "
                "tenggat yang berlaku pada hari itu sampai tanggal penyerahan."
            ),
            n=len(work),
            # As str, not Decimal: the API has always shown the setting as written (2.5, not 2,5).
            penalty=str(rule.penalty_per_day),
            floor=str(rule.floor),
        )
        if work
        else message(N_("Belum ada tonggak capaian yang ditutup pada periode ini."))
    )
    return Indicator("timeliness", value, target, sources, explanation)


def _quality(work: list[ClosedWork], target: Decimal, sources: list[dict[str, Any]]) -> Indicator:
    scored = [(w, s) for w, s in zip(work, sources, strict=True) if w.quality_counts]
    pending = sum(1 for w in work if w.milestone.quality_status == PENDING)
    value = weighted_quality([(w.milestone.weight, w.milestone.quality) for w, _ in scored])
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
    if pending:
        explanation = sentences(
            explanation,
            message(
                N_(
                    "%(n)s tonggak capaian masih menunggu nilai kualitas dari atasan ketua tim dan belum "
                    "dihitung untuk siapa pun."
                ),
                n=pending,
            ),
        )
    return Indicator("quality", value, target, [s for _, s in scored], explanation)


def _satisfaction(answers: list[Any], excluded: int, target: Decimal) -> Indicator:
    n, value = individual_satisfaction([a.answers for a in answers])
    enough = n >= INDIVIDUAL_MIN_ANSWERS
    if n == 0:
        explanation = message(N_("Belum ada responden survei kepuasan masyarakat yang menyebut pegawai ini."))
    elif enough:
        explanation = message(
            N_(
                "25 × rata-rata nilai unsur U6 (kompetensi pelaksana) dan U7 (perilaku pelaksana) dari "
                "%(n)s jawaban survei yang menyebut pegawai ini; jumlah jawaban memenuhi minimal %(min)s."
            ),
            n=n,
            min=INDIVIDUAL_MIN_ANSWERS,
        )
    else:
        explanation = message(
            N_(
                "25 × rata-rata nilai unsur U6 (kompetensi pelaksana) dan U7 (perilaku pelaksana) dari "
                "%(n)s jawaban survei yang menyebut pegawai ini; belum cukup jawaban (minimal %(min)s), "
                "sehingga tidak dihitung dalam saran penilaian."
            ),
            n=n,
            min=INDIVIDUAL_MIN_ANSWERS,
        )
    if excluded:
        explanation = sentences(
            explanation,
            message(
                N_(
                    "%(n)s jawaban lain tidak dihitung (duplikat atau mencurigakan, menunggu pemeriksaan admin)."
                ),
                n=excluded,
            ),
        )
    sources = [
        {"kind": "feedback", "id": a.id, "created_at": a.created_at, "unit_id": a.unit_id} for a in answers
    ]
    return Indicator(
        "satisfaction",
        value,
        target,
        sources,
        explanation,
        counts_toward_rating=enough,
        n=n,
        min_sample=INDIVIDUAL_MIN_ANSWERS,
        sample_ok=enough,
        excluded=excluded,
    )


async def compute_indicators(
    session: AsyncSession, *, users: list[User], period: Period, targets: dict[int, TargetsInForce]
) -> dict[int, PersonIndicators]:
    """Indicators of several people at once, in a fixed number of queries; `targets` by unit id."""
    ids = [u.id for u in users if u.id is not None]
    work = await closed_work(session, ids, period)
    histories = await milestone_histories(
        session,
        sorted({w.milestone.id for items in work.values() for w in items}),
    )
    answers = await answers_naming(session, user_ids=ids, period=period)
    excluded = await excluded_naming(session, user_ids=ids, period=period)
    rule = timeliness_rule()
    result: dict[int, PersonIndicators] = {}
    for user in users:
        in_force = targets[user.unit_id]
        mine = work.get(user.id, [])
        sources = [w.source(rule, histories[w.milestone.id]) for w in mine]
        person = PersonIndicators(user.id, period)
        person.indicators["timeliness"] = _timeliness(mine, in_force.target("timeliness"), rule, sources)
        person.indicators["quality"] = _quality(mine, in_force.target("quality"), sources)
        person.indicators["satisfaction"] = _satisfaction(
            answers.get(user.id, []),
            excluded.get(user.id, 0),
            in_force.target("satisfaction"),
        )
        result[user.id] = person
    return result
