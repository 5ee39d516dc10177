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
    # The SE's "sebagian besar (maksimal 70%)": most, but at most the limit. Pantau checks the limit
    # (a warning) and gives a notice when the share is not a majority (50% or less).
    majority: bool = False

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
    "Istimewa": (_Clause("max", ("Sangat Baik",), Decimal("70"), majority=True),),
    "Baik": (
        _Clause("max", ("Baik",), Decimal("70"), majority=True),
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


# Staff of the unit without a predikat in the period: counted in the total, never hidden.
UNRATED = "belum_dinilai"


def _checked_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """The five predikat counts and the unrated count, each a whole number of 0 or more."""
    unknown = sorted(set(counts) - set(PREDIKATS) - {UNRATED})
    if unknown:
        raise ValueError(
            f"unknown predikat {', '.join(map(repr, unknown))}; expected one of {', '.join(PREDIKATS)}"
        )
    result = {p: counts.get(p, 0) for p in (*PREDIKATS, UNRATED)}
    for p, n in result.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"count for {p} must be a whole number of 0 or more, got {n!r}")
    return result


def _share(n: int, total: int) -> Decimal:
    return round_half_up(Fraction(100 * n, total)) if total else Decimal("0.00")


def percentages(counts: Mapping[str, int], unrated: int = 0) -> dict[str, Decimal]:
    """Each predikat's share, and the share of those not yet rated (`belum_dinilai`), of all the staff
    counted (rated and unrated), in percent rounded half-up to 2dp (0.00 when there is nobody)."""
    checked = _checked_counts(counts | {UNRATED: unrated})
    total = sum(checked.values())
    return {key: _share(n, total) for key, n in checked.items()}


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


_PROVISIONAL = N_(
    "Sementara: %(n)s dari %(total)s pegawai belum berpredikat, sehingga pemeriksaan distribusi ini "
    "belum final."
)
_NOT_MAJORITY = N_(
    "Predikat %(who)s %(share)s%% belum merupakan sebagian besar (lebih dari 50%%) seperti yang "
    "dimaksud SE MenPANRB 03/2023 untuk organisasi %(org)s."
)


def _rule_of(organisation_result: str) -> tuple[_Clause, ...]:
    if organisation_result not in DISTRIBUTION_RULES:
        raise ValueError(
            f"organisation result must be one of {', '.join(ORGANISATION_RESULTS)}, "
            f"got {organisation_result!r}"
        )
    return DISTRIBUTION_RULES[organisation_result]


def distribution_warnings(
    organisation_result: str | None, counts: Mapping[str, int], unrated: int = 0
) -> list[Message]:
    """One warning per clause of the SE 03/2023 rule that the distribution breaks, judged on shares of
    all the staff counted, the unrated (`unrated`) among them. While anyone is unrated the check is
    provisional, and the first warning says so and how many are missing: leaving people unrated never
    hides a warning.

    Percentage clauses are judged on shares rounded half-up to 2dp, as `percentages` shows them, so a
    warning never contradicts the numbers next to it; "at least one" and "no Sangat Baik" are judged on
    head counts, because a single person can round to 0.00%.
    """
    if organisation_result is None:
        return []
    rule = _rule_of(organisation_result)
    checked = _checked_counts(counts | {UNRATED: unrated})
    total = sum(checked.values())
    if total == 0:
        return []
    org = message(organisation_result)
    warnings: list[Message] = []
    if checked[UNRATED]:
        warnings.append(message(_PROVISIONAL, n=checked[UNRATED], total=total))
    for clause in rule:
        head_count = sum(checked[p] for p in clause.predikats)
        share = _share(head_count, total)
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


def distribution_notices(
    organisation_result: str | None, counts: Mapping[str, int], unrated: int = 0
) -> list[Message]:
    """Where the SE says "sebagian besar (maksimal 70%)", a notice when that predikat is not the
    majority (50% or less of all the staff counted). A notice, not a warning: the SE sets no minimum."""
    if organisation_result is None:
        return []
    rule = _rule_of(organisation_result)
    checked = _checked_counts(counts | {UNRATED: unrated})
    total = sum(checked.values())
    if total == 0:
        return []
    notices = []
    for clause in rule:
        share = _share(sum(checked[p] for p in clause.predikats), total)
        if clause.majority and share <= 50:
            notices.append(
                message(_NOT_MAJORITY, who=clause.who, share=share, org=message(organisation_result))
            )
    return notices


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
    """An indicator's achievement (percent of target) from `above` up is classified "above", from `meets`
    up "meets", below that "below". Both are more than 0 and `above` is more than `meets`."""

    above: Decimal = Decimal("110")
    meets: Decimal = Decimal("90")

    def __post_init__(self) -> None:
        problem = threshold_problem(self.above, self.meets)
        if problem is not None:
            raise ValueError(problem)


def threshold_problem(above: Decimal, meets: Decimal) -> str | None:
    """What is wrong with a pair of thresholds, or None when they may be used."""
    if meets <= 0 or above <= 0:
        return f"thresholds must be more than 0, got above {above} and meets {meets}"
    if above <= meets:
        return f"threshold above ({above}) must be higher than meets ({meets})"
    return None


DEFAULT_THRESHOLDS = Thresholds()


def achievement_pct(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    """Realisasi as a percentage of target, 2dp; None without data or with a zero target."""
    if value is None or target is None:
        return None
    exact_target = _exact(target, "target")
    if exact_target == 0:
        return None
    return round_half_up(_exact(value, "value") * 100 / exact_target)


def classify_achievement(achievement: Decimal, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """One indicator on its own: at or over `above` → above; at or over `meets` → meets; else below."""
    exact = _exact(achievement, "achievement")
    if exact >= _exact(thresholds.above, "above"):
        return "above"
    if exact >= _exact(thresholds.meets, "meets"):
        return "meets"
    return "below"


def suggest_hasil_kerja(
    achievements: Iterable[Decimal | None], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> str | None:
    """The suggested hasil kerja from the achievements of the counted indicators (DOMAIN.md §1
    "Suggested hasil kerja"); None (an indicator without data) is not counted, and with none counted
    there is no suggestion.

    Each indicator is classified on its own (`classify_achievement`). Then: "above" when more than half
    are above and none is below; "below" when more than half are below; otherwise "meets". Not a mean:
    a mean over different scales let one strong indicator hide a failing one (timeliness at 83% of
    target beside a quality of 5 averaged to "above")."""
    classes = [classify_achievement(a, thresholds) for a in achievements if a is not None]
    if not classes:
        return None
    above, below = classes.count("above"), classes.count("below")
    if 2 * above > len(classes) and below == 0:
        return "above"
    if 2 * below > len(classes):
        return "below"
    return "meets"


# The organisation result a unit head's suggested hasil kerja follows (SE MenPANRB 03/2023).
UNIT_HEAD_SUGGESTION: dict[str, str] = {
    "Istimewa": "above",
    "Baik": "meets",
    "Butuh Perbaikan": "below",
    "Kurang": "below",
    "Sangat Kurang": "below",
}
