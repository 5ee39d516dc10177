"""Evaluation rules: the predikat matrix (PermenPANRB 6/2022), the distribution curve (SE MenPANRB 03/2023)
and Pantau's own documented choices for turning project data into a suggested hasil kerja rating.

Every number Pantau chooses where the regulation is silent lives in a named dataclass or constant here,
so the help page can state it and an admin can see where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal, NamedTuple

from server.feedback.ikm import round_half_up
from server.performance.messages import N_, Message, message

Rating = Literal["above", "meets", "below"]
RATINGS: tuple[str, ...] = ("above", "meets", "below")
RATING_LABELS_ID: dict[str, str] = {
    "above": "Di Atas Ekspektasi",
    "meets": "Sesuai Ekspektasi",
    "below": "Di Bawah Ekspektasi",
}

PREDIKATS: tuple[str, ...] = ("Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
ORGANISATION_RESULTS: tuple[str, ...] = ("Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")

# (hasil kerja, perilaku) -> predikat, the official 3x3 matrix.
PREDIKAT_MATRIX: dict[tuple[str, str], str] = {
    ("above", "below"): "Kurang",
    ("above", "meets"): "Baik",
    ("above", "above"): "Sangat Baik",
    ("meets", "below"): "Kurang",
    ("meets", "meets"): "Baik",
    ("meets", "above"): "Baik",
    ("below", "below"): "Sangat Kurang",
    ("below", "meets"): "Butuh Perbaikan",
    ("below", "above"): "Butuh Perbaikan",
}

# Pantau's default targets per indicator key, used until an admin sets one for a unit.
DEFAULT_TARGETS: dict[str, Decimal] = {
    # Average 90% timeliness = milestones on average two days late under the default 5-points-per-day rule.
    "timeliness": Decimal("90"),
    # 4 on the lead's 1–5 quality scale means "good"; 3 is only the middle of the scale.
    "quality": Decimal("4"),
    # The lowest IKM of mutu B (Baik); 76.60 and below is C "Kurang Baik" under PermenPANRB 14/2017.
    "satisfaction": Decimal("76.61"),
}


def _check_rating(name: str, value: str) -> None:
    if value not in RATINGS:
        raise ValueError(f"{name} rating must be one of {', '.join(RATINGS)}, got {value!r}")


def predikat(hasil_kerja: str | None, perilaku: str | None) -> str | None:
    """Predikat kinerja from the two ratings; None until both exist."""
    if hasil_kerja is not None:
        _check_rating("hasil kerja", hasil_kerja)
    if perilaku is not None:
        _check_rating("perilaku", perilaku)
    if hasil_kerja is None or perilaku is None:
        return None
    return PREDIKAT_MATRIX[(hasil_kerja, perilaku)]


# --- Distribution curve (SE MenPANRB 03/2023) -------------------------------------------------------


# TRANSLATORS: predikat names in a distribution rule, e.g. "Kurang dan/atau Butuh Perbaikan".
_AND_OR = N_("%(a)s dan/atau %(b)s")
# TRANSLATORS: predikat names in a distribution rule, e.g. "Butuh Perbaikan atau Kurang".
_OR = N_("%(a)s atau %(b)s")


class _Clause(NamedTuple):
    # "max"/"min": percentage bounds on the combined share; "some": at least one person; "none": nobody.
    kind: Literal["max", "min", "some", "none"]
    predikats: tuple[str, ...]
    limit: Decimal = Decimal("0")

    @property
    def who(self) -> Message:
        """The predikats the clause counts, in words: joined by "dan/atau" for a combined share, by
        "atau" for a head count. (The predikat names are msgids themselves: i18n.DOMAIN_WORDS.)"""
        joiner = _AND_OR if self.kind in ("max", "min") else _OR
        words = message(self.predikats[0])
        for name in self.predikats[1:]:
            words = message(joiner, a=words, b=message(name))
        return words


DISTRIBUTION_RULES: dict[str, tuple[_Clause, ...]] = {
    "Istimewa": (_Clause("max", ("Sangat Baik",), Decimal("70")),),
    "Baik": (
        _Clause("max", ("Baik",), Decimal("70")),
        _Clause("some", ("Butuh Perbaikan", "Kurang")),
    ),
    "Butuh Perbaikan": (
        _Clause("min", ("Butuh Perbaikan",), Decimal("60")),
        _Clause("max", ("Sangat Baik",), Decimal("10")),
    ),
    "Kurang": (
        _Clause("min", ("Kurang",), Decimal("60")),
        _Clause("min", ("Butuh Perbaikan",), Decimal("10")),
        _Clause("max", ("Sangat Baik",), Decimal("10")),
    ),
    "Sangat Kurang": (
        _Clause("min", ("Sangat Kurang",), Decimal("60")),
        _Clause("min", ("Kurang", "Butuh Perbaikan"), Decimal("10")),
        _Clause("none", ("Sangat Baik",)),
    ),
}


def _checked_counts(counts: Mapping[str, int]) -> dict[str, int]:
    unknown = sorted(set(counts) - set(PREDIKATS))
    if unknown:
        raise ValueError(
            f"unknown predikat {', '.join(map(repr, unknown))}; expected one of {', '.join(PREDIKATS)}"
        )
    result = {p: counts.get(p, 0) for p in PREDIKATS}
    for p, n in result.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"count for {p} must be a whole number of 0 or more, got {n!r}")
    return result


def percentages(counts: Mapping[str, int]) -> dict[str, Decimal]:
    """Each predikat's share of those who have one, in percent rounded half-up to 2dp (0.00 when none)."""
    checked = _checked_counts(counts)
    total = sum(checked.values())
    if total == 0:
        return {p: Decimal("0.00") for p in PREDIKATS}
    return {p: round_half_up(Fraction(100 * n, total)) for p, n in checked.items()}


_WARNINGS = {
    "max": N_("Predikat %(who)s %(share)s%% melebihi batas %(limit)s%% untuk organisasi %(org)s."),
    "min": N_("Predikat %(who)s %(share)s%% di bawah batas minimal %(limit)s%% untuk organisasi %(org)s."),
    "some": N_("Tidak ada pegawai berpredikat %(who)s; minimal harus ada satu untuk organisasi %(org)s."),
    "none": N_(
        "Ada %(n)s pegawai (%(share)s%%) berpredikat %(who)s; predikat %(who)s tidak boleh ada untuk "
        "organisasi %(org)s."
    ),
    # A single person among more than 20,000 rounds to 0.00%.
    "none_tiny": N_(
        "Ada %(n)s pegawai (<%(share)s%%) berpredikat %(who)s; predikat %(who)s tidak boleh ada untuk "
        "organisasi %(org)s."
    ),
}


def distribution_warnings(organisation_result: str | None, counts: Mapping[str, int]) -> list[Message]:
    """One warning per clause of the SE 03/2023 rule that the distribution breaks.

    Percentage clauses are judged on shares rounded half-up to 2dp, as `percentages` shows them, so a
    warning never contradicts the numbers next to it; "at least one" and "no Sangat Baik" are judged on
    head counts, because a single person can round to 0.00%.
    """
    if organisation_result is None:
        return []
    if organisation_result not in DISTRIBUTION_RULES:
        raise ValueError(
            f"organisation result must be one of {', '.join(ORGANISATION_RESULTS)}, "
            f"got {organisation_result!r}"
        )
    checked = _checked_counts(counts)
    total = sum(checked.values())
    if total == 0:
        return []
    org = message(organisation_result)
    warnings: list[Message] = []
    for clause in DISTRIBUTION_RULES[organisation_result]:
        head_count = sum(checked[p] for p in clause.predikats)
        share = round_half_up(Fraction(100 * head_count, total))
        if (clause.kind == "max" and share > clause.limit) or (clause.kind == "min" and share < clause.limit):
            warnings.append(
                message(_WARNINGS[clause.kind], who=clause.who, share=share, limit=clause.limit, org=org)
            )
        elif clause.kind == "some" and head_count == 0:
            warnings.append(message(_WARNINGS["some"], who=clause.who, org=org))
        elif clause.kind == "none" and head_count > 0:
            msgid, shown = (
                (_WARNINGS["none"], share) if share > 0 else (_WARNINGS["none_tiny"], Decimal("0.01"))
            )
            warnings.append(message(msgid, n=head_count, share=shown, who=clause.who, org=org))
    return warnings


# --- Pantau's indicator rules --------------------------------------------------------------------------


def _exact(value: int | Decimal, name: str) -> Fraction:
    # Floats are refused: Decimal(0.1) is not 0.1, and these numbers end up in official ratings.
    if isinstance(value, bool) or not isinstance(value, int | Decimal | Fraction):
        raise TypeError(f"{name} must be an int or Decimal, got {type(value).__name__}")
    return Fraction(value)


@dataclass(frozen=True)
class TimelinessRule:
    """A milestone closed on time scores 100; each day late costs `penalty_per_day`, never below `floor`."""

    penalty_per_day: Decimal = Decimal("5")
    floor: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        if self.penalty_per_day < 0:
            raise ValueError(f"penalty_per_day must be 0 or more, got {self.penalty_per_day}")
        if not 0 <= self.floor <= 100:
            raise ValueError(f"floor must be between 0 and 100, got {self.floor}")


DEFAULT_TIMELINESS_RULE = TimelinessRule()


def milestone_timeliness(days_late: int, rule: TimelinessRule = DEFAULT_TIMELINESS_RULE) -> Decimal:
    """Timeliness score 0–100 of one closed milestone."""
    if isinstance(days_late, bool) or not isinstance(days_late, int) or days_late < 0:
        raise ValueError(f"days_late must be a whole number of 0 or more, got {days_late!r}")
    return max(rule.floor, Decimal(100) - rule.penalty_per_day * days_late)


def _weighted_mean(pairs: Iterable[tuple[Fraction, Fraction]]) -> Decimal | None:
    total_weight = Fraction(0)
    total = Fraction(0)
    for weight, score in pairs:
        if weight <= 0:
            raise ValueError(f"milestone weight must be greater than 0, got {weight}")
        total_weight += weight
        total += weight * score
    if total_weight == 0:
        return None
    return round_half_up(total / total_weight)


def weighted_timeliness(
    items: Iterable[tuple[int | Decimal, int]], rule: TimelinessRule = DEFAULT_TIMELINESS_RULE
) -> Decimal | None:
    """Weighted mean timeliness of (weight, days_late) milestones, 2dp; None when there are none."""
    return _weighted_mean(
        (_exact(w, "weight"), Fraction(milestone_timeliness(days, rule))) for w, days in items
    )


def weighted_quality(items: Iterable[tuple[int | Decimal, int]]) -> Decimal | None:
    """Weighted mean of (weight, quality 1..5) milestones, 2dp; None when there are none."""

    def pairs() -> Iterable[tuple[Fraction, Fraction]]:
        for weight, quality in items:
            if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 5:
                raise ValueError(f"quality must be a whole number 1..5, got {quality!r}")
            yield _exact(weight, "weight"), Fraction(quality)

    return _weighted_mean(pairs())


# --- Suggested hasil kerja ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Mean achievement (percent of target) from `above` up suggests "above", from `meets` up "meets"."""

    above: Decimal = Decimal("110")
    meets: Decimal = Decimal("90")

    def __post_init__(self) -> None:
        if self.meets > self.above:
            raise ValueError(f"threshold meets ({self.meets}) must not be higher than above ({self.above})")


DEFAULT_THRESHOLDS = Thresholds()


def achievement_pct(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    """Realisasi as a percentage of target, 2dp; None without data or with a zero target."""
    if value is None or target is None:
        return None
    exact_target = _exact(target, "target")
    if exact_target == 0:
        return None
    return round_half_up(_exact(value, "value") * 100 / exact_target)


def mean_achievement(achievements: Iterable[Decimal | None]) -> Decimal | None:
    """Mean of the achievements that exist, 2dp; the number the suggestion is judged on."""
    present = [_exact(a, "achievement") for a in achievements if a is not None]
    if not present:
        return None
    return round_half_up(sum(present, Fraction(0)) / len(present))


def suggest_hasil_kerja(
    achievements: Iterable[Decimal | None], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> str | None:
    """Suggested hasil kerja rating from indicator achievements; None when no indicator has data.

    The mean is rounded to 2dp before it meets the thresholds so the suggestion agrees with the shown mean.
    """
    mean = mean_achievement(achievements)
    if mean is None:
        return None
    if mean >= thresholds.above:
        return "above"
    if mean >= thresholds.meets:
        return "meets"
    return "below"
