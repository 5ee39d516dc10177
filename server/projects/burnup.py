"""A project's burn-up: scope (the summed weight of its milestones) and completion (the weight of the
closed ones) over time, rebuilt from the milestone rows and their append-only history.

A milestone raises the scope on the day it was created (its "created" history entry, in WIB) and the
completion on the day it was closed (`closed_on`, never earlier than its creation, so completion cannot
run ahead of scope when finished work is entered afterwards). Milestones created after the first day of
planning are "added"; every due-date move ("rescheduled") is kept as an annotation with its reason.
The chart geometry is plain numbers for an inline SVG, as in server/performance/charts.py."""

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.audit import HistoryEntry
from server.projects.models import Milestone, MilestoneStatus, Project

EventKind = Literal["planned", "added", "closed", "rescheduled"]
_KIND_ORDER = {"planned": 0, "added": 1, "rescheduled": 2, "closed": 3}


@dataclass(frozen=True)
class MilestoneFacts:
    id: int
    title: str
    weight: int
    created_on: date
    closed_on: date | None


@dataclass(frozen=True)
class Reschedule:
    milestone_id: int
    on: date
    old_due: date | None
    new_due: date | None
    reason: str | None


@dataclass(frozen=True)
class Event:
    on: date
    kind: EventKind
    milestone_id: int
    title: str
    weight: int
    old_due: date | None = None
    new_due: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Step:
    """A day on which something happened, with scope and completion at the end of that day."""

    on: date
    scope: int
    done: int
    events: list[Event]

    @property
    def added(self) -> list[Event]:
        return [e for e in self.events if e.kind in ("planned", "added")]

    @property
    def closed(self) -> list[Event]:
        return [e for e in self.events if e.kind == "closed"]

    @property
    def pct(self) -> float:
        return round(100 * self.done / self.scope, 1) if self.scope else 0.0


@dataclass(frozen=True)
class Marker:
    """A numbered annotation (added milestone or reschedule) drawn as a badge above the plot."""

    number: int
    x: float
    y: float
    event: Event


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    step: Step


@dataclass(frozen=True)
class Tick:
    at: float
    label: str
    day: date | None = None


@dataclass(frozen=True)
class BurnupChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    scope_path: str
    done_path: str
    done_area: str
    scope_dots: list[Dot]
    done_dots: list[Dot]
    markers: list[Marker]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    today_x: float | None
    due_x: float | None
    end_x: float
    scope_y: float
    done_y: float


@dataclass(frozen=True)
class Burnup:
    start: date
    end: date
    as_of: date
    steps: list[Step]
    annotations: list[Event]
    chart: BurnupChart | None

    @property
    def scope(self) -> int:
        return self.steps[-1].scope if self.steps else 0

    @property
    def done(self) -> int:
        return self.steps[-1].done if self.steps else 0

    def on(self, day: date) -> tuple[int, int]:
        """(scope, completion) at the end of `day`."""
        scope = done = 0
        for step in self.steps:
            if step.on > day:
                break
            scope, done = step.scope, step.done
        return scope, done


def compute_burnup(
    milestones: list[MilestoneFacts], reschedules: list[Reschedule], *, start: date, due: date, today: date
) -> Burnup:
    by_id = {m.id: m for m in milestones}
    planned_on = min((m.created_on for m in milestones), default=None)
    events: list[Event] = []
    for m in milestones:
        kind: EventKind = "planned" if m.created_on == planned_on else "added"
        events.append(Event(m.created_on, kind, m.id, m.title, m.weight))
        if m.closed_on is not None:
            events.append(Event(max(m.closed_on, m.created_on), "closed", m.id, m.title, m.weight))
    for r in reschedules:
        if r.milestone_id in by_id:
            m = by_id[r.milestone_id]
            events.append(Event(r.on, "rescheduled", m.id, m.title, m.weight, r.old_due, r.new_due, r.reason))
    events.sort(key=lambda e: (e.on, _KIND_ORDER[e.kind], e.milestone_id))
    steps: list[Step] = []
    scope = done = 0
    for day, group in groupby(events, key=lambda e: e.on):
        happened = list(group)
        scope += sum(e.weight for e in happened if e.kind in ("planned", "added"))
        done += sum(e.weight for e in happened if e.kind == "closed")
        steps.append(Step(day, scope, done, happened))
    first = min([start, *(s.on for s in steps)])
    still_open = any(m.closed_on is None for m in milestones)
    last = max([due, *(s.on for s in steps), *([today] if still_open or not milestones else [])])
    annotations = [e for e in events if e.kind in ("added", "rescheduled")]
    burnup = Burnup(first, last, min(max(today, first), last), steps, annotations, None)
    return replace(burnup, chart=burnup_chart(burnup, today, due)) if steps else burnup


# --- geometry --------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 420, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 64, 40, 44  # the top band holds the annotation badges; the right, line labels
BADGE_GAP = 20  # badges closer than this share no row; two rows fit in the top band


def _nice_top(value: int) -> tuple[int, int]:
    """(top of the scale, step) with at most five steps."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if math.ceil(max(value, 1) / step) <= 5:
            return step * math.ceil(max(value, 1) / step), step
    step = 10 ** len(str(value))
    return step * math.ceil(value / step), step


def _step_path(points: list[tuple[float, float]], base: float, end_x: float) -> str:
    """A step line from the left edge at zero: flat until a day changes the value, then straight up."""
    commands, level = [f"M {LEFT:g} {base:g}"], base
    for at, value in points:
        if value != level:
            commands.append(f"H {at:g} V {value:g}")
            level = value
    commands.append(f"H {end_x:g}")
    return " ".join(commands)


def burnup_chart(burnup: Burnup, today: date, due: date) -> BurnupChart:
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    span = max(1, (burnup.end - burnup.start).days)
    top_value, step = _nice_top(max(s.scope for s in burnup.steps))

    def x(day: date) -> float:
        return round(LEFT + (day - burnup.start).days / span * (plot_right - LEFT), 2)

    def y(value: int) -> float:
        return round(plot_bottom - value / top_value * (plot_bottom - TOP), 2)

    end_x = x(burnup.as_of)
    scope_path = _step_path([(x(s.on), y(s.scope)) for s in burnup.steps], y(0), end_x)
    done_path = _step_path([(x(s.on), y(s.done)) for s in burnup.steps], y(0), end_x)
    rows: list[float] = []
    markers = []
    for number, event in enumerate(burnup.annotations, start=1):
        at = x(event.on)
        row = next((i for i, last in enumerate(rows) if at - last >= BADGE_GAP), len(rows))
        rows[row : row + 1] = [at]
        markers.append(Marker(number, at, TOP - 12 - (row % 2) * BADGE_GAP, event))
    count = min(4, span + 1)  # span >= 1, so at least the first and the last day
    days = sorted({burnup.start + timedelta(days=round(i * span / (count - 1))) for i in range(count)})
    scope_y, done_y = y(burnup.steps[-1].scope), y(burnup.steps[-1].done)
    return BurnupChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=plot_right,
        top=TOP,
        bottom=plot_bottom,
        scope_path=scope_path,
        done_path=done_path,
        done_area=f"{done_path} V {y(0):g} Z",
        scope_dots=[Dot(x(s.on), y(s.scope), s) for s in burnup.steps if s.added],
        done_dots=[Dot(x(s.on), y(s.done), s) for s in burnup.steps if s.closed],
        markers=markers,
        x_ticks=[Tick(x(d), d.isoformat(), d) for d in days],
        y_ticks=[Tick(y(v), str(v)) for v in range(0, top_value + 1, step)],
        today_x=x(today) if burnup.start <= today <= burnup.end else None,
        due_x=x(due) if burnup.start <= due <= burnup.end else None,
        end_x=end_x,
        scope_y=scope_y,
        done_y=done_y if abs(done_y - scope_y) >= 14 else min(done_y + 14, float(plot_bottom)),
    )


# --- loading ---------------------------------------------------------------------------------------------


def _wib(moment: datetime) -> date:
    return moment.astimezone(clock.JAKARTA).date()


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def project_burnup(session: AsyncSession, project: Project, *, today: date | None = None) -> Burnup:
    """The burn-up of one project in two queries: its milestones and its milestone history."""
    milestones = (await session.scalars(select(Milestone).where(Milestone.project_id == project.id))).all()
    entries = (
        await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.project_id == project.id, HistoryEntry.entity == "milestone")
            .order_by(HistoryEntry.at, HistoryEntry.id)
        )
    ).all()
    created: dict[int, date] = {}
    reschedules = []
    for entry in entries:
        if entry.action == "created":
            created.setdefault(entry.entity_id, _wib(entry.at))
        elif entry.action == "rescheduled":
            reschedules.append(
                Reschedule(
                    entry.entity_id,
                    _wib(entry.at),
                    _day((entry.before or {}).get("due_date")),
                    _day((entry.after or {}).get("due_date")),
                    entry.reason,
                )
            )
    facts = [
        MilestoneFacts(
            id=m.id,
            title=m.title,
            weight=m.weight,
            created_on=created.get(m.id, _wib(m.created_at)),
            closed_on=m.closed_on if m.status == MilestoneStatus.closed else None,
        )
        for m in milestones
    ]
    return compute_burnup(
        facts, reschedules, start=project.start_date, due=project.due_date, today=today or clock.today()
    )
