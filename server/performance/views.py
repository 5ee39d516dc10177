"""What the performance pages show, built from the service's results: period labels and choices, the
reasoning behind a suggested rating, the trend over recent periods, and a person's rating history."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import User
from server.audit import HistoryEntry
from server.calendar.periods import Period, month_of, parse_period, recent_periods
from server.pages.i18n import N_, current_locale, gettext
from server.performance import service
from server.performance.charts import LineChart, SeriesData, line_chart
from server.performance.indicators import LABELS
from server.performance.rules import classify_achievement
from server.performance.targets import INDICATOR_KEYS, TargetsInForce
from server.projects.models import Milestone

TREND_LENGTH = 6
_ROMAN = ("I", "II", "III", "IV")


def period_label(period: Period | str) -> str:
    """November 2026 · Triwulan IV 2026 · Tahun 2026, in the request's language."""
    if isinstance(period, str):
        if not period:
            return ""
        period = parse_period(period)
    if period.kind == "month":
        return format_date(period.first_day, format="MMMM y", locale=current_locale())
    if period.kind == "quarter":
        return gettext("Triwulan %(roman)s %(year)s", roman=_ROMAN[period.number - 1], year=period.year)
    return gettext("Tahun %(year)s", year=period.year)


def period_short(period: Period) -> str:
    """Nov 2026 · Tw IV 2026 · 2026 — for chart axes."""
    if period.kind == "month":
        return format_date(period.first_day, format="MMM y", locale=current_locale())
    if period.kind == "quarter":
        # TRANSLATORS: "Tw" abbreviates "Triwulan" (quarter) under a chart; keep it short.
        return gettext("Tw %(roman)s %(year)s", roman=_ROMAN[period.number - 1], year=period.year)
    return str(period.year)


def period_next(period: Period) -> Period:
    if period.kind == "month":
        return Period("month", period.year + period.number // 12, period.number % 12 + 1)
    if period.kind == "quarter":
        return Period("quarter", period.year + period.number // 4, period.number % 4 + 1)
    return Period("year", period.year + 1, 1)


@dataclass(frozen=True)
class PeriodChoices:
    """The period picker: recent months, quarters and years (and the shown period, wherever it is)."""

    current: Period
    groups: list[tuple[str, list[tuple[str, str]]]]
    previous: Period
    next: Period | None  # None when the next period has not started yet


def period_choices(shown: Period, *, planning: bool = False, today: date | None = None) -> PeriodChoices:
    """Periods up to the current one; `planning` (targets are set ahead) adds the next year's worth."""
    this_month = month_of(today or clock.today())
    # The group titles are translated where they are shown (_performance.html).
    monthly, quarterly, yearly = N_("Bulanan"), N_("Triwulanan"), N_("Tahunan")
    latest = {
        monthly: this_month,
        quarterly: Period("quarter", this_month.year, (this_month.number - 1) // 3 + 1),
        yearly: Period("year", this_month.year, 1),
    }
    ahead = {monthly: 12, quarterly: 4, yearly: 1} if planning else {}
    groups = []
    for (title, last), count in zip(latest.items(), (12, 8, 4), strict=True):
        for _ in range(ahead.get(title, 0)):
            last = period_next(last)
        periods = list(reversed(recent_periods(last, count + ahead.get(title, 0))))
        if shown.kind == last.kind and shown not in periods:
            periods.append(shown)
        groups.append((title, [(str(p), period_label(p)) for p in periods]))
    upcoming = period_next(shown)
    started = upcoming.first_day <= this_month.first_day
    return PeriodChoices(shown, groups, shown.previous(), upcoming if planning or started else None)


@dataclass(frozen=True)
class Reasoning:
    """Why Pantau suggests the hasil kerja rating it suggests. The template translates the labels."""

    counted: list[tuple[str, Decimal, str]]  # (indicator label, achievement %, its own class)
    skipped: list[tuple[str, str]]  # (indicator label, why it does not count)
    above: Decimal
    meets: Decimal
    suggested: str | None
    basis: dict[str, Any]  # {"kind": "indicators"} or {"kind": "organisation_result", "result": ...}

    def tally(self, rating: str) -> int:
        return sum(1 for _, _, each in self.counted if each == rating)


def reasoning(read: dict[str, Any], targets: TargetsInForce) -> Reasoning:
    counted: list[tuple[str, Decimal, str]] = []
    skipped: list[tuple[str, str]] = []
    thresholds = targets.thresholds
    for indicator in read["indicators"]:
        achievement = indicator["achievement_pct"]
        if achievement is None:
            skipped.append((indicator["label"], N_("belum ada data pada periode ini")))
        elif not indicator["counts_toward_rating"]:
            why = gettext(
                "belum cukup jawaban (%(n)s dari minimal %(min)s)",
                n=indicator["n"],
                min=indicator["min_sample"],
            )
            skipped.append((indicator["label"], why))
        else:
            counted.append((indicator["label"], achievement, classify_achievement(achievement, thresholds)))
    return Reasoning(
        counted,
        skipped,
        thresholds.above,
        thresholds.meets,
        read["hasil_kerja_suggested"],
        read["suggestion_basis"],
    )


@dataclass(frozen=True)
class TrendRow:
    period: str
    label: str
    cells: dict[str, Any]  # key -> {"value", "achievement_pct", "counts"}


@dataclass(frozen=True)
class Trend:
    chart: LineChart
    rows: list[TrendRow]
    kind: str


async def trend(session: AsyncSession, person: User, period: Period) -> Trend:
    """Achievement against target over the last periods of the same kind: one scale for all indicators."""
    periods = recent_periods(period, TREND_LENGTH)
    rows: list[TrendRow] = []
    for each in periods:
        indicators = (await service.indicators_of(session, [person], each))[person.id].indicators
        cells = {
            key: {
                "value": indicators[key].value,
                "achievement_pct": indicators[key].achievement_pct,
                "counts": indicators[key].counts_toward_rating,
            }
            for key in INDICATOR_KEYS
        }
        rows.append(TrendRow(str(each), period_label(each), cells))
    series = [
        SeriesData(
            key,
            LABELS[key],
            [row.cells[key]["achievement_pct"] for row in rows],
            [row.cells[key]["value"] is not None and not row.cells[key]["counts"] for row in rows],
        )
        for key in INDICATOR_KEYS
    ]
    chart = line_chart(
        [period_short(p) for p in periods],
        series,
        periods=[row.label for row in rows],
        reference=Decimal(100),
    )
    return Trend(chart, rows, period.kind)


@dataclass(frozen=True)
class HistoryRow:
    at: Any
    who: str
    period: str
    what: str  # "perilaku" | "hasil_kerja_confirmed" | "hasil_kerja_overridden"
    before: str | None
    after: str | None
    suggested: str | None
    why: str | None


async def rating_history(session: AsyncSession, person_id: int) -> list[HistoryRow]:
    """Every change to the person's ratings, newest first, as the append-only history keeps it."""
    entries = (
        await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.subject_user_id == person_id, HistoryEntry.entity == "rating")
            .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
        )
    ).all()
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    names = dict((await session.execute(select(User.id, User.name).where(User.id.in_(actor_ids)))).all())
    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        field = "perilaku" if entry.action == "perilaku" else "hasil_kerja"
        rows.append(
            HistoryRow(
                at=entry.at,
                who=names.get(entry.actor_id, "–"),
                period=entry.period or "",
                what=entry.action,
                before=before.get(field),
                after=after.get(field),
                suggested=after.get("suggested"),
                why=after.get("note") if field == "perilaku" else entry.reason,
            )
        )
    return rows


def source_label(source: dict[str, Any], unit_names: dict[int, str]) -> str:
    """Where a target or threshold comes from, in words."""
    if source["kind"] == "default":
        return gettext("Bawaan Pantau")
    where = (
        gettext("Unit ini")
        if source["kind"] == "this_unit"
        else unit_names.get(source["unit_id"], gettext("Unit di atasnya"))
    )
    return f"{where} · {period_label(source['period'])}"


async def people_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Names of the people a page mentions (who changed a milestone), in one query."""
    if not ids:
        return {}
    return dict((await session.execute(select(User.id, User.name).where(User.id.in_(ids)))).all())


async def milestone_titles(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Titles of the milestones a page mentions (what changed since a rating), in one query."""
    if not ids:
        return {}
    rows = await session.execute(select(Milestone.id, Milestone.title).where(Milestone.id.in_(ids)))
    return dict(rows.all())


def was_saved(request: Request) -> bool:
    return request.query_params.get("saved") == "1"


def saved_redirect(path: str, period: Period) -> RedirectResponse:
    """After a form is saved: back to its page for the same period, saying so."""
    return RedirectResponse(f"{path}?period={period}&saved=1", status_code=303)
