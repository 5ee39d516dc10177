"""Public satisfaction index (SKM/IKM) per PermenPANRB 14/2017, DOMAIN.md §2.

Arithmetic is exact (fractions.Fraction) up to the single half-up rounding of the IKM, because the
regulation's classes are 0.01 apart and the printed weight 0.111 or float rounding would move units
across a class boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

ELEMENTS: tuple[tuple[str, str], ...] = (
    ("U1", "Persyaratan"),
    ("U2", "Sistem, Mekanisme, dan Prosedur"),
    ("U3", "Waktu Penyelesaian"),
    ("U4", "Biaya/Tarif"),
    ("U5", "Produk Spesifikasi Jenis Pelayanan"),
    ("U6", "Kompetensi Pelaksana"),
    ("U7", "Perilaku Pelaksana"),
    ("U8", "Penanganan Pengaduan, Saran dan Masukan"),
    ("U9", "Sarana dan Prasarana"),
)
ELEMENT_COUNT = len(ELEMENTS)
MIN_ANSWER, MAX_ANSWER = 1, 4

# Lower bounds on the IKM rounded to 2 decimals, best class first.
CLASSES: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)
IKM_MIN, IKM_MAX = Decimal("25"), Decimal("100")

# Krejcie & Morgan parameters as the regulation cites them.
KM_CHI_SQUARE = Fraction("3.841")
KM_P = Fraction(1, 2)
KM_D = Fraction(5, 100)
KM_UNKNOWN_POPULATION = 384

# Enough digits that the unrounded NRR never affects the 2-decimal values derived from it.
_NRR_PRECISION = 34


@dataclass(frozen=True)
class IkmResult:
    """One unit's survey result; every value except n is None when nobody answered."""

    n: int
    nrr: tuple[Decimal | None, ...]
    ikm: Decimal | None
    mutu: str | None
    kinerja: str | None


def round_half_up(value: Decimal | Fraction | int, places: int = 2) -> Decimal:
    """Round exactly, halves away from zero (the regulation's rounding, unlike Python's round())."""
    if places < 0:
        raise ValueError(f"places must be 0 or more, got {places}")
    exact = Fraction(value)
    scale = 10**places
    magnitude = abs(exact) * scale
    units = (2 * magnitude.numerator + magnitude.denominator) // (2 * magnitude.denominator)
    if exact < 0:
        units = -units
    return Decimal(units).scaleb(-places)


def classify(ikm: Decimal) -> tuple[str, str]:
    """Return (mutu, kinerja) for an IKM on the 25–100 scale; the value is first rounded half-up to 2dp."""
    rounded = round_half_up(ikm)
    if not IKM_MIN <= rounded <= IKM_MAX:
        raise ValueError(f"IKM must be between 25 and 100, got {ikm}")
    for lower, mutu, kinerja in CLASSES:
        if rounded >= lower:
            return mutu, kinerja
    raise AssertionError("unreachable: the last class starts at IKM_MIN")


def ikm_from_totals(n: int, element_sums: Sequence[int]) -> IkmResult:
    """IKM from the number of respondents and the sum of answers per element U1..U9.

    Totals are what a database aggregate yields, so the API can compute the index without loading answers.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"number of respondents must be a whole number of 0 or more, got {n!r}")
    if len(element_sums) != ELEMENT_COUNT:
        raise ValueError(f"expected {ELEMENT_COUNT} element sums (U1..U9), got {len(element_sums)}")
    for (code, _), total in zip(ELEMENTS, element_sums, strict=True):
        if not MIN_ANSWER * n <= total <= MAX_ANSWER * n:
            raise ValueError(
                f"sum for {code} must be between {MIN_ANSWER * n} and {MAX_ANSWER * n} "
                f"for {n} respondents answering 1..4, got {total}"
            )
    if n == 0:
        return IkmResult(n=0, nrr=(None,) * ELEMENT_COUNT, ikm=None, mutu=None, kinerja=None)

    with localcontext() as ctx:
        ctx.prec = _NRR_PRECISION
        nrr = tuple(Decimal(total) / Decimal(n) for total in element_sums)
    # Σ NRR × 1/9 × 25 = 25 × Σ sums / (9n), kept as an exact fraction.
    exact_ikm = Fraction(25 * sum(element_sums), ELEMENT_COUNT * n)
    ikm = round_half_up(exact_ikm)
    mutu, kinerja = classify(ikm)
    return IkmResult(n=n, nrr=nrr, ikm=ikm, mutu=mutu, kinerja=kinerja)


def compute_ikm(answers: Iterable[Sequence[int]]) -> IkmResult:
    """IKM from individual responses, each a sequence of 9 answers 1..4 in the order U1..U9."""
    n = 0
    sums = [0] * ELEMENT_COUNT
    for row, response in enumerate(answers):
        if len(response) != ELEMENT_COUNT:
            raise ValueError(f"response {row} has {len(response)} answers; expected {ELEMENT_COUNT} (U1..U9)")
        for i, answer in enumerate(response):
            valid = isinstance(answer, int) and not isinstance(answer, bool)
            if not valid or not MIN_ANSWER <= answer <= MAX_ANSWER:
                raise ValueError(
                    f"response {row} answer for {ELEMENTS[i][0]} must be a whole number 1..4, got {answer!r}"
                )
            sums[i] += answer
        n += 1
    return ikm_from_totals(n, sums)


def min_sample(population: int | None) -> int:
    """Krejcie & Morgan minimum number of respondents, rounded to the nearest integer (half up).

    An unknown population needs the table's maximum, 384.
    """
    if population is None:
        return KM_UNKNOWN_POPULATION
    if isinstance(population, bool) or not isinstance(population, int):
        raise ValueError(f"population must be a whole number or None, got {population!r}")
    if population < 1:
        raise ValueError(f"population must be at least 1, got {population}")
    spread = KM_CHI_SQUARE * KM_P * (1 - KM_P)
    size = spread * population / (KM_D**2 * (population - 1) + spread)
    return int(round_half_up(size, 0))


def period_min_sample(population_per_month: int | None, *, months: int) -> int:
    """The minimum sample for a period of `months` months: a unit's population is counted per month, so a
    quarter serves 3× and a year 12× as many people (DOMAIN.md §2); unknown stays the table's 384."""
    if population_per_month is None:
        return min_sample(None)
    return min_sample(population_per_month * months)


# DOMAIN.md §2 "The individual's satisfaction indicator": only U6 Kompetensi Pelaksana and U7 Perilaku
# Pelaksana judge the person who served; the value counts toward a suggestion from this many answers on.
INDIVIDUAL_ELEMENTS = ("U6", "U7")
INDIVIDUAL_MIN_ANSWERS = 10
_CODES = tuple(code for code, _ in ELEMENTS)
_INDIVIDUAL_INDEXES = tuple(_CODES.index(code) for code in INDIVIDUAL_ELEMENTS)


def individual_satisfaction(answers: Iterable[Sequence[int]]) -> tuple[int, Decimal | None]:
    """(n, value): 25 × mean(NRR of U6, NRR of U7) over the answers naming a person, exact until it is
    rounded half-up to 2 decimals; None with no answers."""
    rows = [list(response) for response in answers]
    compute_ikm(rows)  # validates every answer the same way as the unit's IKM
    if not rows:
        return 0, None
    total = sum(response[i] for response in rows for i in _INDIVIDUAL_INDEXES)
    return len(rows), round_half_up(Fraction(25 * total, len(_INDIVIDUAL_INDEXES) * len(rows)))
