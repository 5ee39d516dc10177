"""Targets and rating thresholds per unit and period, inherited down the unit tree.

A value is looked up from the nearest unit (the unit itself, then each unit above it) and, within a
unit, from the most specific period (the month, then its quarter, then its year); when no unit up the
tree sets it, Pantau's documented default applies (server/performance/rules.py)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.service import ancestors_in, unit_parents
from server.audit import record_change
from server.errors import Invalid
from server.performance.models import Target
from server.performance.periods import Period
from server.performance.rules import DEFAULT_TARGETS, DEFAULT_THRESHOLDS, Thresholds

INDICATOR_KEYS = ("timeliness", "quality", "satisfaction")
THRESHOLD_KEYS = ("above", "meets")
INDICATOR_UNITS = {"timeliness": "%", "quality": "1-5", "satisfaction": "IKM"}
# What a target may be, per indicator: its scale.
TARGET_RANGES = {
    "timeliness": (Decimal(0), Decimal(100)),
    "quality": (Decimal(1), Decimal(5)),
    "satisfaction": (Decimal(25), Decimal(100)),
}
DEFAULTS: dict[str, Decimal] = DEFAULT_TARGETS | {
    "threshold_above": DEFAULT_THRESHOLDS.above,
    "threshold_meets": DEFAULT_THRESHOLDS.meets,
}


def enclosing_periods(period: Period) -> list[Period]:
    """The period itself, then the quarter and year that contain it, most specific first."""
    chain = [period]
    if period.kind == "month":
        chain.append(Period("quarter", period.year, (period.number - 1) // 3 + 1))
    if period.kind != "year":
        chain.append(Period("year", period.year, 1))
    return chain


@dataclass(frozen=True)
class Setting:
    value: Decimal
    source: dict[str, Any]


@dataclass(frozen=True)
class TargetsInForce:
    unit_id: int
    period: Period
    settings: dict[str, Setting]

    def target(self, key: str) -> Decimal:
        return self.settings[key].value

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(
            above=self.settings["threshold_above"].value, meets=self.settings["threshold_meets"].value
        )

    def as_api(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id,
            "period": str(self.period),
            "targets": {
                key: {
                    "target": self.settings[key].value,
                    "unit": INDICATOR_UNITS[key],
                    "source": self.settings[key].source,
                }
                for key in INDICATOR_KEYS
            },
            "thresholds": {
                name: {
                    "value": self.settings[f"threshold_{name}"].value,
                    "source": self.settings[f"threshold_{name}"].source,
                }
                for name in THRESHOLD_KEYS
            },
        }


async def targets_in_force(
    session: AsyncSession, *, unit_id: int, period: Period, parents: dict[int, int | None] | None = None
) -> TargetsInForce:
    parents = parents if parents is not None else await unit_parents(session)
    chain = ancestors_in(parents, unit_id)
    periods = enclosing_periods(period)
    rows = (
        await session.scalars(
            select(Target).where(Target.unit_id.in_(chain), Target.period.in_([str(p) for p in periods]))
        )
    ).all()
    found = {(row.unit_id, row.period, row.key): row.value for row in rows}
    settings: dict[str, Setting] = {}
    for key, default in DEFAULTS.items():
        settings[key] = Setting(default, {"kind": "default"})
        for distance, unit in enumerate(chain):
            hit = next((p for p in periods if (unit, str(p), key) in found), None)
            if hit is not None:
                kind = "this_unit" if distance == 0 else "parent_unit"
                settings[key] = Setting(
                    found[(unit, str(hit), key)], {"kind": kind, "unit_id": unit, "period": str(hit)}
                )
                break
    return TargetsInForce(unit_id=unit_id, period=period, settings=settings)


def _parse_changes(body: dict[str, Any]) -> dict[str, Decimal | None]:
    """The PUT body has the GET shape; only the values are read. null clears a value set here."""
    changes: dict[str, Decimal | None] = {}
    for key, entry in (body.get("targets") or {}).items():
        if key not in INDICATOR_KEYS:
            raise Invalid(f"Unknown indicator {key!r}; use one of {', '.join(INDICATOR_KEYS)}")
        changes[key] = _decimal(entry.get("target") if isinstance(entry, dict) else entry, key)
        low, high = TARGET_RANGES[key]
        if changes[key] is not None and not low <= changes[key] <= high:  # type: ignore[operator]
            raise Invalid(f"The {key} target must be between {low} and {high}")
    for name, entry in (body.get("thresholds") or {}).items():
        if name not in THRESHOLD_KEYS:
            raise Invalid(f"Unknown threshold {name!r}; use above or meets")
        value = _decimal(entry.get("value") if isinstance(entry, dict) else entry, f"{name} threshold")
        if value is not None and not Decimal(0) < value <= Decimal(1000):
            raise Invalid(f"The {name} threshold is an achievement percentage between 0 and 1000")
        changes[f"threshold_{name}"] = value
    if not changes:
        raise Invalid("Nothing to change: send targets and/or thresholds")
    return changes


def _decimal(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Invalid(f"The {name} must be a number")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise Invalid(f"The {name} must be a number") from None


async def set_targets(
    session: AsyncSession, *, by_id: int, unit_id: int, period: Period, body: dict[str, Any]
) -> TargetsInForce:
    changes = _parse_changes(body)
    before = await targets_in_force(session, unit_id=unit_id, period=period)
    for key, value in changes.items():
        await session.execute(
            delete(Target).where(Target.unit_id == unit_id, Target.period == str(period), Target.key == key)
        )
        if value is not None:
            session.add(Target(unit_id=unit_id, period=str(period), key=key, value=value, updated_by=by_id))
        await record_change(
            session,
            actor_id=by_id,
            entity="target",
            entity_id=unit_id,
            action="set" if value is not None else "cleared",
            before={
                "key": key,
                "value": str(before.settings[key].value),
                "source": before.settings[key].source,
            },
            after={"key": key, "value": None if value is None else str(value)},
            period=str(period),
        )
    await session.flush()
    after = await targets_in_force(session, unit_id=unit_id, period=period)
    if after.thresholds.meets > after.thresholds.above:
        raise Invalid("The 'meets' threshold must not be above the 'above' threshold")
    return after
