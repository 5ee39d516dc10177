from decimal import Decimal
from fractions import Fraction

import pytest

from server.feedback.ikm import (
    ELEMENTS,
    IkmResult,
    classify,
    compute_ikm,
    ikm_from_totals,
    min_sample,
    period_min_sample,
    round_half_up,
)


def spread(total: int) -> list[int]:
    """Nine element sums adding up to `total`, as even as possible."""
    base, extra = divmod(total, 9)
    return [base + 1 if i < extra else base for i in range(9)]


def test_elements_are_the_nine_regulation_elements_in_order() -> None:
    assert [code for code, _ in ELEMENTS] == [f"U{i}" for i in range(1, 10)]
    assert ELEMENTS[0] == ("U1", "Persyaratan")
    assert ELEMENTS[3] == ("U4", "Biaya/Tarif")
    assert ELEMENTS[8] == ("U9", "Sarana dan Prasarana")


@pytest.mark.parametrize(
    ("answer", "ikm", "mutu", "kinerja"),
    [
        (4, Decimal("100.00"), "A", "Sangat Baik"),
        (3, Decimal("75.00"), "C", "Kurang Baik"),  # the regulation, not a bug
        (2, Decimal("50.00"), "D", "Tidak Baik"),
        (1, Decimal("25.00"), "D", "Tidak Baik"),
    ],
)
def test_uniform_answers(answer: int, ikm: Decimal, mutu: str, kinerja: str) -> None:
    result = compute_ikm([[answer] * 9 for _ in range(7)])
    assert result == IkmResult(n=7, nrr=(Decimal(answer),) * 9, ikm=ikm, mutu=mutu, kinerja=kinerja)
    assert str(result.ikm) == str(ikm)


def test_nrr_is_per_element_and_unrounded() -> None:
    result = compute_ikm(
        [[1, 2, 3, 4, 4, 4, 4, 4, 4], [2, 2, 3, 4, 4, 4, 4, 4, 4], [2, 2, 3, 4, 4, 4, 4, 4, 3]]
    )
    assert abs(Fraction(result.nrr[0]) - Fraction(5, 3)) < Fraction(1, 10**25)
    assert abs(Fraction(result.nrr[8]) - Fraction(11, 3)) < Fraction(1, 10**25)
    assert result.nrr[1:8] == (Decimal(2), Decimal(3)) + (Decimal(4),) * 5
    # 25 × (5/3 + 2 + 3 + 4×5 + 11/3) / 9 = 25 × 91 / 27 = 84.259…
    assert result.ikm == Decimal("84.26")
    assert (result.mutu, result.kinerja) == ("B", "Baik")


# n = 5000 respondents makes IKM = 25·T/(9·5000) = T/1800 for a grand total T of all answers.
@pytest.mark.parametrize(
    ("grand_total", "ikm", "mutu"),
    [
        (158958, "88.31", "A"),  # exactly 88.31
        (158949, "88.31", "A"),  # exactly 88.305, rounds half up into A
        (158948, "88.30", "B"),  # 88.30444…
        (158940, "88.30", "B"),  # exactly 88.30
        (137898, "76.61", "B"),  # exactly 76.61
        (137889, "76.61", "B"),  # exactly 76.605
        (137888, "76.60", "C"),  # 76.60444…
        (137880, "76.60", "C"),  # exactly 76.60
        (117000, "65.00", "C"),  # exactly 65.00
        (116991, "65.00", "C"),  # exactly 64.995
        (116990, "64.99", "D"),  # 64.99444…
        (116982, "64.99", "D"),  # exactly 64.99
    ],
)
def test_class_boundaries_apply_to_the_rounded_ikm(grand_total: int, ikm: str, mutu: str) -> None:
    result = ikm_from_totals(5000, spread(grand_total))
    assert str(result.ikm) == ikm
    assert result.mutu == mutu


@pytest.mark.parametrize(
    ("ikm", "expected"),
    [
        (Decimal("100"), ("A", "Sangat Baik")),
        (Decimal("88.31"), ("A", "Sangat Baik")),
        (Decimal("88.305"), ("A", "Sangat Baik")),
        (Decimal("88.30"), ("B", "Baik")),
        (Decimal("88.3049"), ("B", "Baik")),
        (Decimal("76.61"), ("B", "Baik")),
        (Decimal("76.60"), ("C", "Kurang Baik")),
        (Decimal("65.00"), ("C", "Kurang Baik")),
        (Decimal("64.995"), ("C", "Kurang Baik")),
        (Decimal("64.99"), ("D", "Tidak Baik")),
        (Decimal("25"), ("D", "Tidak Baik")),
    ],
)
def test_classify(ikm: Decimal, expected: tuple[str, str]) -> None:
    assert classify(ikm) == expected


@pytest.mark.parametrize("ikm", [Decimal("24.99"), Decimal("100.01"), Decimal("0")])
def test_classify_rejects_values_off_the_scale(ikm: Decimal) -> None:
    with pytest.raises(ValueError, match="between 25 and 100"):
        classify(ikm)


def test_exact_one_ninth_weight_changes_the_class_versus_printed_0_111() -> None:
    # 100 respondents, Σ NRR = 31.79: exact weight gives 88.3055… → 88.31 (A);
    # the printed weight 0.111 would give 31.79 × 0.111 × 25 = 88.217… → 88.22 (B).
    sums = spread(3179)
    result = ikm_from_totals(100, sums)
    assert result.ikm == Decimal("88.31")
    assert result.mutu == "A"
    with_printed_weight = round_half_up(sum(Decimal(s) / 100 for s in sums) * Decimal("0.111") * 25)
    assert with_printed_weight == Decimal("88.22")
    assert classify(with_printed_weight) == ("B", "Baik")


def test_half_up_rounding_of_an_exact_half() -> None:
    # 7 respondents answer all 3s and 1 answers all 4s: NRR 3.125 each, IKM exactly 78.125.
    # Banker's rounding (Decimal's default, and Python's round()) would give 78.12.
    result = compute_ikm([[3] * 9] * 7 + [[4] * 9])
    assert result.nrr == (Decimal("3.125"),) * 9
    assert result.ikm == Decimal("78.13")
    assert round(Decimal("78.125"), 2) == Decimal("78.12")


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("78.125"), 2, "78.13"),
        (Decimal("78.135"), 2, "78.14"),
        (Decimal("78.1249999"), 2, "78.12"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("-2.5"), 0, "-3"),
        (Decimal("-0.001"), 2, "0.00"),
        (Decimal("100"), 2, "100.00"),
        (Fraction(1, 8), 2, "0.13"),
        (Fraction(2, 3), 4, "0.6667"),
        (7, 2, "7.00"),
    ],
)
def test_round_half_up(value: Decimal | Fraction | int, places: int, expected: str) -> None:
    assert str(round_half_up(value, places)) == expected


def test_no_respondents_gives_no_ikm() -> None:
    expected = IkmResult(n=0, nrr=(None,) * 9, ikm=None, mutu=None, kinerja=None)
    assert compute_ikm([]) == expected
    assert ikm_from_totals(0, [0] * 9) == expected


@pytest.mark.parametrize(
    ("n", "sums", "message"),
    [
        (2, [8] * 8, "expected 9 element sums"),
        (2, [8] * 8 + [9], "sum for U9 must be between 2 and 8"),
        (2, [1] + [8] * 8, "sum for U1 must be between 2 and 8"),
        (-1, [0] * 9, "0 or more"),
    ],
)
def test_ikm_from_totals_rejects_impossible_totals(n: int, sums: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ikm_from_totals(n, sums)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([[3] * 8], "response 0 has 8 answers"),
        ([[3] * 9, [3] * 8 + [5]], "response 1 answer for U9 must be a whole number 1..4, got 5"),
        ([[0] + [3] * 8], "response 0 answer for U1 must be a whole number 1..4, got 0"),
        ([[3.0] * 9], "got 3.0"),
    ],
)
def test_compute_ikm_rejects_bad_answers(answers: list[list[int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_ikm(answers)


@pytest.mark.parametrize(
    ("population", "expected"),
    [
        (None, 384),
        (1, 1),
        (10, 10),
        (15, 14),
        (20, 19),
        (50, 44),
        (100, 80),
        (200, 132),
        (500, 217),
        (1000, 278),
        (2000, 322),
        (10000, 370),
        (1_000_000, 384),
    ],
)
def test_min_sample_krejcie_morgan(population: int | None, expected: int) -> None:
    assert min_sample(population) == expected


@pytest.mark.parametrize("population", [0, -5])
def test_min_sample_rejects_empty_population(population: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        min_sample(population)


@pytest.mark.parametrize(
    ("per_month", "months", "expected"),
    [
        (100, 1, 80),
        (100, 3, 169),
        (100, 12, 291),
        (1000, 3, 341),
        (1000, 12, 372),
        (None, 3, 384),
        (None, 12, 384),
    ],
)
def test_a_period_needs_the_sample_of_the_people_served_in_all_its_months(
    per_month, months, expected
) -> None:
    assert period_min_sample(per_month, months=months) == expected
    if per_month is not None:
        assert period_min_sample(per_month, months=months) == min_sample(per_month * months)
