"""Targets and rating thresholds per unit and period, inherited down the unit tree.

A value is looked up from the nearest unit (the unit itself, then each unit above it) and, within a
unit, from the most specific period (the month, then its quarter, then its year); when no unit up the
tree sets it, Pantau's documented default applies (server/performance/rules.py)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Unit
from server.accounts.service import ancestors_in, subtree_in, unit_parents
from server.audit import record_change
from server.calendar.periods import Period
from server.errors import Invalid
from server.performance.messages import N_, Message, message
from server.performance.models import Target
from server.performance.rules import DEFAULT_TARGETS, DEFAULT_THRESHOLDS, Thresholds, threshold_problem

INDICATOR_KEYS = ("timeliness", "quality", "satisfaction")
THRESHOLD_KEYS = ("above", "meets")
INDICATOR_UNITS = {"timeliness": "%", "quality": "1-5", "satisfaction": "IKM"}
# What a target may be, per indicator: its scale. Every target is more than 0 (a zero target makes
# achievement meaningless), so the timeliness scale's 0 is left out.
TARGET_RANGES = {
    "timeliness": (Decimal(0), Decimal(100)),
    "quality": (Decimal(1), Decimal(5)),
    "satisfaction": (Decimal(25), Decimal(100)),
}
THRESHOLD_MAX = Decimal(1000)
DEFAULTS: dict[str, Decimal] = DEFAULT_TARGETS | {
    "threshold_above": DEFAULT_THRESHOLDS.above,
    "threshold_meets": DEFAULT_THRESHOLDS.meets,
}


def value_problem(key: str, value: Decimal) -> str | None:
    """Why one value may not be a target or threshold (None when it may): each target on its
    indicator's scale and more than 0, each threshold an achievement percentage over 0 and up to 1000."""
    if key.startswith("threshold_"):
        name = key.removeprefix("threshold_")
        if not Decimal(0) < value <= THRESHOLD_MAX:
            return f"The {name} threshold is an achievement percentage between 0 and {THRESHOLD_MAX}"
        return None
    low, high = TARGET_RANGES[key]
    if low == 0 and not low < value <= high:
        return f"The {key} target must be more than 0 and at most {high}"
    if not low <= value <= high:
        return f"The {key} target must be between {low} and {high}"
    return None


def enclosing_periods(period: Period) -> list[Period]:
    """The period itself, then the quarter and year that contain it, most specific first."""
    chain = [period]
    if period.kind == "month":
        chain.append(Period("quarter", period.year, (period.number - 1) // 3 + 1))
    if period.kind != "year":
        chain.append(Period("year", period.year, 1))
    return chain


def inner_periods(period: Period) -> list[Period]:
    """The period itself and every quarter and month inside it: where a value set for it is in force."""
    inside = [period]
    if period.kind == "year":
        inside += [Period("quarter", period.year, q) for q in range(1, 5)]
    if period.kind != "month":
        inside += period.months()
    return inside


@dataclass(frozen=True)
class Setting:
    value: Decimal
    source: dict[str, Any]


@dataclass(frozen=True)
class TargetsInForce:
    unit_id: int
    period: Period
    settings: dict[str, Setting]
    # Stored values that break the rules (from before the rules were checked): the defaults stand in.
    warnings: tuple[Message, ...] = ()

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
            "warnings": list(self.warnings),
        }


Found = dict[tuple[int, str, str], Decimal]  # (unit id, period, key) -> the stored value


def _stored(found: Found, chain: list[int], periods: list[Period]) -> dict[str, Setting]:
    """The value of each key from the nearest unit and then the most specific period that sets it,
    as stored (not yet checked); a key nobody sets is absent."""
    stored: dict[str, Setting] = {}
    for key in DEFAULTS:
        for distance, unit in enumerate(chain):
            hit = next((p for p in periods if (unit, str(p), key) in found), None)
            if hit is not None:
                kind = "this_unit" if distance == 0 else "parent_unit"
                stored[key] = Setting(
                    found[(unit, str(hit), key)], {"kind": kind, "unit_id": unit, "period": str(hit)}
                )
                break
    return stored


_FALLBACK = N_(
    "Nilai %(field)s yang tersimpan (%(value)s, dari %(where)s) tidak sah: target harus pada skala "
    "indikatornya dan lebih dari 0, ambang lebih dari 0, dan ambang di atas ekspektasi lebih tinggi dari "
    "ambang sesuai ekspektasi. Pantau memakai nilai bawaan %(default)s sampai admin memperbaikinya."
)
_FIELD_NAMES = {
    "timeliness": "targets.timeliness",
    "quality": "targets.quality",
    "satisfaction": "targets.satisfaction",
    "threshold_above": "thresholds.above",
    "threshold_meets": "thresholds.meets",
}


def _in_force(
    stored: dict[str, Setting], unit_names: dict[int, str]
) -> tuple[dict[str, Setting], list[Message]]:
    """The values in force: the stored ones that keep the rules, the built-in defaults for the rest
    (with a warning each), so a value stored before a rule existed never breaks a page."""
    settings: dict[str, Setting] = {}
    warnings: list[Message] = []

    def fall_back(key: str) -> None:
        source = stored[key].source
        where = f"{unit_names.get(source['unit_id'], '#' + str(source['unit_id']))} · {source['period']}"
        warnings.append(
            message(
                _FALLBACK,
                field=_FIELD_NAMES[key],
                value=stored[key].value,
                where=where,
                default=DEFAULTS[key],
            )
        )
        replaced = source | {"value": stored[key].value}
        settings[key] = Setting(DEFAULTS[key], {"kind": "default", "replaces": replaced})

    for key, default in DEFAULTS.items():
        if key not in stored:
            settings[key] = Setting(default, {"kind": "default"})
        elif value_problem(key, stored[key].value) is not None:
            fall_back(key)
        else:
            settings[key] = stored[key]
    if threshold_problem(settings["threshold_above"].value, settings["threshold_meets"].value):
        for key in ("threshold_above", "threshold_meets"):
            if key in stored and settings[key].source.get("kind") != "default":
                fall_back(key)
            else:
                settings[key] = Setting(DEFAULTS[key], settings[key].source)
    return settings, warnings


async def _load(session: AsyncSession, unit_ids: set[int], periods: set[str]) -> Found:
    rows = (
        await session.scalars(select(Target).where(Target.unit_id.in_(unit_ids), Target.period.in_(periods)))
    ).all()
    return {(row.unit_id, row.period, row.key): row.value for row in rows}


async def targets_in_force(
    session: AsyncSession, *, unit_id: int, period: Period, parents: dict[int, int | None] | None = None
) -> TargetsInForce:
    parents = parents if parents is not None else await unit_parents(session)
    chain = ancestors_in(parents, unit_id)
    periods = enclosing_periods(period)
    stored = _stored(await _load(session, set(chain), {str(p) for p in periods}), chain, periods)
    settings, warnings = _in_force(stored, {})
    if warnings:  # rare: name the units in the warnings
        names = dict((await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(chain)))).all())
        settings, warnings = _in_force(stored, names)
    return TargetsInForce(unit_id=unit_id, period=period, settings=settings, warnings=tuple(warnings))


EXAMPLES = {"targets": '{"timeliness": 90}', "thresholds": '{"above": 110, "meets": 90}'}


def _parse_changes(body: dict[str, Any]) -> dict[str, Decimal | None]:
    """The PUT body has the GET shape; only the values are read. null clears a value set here."""
    changes: dict[str, Decimal | None] = {}
    for part in ("targets", "thresholds"):
        if not isinstance(body.get(part) or {}, dict):
            raise Invalid(f"{part} must be an object of values by name, e.g. {EXAMPLES[part]}")
    for key, entry in (body.get("targets") or {}).items():
        if key not in INDICATOR_KEYS:
            raise Invalid(f"Unknown indicator {key!r}; use one of {', '.join(INDICATOR_KEYS)}")
        changes[key] = _decimal(entry.get("target") if isinstance(entry, dict) else entry, key)
    for name, entry in (body.get("thresholds") or {}).items():
        if name not in THRESHOLD_KEYS:
            raise Invalid(f"Unknown threshold {name!r}; use above or meets")
        value = _decimal(entry.get("value") if isinstance(entry, dict) else entry, f"{name} threshold")
        changes[f"threshold_{name}"] = value
    for key, value in changes.items():
        if value is not None and (problem := value_problem(key, value)) is not None:
            raise Invalid(problem)
    if not changes:
        raise Invalid("Nothing to change: send targets and/or thresholds")
    return changes


def _decimal(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Invalid(f"The {name} must be a number")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise Invalid(f"The {name} must be a number") from None
    if not number.is_finite():
        raise Invalid(f"The {name} must be a number")
    return number


async def _broken_pairs(
    session: AsyncSession, parents: dict[int, int | None], unit_id: int, period: Period
) -> dict[tuple[int, str], tuple[Decimal, Decimal]]:
    """Every (unit, period) where a value set on `unit_id` for `period` is in force (the unit and its
    sub-units; the period and the quarters and months inside it) whose thresholds in force break
    above > meets: -> (above, meets). One query."""
    units = subtree_in(parents, unit_id)
    inside = inner_periods(period)
    found = await _load(
        session,
        units | set(ancestors_in(parents, unit_id)),
        {str(p) for each in inside for p in enclosing_periods(each)},
    )
    broken = {}
    for unit in units:
        chain = ancestors_in(parents, unit)
        for each in inside:
            stored = _stored(found, chain, enclosing_periods(each))
            above = stored.get("threshold_above", Setting(DEFAULTS["threshold_above"], {})).value
            meets = stored.get("threshold_meets", Setting(DEFAULTS["threshold_meets"], {})).value
            if threshold_problem(above, meets) is not None:
                broken[(unit, str(each))] = (above, meets)
    return broken


async def set_targets(
    session: AsyncSession, *, by_id: int, unit_id: int, period: Period, body: dict[str, Any]
) -> TargetsInForce:
    """Set (or clear, with null) this unit's own values for the period. Each value must keep its rule,
    and the thresholds in force wherever the change reaches (sub-units, the periods inside) must keep
    above > meets, else 422 naming the field and nothing is stored."""
    changes = _parse_changes(body)
    parents = await unit_parents(session)
    touches_thresholds = any(key.startswith("threshold_") for key in changes)
    broken_before = await _broken_pairs(session, parents, unit_id, period) if touches_thresholds else {}
    before = await targets_in_force(session, unit_id=unit_id, period=period, parents=parents)
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
    if touches_thresholds:
        broken = await _broken_pairs(session, parents, unit_id, period)
        newly = sorted(key for key in broken if key not in broken_before)
        if newly:
            await _refuse_broken_pair(session, changes, newly[0], broken[newly[0]])
    return await targets_in_force(session, unit_id=unit_id, period=period, parents=parents)


async def _refuse_broken_pair(
    session: AsyncSession,
    changes: dict[str, Decimal | None],
    where: tuple[int, str],
    pair: tuple[Decimal, Decimal],
) -> None:
    name = "meets" if "threshold_meets" in changes else "above"
    unit = await session.get(Unit, where[0])
    raise Invalid(
        f"thresholds.{name}: the above threshold must be higher than meets, also where the value is "
        f"inherited; with this change {unit.name if unit else where[0]} in {where[1]} would have above "
        f"{pair[0]} and meets {pair[1]}"
    )
