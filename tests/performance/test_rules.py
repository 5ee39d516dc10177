from decimal import Decimal

import pytest

from server.performance.rules import (
    DEFAULT_TARGETS,
    ORGANISATION_RESULTS,
    PREDIKATS,
    RATING_LABELS_ID,
    RATINGS,
    UNIT_HEAD_SUGGESTION,
    UNRATED,
    Thresholds,
    TimelinessRule,
    achievement_pct,
    classify_achievement,
    distribution_notices,
    distribution_warnings,
    milestone_timeliness,
    percentages,
    predikat,
    suggest_hasil_kerja,
    weighted_quality,
    weighted_timeliness,
)

D = Decimal


def warnings_text(result: str | None, counts: dict[str, int]) -> list[str]:
    """The warnings as the API words them (in Indonesian)."""
    return [warning.text() for warning in distribution_warnings(result, counts)]


def test_vocabularies() -> None:
    assert RATINGS == ("above", "meets", "below")
    assert RATING_LABELS_ID == {
        "above": "Di Atas Ekspektasi",
        "meets": "Sesuai Ekspektasi",
        "below": "Di Bawah Ekspektasi",
    }
    assert PREDIKATS == ("Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
    assert ORGANISATION_RESULTS == ("Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
    assert DEFAULT_TARGETS == {"timeliness": D("90"), "quality": D("4"), "satisfaction": D("76.61")}


# --- predikat matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hasil_kerja", "perilaku", "expected"),
    [
        ("above", "below", "Kurang"),
        ("above", "meets", "Baik"),
        ("above", "above", "Sangat Baik"),
        ("meets", "below", "Kurang"),
        ("meets", "meets", "Baik"),
        ("meets", "above", "Baik"),
        ("below", "below", "Sangat Kurang"),
        ("below", "meets", "Butuh Perbaikan"),
        ("below", "above", "Butuh Perbaikan"),
        (None, "above", None),
        ("above", None, None),
        (None, None, None),
    ],
)
def test_predikat_matrix(hasil_kerja: str | None, perilaku: str | None, expected: str | None) -> None:
    assert predikat(hasil_kerja, perilaku) == expected


@pytest.mark.parametrize(
    ("hasil_kerja", "perilaku", "message"),
    [
        ("good", "meets", "hasil kerja rating must be one of above, meets, below, got 'good'"),
        ("meets", "Sesuai Ekspektasi", "perilaku rating must be one of"),
        (None, "excellent", "perilaku rating"),
    ],
)
def test_predikat_rejects_unknown_ratings(
    hasil_kerja: str | None, perilaku: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        predikat(hasil_kerja, perilaku)


# --- distribution ------------------------------------------------------------------------------------


def counts(sb: int = 0, b: int = 0, bp: int = 0, k: int = 0, sk: int = 0) -> dict[str, int]:
    return {"Sangat Baik": sb, "Baik": b, "Butuh Perbaikan": bp, "Kurang": k, "Sangat Kurang": sk}


def test_percentages_have_all_five_predikats_and_the_unrated_rounded_half_up() -> None:
    assert percentages({"Sangat Baik": 1, "Baik": 2}) == {
        "Sangat Baik": D("33.33"),
        "Baik": D("66.67"),
        "Butuh Perbaikan": D("0.00"),
        "Kurang": D("0.00"),
        "Sangat Kurang": D("0.00"),
        UNRATED: D("0.00"),
    }
    assert percentages(counts(sb=1, b=7)) == counts_pct(D("12.50"), D("87.50"))
    assert percentages({}) == dict.fromkeys((*PREDIKATS, UNRATED), D("0.00"))


def test_percentages_are_of_everyone_counted_the_unrated_included() -> None:
    shares = percentages(counts(sb=1, b=1), unrated=2)
    assert shares["Sangat Baik"] == D("25.00") and shares["Baik"] == D("25.00")
    assert shares[UNRATED] == D("50.00")


def counts_pct(sb: Decimal, b: Decimal) -> dict[str, Decimal]:
    return {**dict.fromkeys((*PREDIKATS, UNRATED), D("0.00")), "Sangat Baik": sb, "Baik": b}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"Excellent": 1}, "unknown predikat 'Excellent'"),
        ({"Baik": -1}, "count for Baik must be a whole number of 0 or more, got -1"),
        ({"Baik": 1.5}, "count for Baik"),
    ],
)
def test_counts_are_checked(bad: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        percentages(bad)
    with pytest.raises(ValueError, match=message):
        distribution_warnings("Baik", bad)


@pytest.mark.parametrize(
    ("result", "distribution", "expected"),
    [
        # Istimewa: Sangat Baik at most 70%.
        ("Istimewa", counts(sb=7, b=3), []),
        (
            "Istimewa",
            counts(sb=10),
            ["Predikat Sangat Baik 100% melebihi batas 70% untuk organisasi Istimewa."],
        ),
        (
            "Istimewa",
            counts(sb=8, b=2),
            ["Predikat Sangat Baik 80% melebihi batas 70% untuk organisasi Istimewa."],
        ),
        # Baik: Baik at most 70%; at least one Butuh Perbaikan or Kurang.
        ("Baik", counts(sb=2, b=7, bp=1), []),
        ("Baik", counts(sb=2, b=7, k=1), []),
        (
            "Baik",
            counts(sb=1, b=8, bp=1),
            ["Predikat Baik 80% melebihi batas 70% untuk organisasi Baik."],
        ),
        (
            "Baik",
            counts(sb=3, b=7, sk=1),
            [
                "Tidak ada pegawai berpredikat Butuh Perbaikan atau Kurang; "
                "minimal harus ada satu untuk organisasi Baik."
            ],
        ),
        (
            "Baik",
            counts(b=3),
            [
                "Predikat Baik 100% melebihi batas 70% untuk organisasi Baik.",
                "Tidak ada pegawai berpredikat Butuh Perbaikan atau Kurang; "
                "minimal harus ada satu untuk organisasi Baik.",
            ],
        ),
        # Butuh Perbaikan: Butuh Perbaikan at least 60%; Sangat Baik at most 10%.
        ("Butuh Perbaikan", counts(sb=1, b=3, bp=6), []),
        (
            "Butuh Perbaikan",
            counts(sb=2, b=2, bp=5, k=1),
            [
                "Predikat Butuh Perbaikan 50% di bawah batas minimal 60% untuk organisasi Butuh Perbaikan.",
                "Predikat Sangat Baik 20% melebihi batas 10% untuk organisasi Butuh Perbaikan.",
            ],
        ),
        (
            "Butuh Perbaikan",
            counts(b=1, bp=2),
            [],
        ),
        (
            "Butuh Perbaikan",
            counts(b=2, bp=1),
            ["Predikat Butuh Perbaikan 33,33% di bawah batas minimal 60% untuk organisasi Butuh Perbaikan."],
        ),
        # Kurang: Kurang at least 60%; Butuh Perbaikan at least 10%; Sangat Baik at most 10%.
        ("Kurang", counts(sb=1, b=2, bp=1, k=6), []),
        (
            "Kurang",
            counts(sb=2, b=2, k=6),
            [
                "Predikat Butuh Perbaikan 0% di bawah batas minimal 10% untuk organisasi Kurang.",
                "Predikat Sangat Baik 20% melebihi batas 10% untuk organisasi Kurang.",
            ],
        ),
        (
            "Kurang",
            counts(b=3, bp=2, k=5),
            ["Predikat Kurang 50% di bawah batas minimal 60% untuk organisasi Kurang."],
        ),
        # Sangat Kurang: Sangat Kurang at least 60%; Kurang and/or Butuh Perbaikan at least 10% combined;
        # no Sangat Baik.
        ("Sangat Kurang", counts(b=3, k=1, sk=6), []),
        ("Sangat Kurang", counts(b=2, bp=1, k=1, sk=6), []),
        ("Sangat Kurang", counts(b=1, bp=1, k=1, sk=17), []),  # 5% + 5% = 10% combined
        (
            "Sangat Kurang",
            counts(b=3, bp=1, sk=16),
            [
                "Predikat Kurang dan/atau Butuh Perbaikan 5% di bawah batas minimal 10% "
                "untuk organisasi Sangat Kurang."
            ],
        ),
        (
            "Sangat Kurang",
            counts(sb=1, b=1, bp=2, sk=16),
            [
                "Ada 1 pegawai (5%) berpredikat Sangat Baik; "
                "predikat Sangat Baik tidak boleh ada untuk organisasi Sangat Kurang."
            ],
        ),
        (
            "Sangat Kurang",
            counts(sb=1, b=9),
            [
                "Predikat Sangat Kurang 0% di bawah batas minimal 60% untuk organisasi Sangat Kurang.",
                "Predikat Kurang dan/atau Butuh Perbaikan 0% di bawah batas minimal 10% "
                "untuk organisasi Sangat Kurang.",
                "Ada 1 pegawai (10%) berpredikat Sangat Baik; "
                "predikat Sangat Baik tidak boleh ada untuk organisasi Sangat Kurang.",
            ],
        ),
        # No organisation result or nobody with a predikat: nothing to check.
        (None, counts(sb=10), []),
        ("Istimewa", counts(), []),
        ("Baik", {}, []),
    ],
)
def test_distribution_warnings(result: str | None, distribution: dict[str, int], expected: list[str]) -> None:
    assert warnings_text(result, distribution) == expected


def test_distribution_limits_are_inclusive() -> None:
    assert warnings_text("Istimewa", counts(sb=70, b=30)) == []
    assert warnings_text("Istimewa", counts(sb=71, b=29)) != []
    assert warnings_text("Butuh Perbaikan", counts(sb=10, bp=60, b=30)) == []
    assert warnings_text("Butuh Perbaikan", counts(sb=10, bp=59, b=31)) != []


def test_no_sangat_baik_is_judged_on_head_count_not_rounded_share() -> None:
    # 1 of 30,000 is 0.0033%, which rounds to 0.00%, yet the rule says none at all.
    warnings = warnings_text("Sangat Kurang", counts(sb=1, k=5000, sk=24999))
    assert warnings == [
        "Ada 1 pegawai (<0,01%) berpredikat Sangat Baik; "
        "predikat Sangat Baik tidak boleh ada untuk organisasi Sangat Kurang."
    ]


def test_unknown_organisation_result_is_rejected() -> None:
    with pytest.raises(ValueError, match="organisation result must be one of Istimewa, Baik"):
        distribution_warnings("Excellent", counts(b=1))


def test_unrated_staff_make_the_check_provisional_and_count_in_every_share() -> None:
    # 6 of 10 rated Butuh Perbaikan would pass on the rated alone (100%); of all 10 it is 60%: it holds,
    # but the check says it is provisional and how many are missing.
    assert [w.text() for w in distribution_warnings("Butuh Perbaikan", counts(bp=6), unrated=4)] == [
        "Sementara: 4 dari 10 pegawai belum berpredikat, sehingga pemeriksaan distribusi ini belum final."
    ]
    # 5 of 10: rated alone it would be 100% and hide the warning; counted of everyone, it shows.
    assert [w.text() for w in distribution_warnings("Butuh Perbaikan", counts(bp=5), unrated=5)] == [
        "Sementara: 5 dari 10 pegawai belum berpredikat, sehingga pemeriksaan distribusi ini belum final.",
        "Predikat Butuh Perbaikan 50% di bawah batas minimal 60% untuk organisasi Butuh Perbaikan.",
    ]


def test_unrated_staff_alone_still_give_a_provisional_warning() -> None:
    assert len(distribution_warnings("Istimewa", {}, unrated=3)) == 1
    assert distribution_warnings(None, {}, unrated=3) == []


@pytest.mark.parametrize(
    ("result", "distribution", "unrated", "expected"),
    [
        ("Istimewa", counts(sb=6, b=4), 0, []),
        (
            "Istimewa",
            counts(sb=5, b=5),
            0,
            [
                "Predikat Sangat Baik 50% belum merupakan sebagian besar (lebih dari 50%) seperti yang "
                "dimaksud SE MenPANRB 03/2023 untuk organisasi Istimewa."
            ],
        ),
        ("Baik", counts(sb=1, b=4, bp=1), 0, []),  # Baik 66.67%: the majority
        (
            "Baik",
            counts(sb=2, b=2, bp=1),
            1,
            [
                "Predikat Baik 33,33% belum merupakan sebagian besar (lebih dari 50%) seperti yang "
                "dimaksud SE MenPANRB 03/2023 untuk organisasi Baik."
            ],
        ),
        ("Butuh Perbaikan", counts(b=10), 0, []),  # that rule has no "sebagian besar" clause
        (None, counts(b=1), 0, []),
        ("Istimewa", {}, 0, []),
    ],
)
def test_a_notice_when_the_most_predikat_is_not_the_majority(
    result: str | None, distribution: dict[str, int], unrated: int, expected: list[str]
) -> None:
    assert [n.text() for n in distribution_notices(result, distribution, unrated)] == expected


# --- timeliness and quality ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_late", "rule", "expected"),
    [
        (0, TimelinessRule(), D("100")),
        (1, TimelinessRule(), D("95")),
        (3, TimelinessRule(), D("85")),
        (20, TimelinessRule(), D("0")),
        (30, TimelinessRule(), D("0")),
        (30, TimelinessRule(floor=D("40")), D("40")),
        (3, TimelinessRule(penalty_per_day=D("2.5")), D("92.5")),
        (365, TimelinessRule(penalty_per_day=D("0")), D("100")),
    ],
)
def test_milestone_timeliness(days_late: int, rule: TimelinessRule, expected: Decimal) -> None:
    assert milestone_timeliness(days_late, rule) == expected


def test_timeliness_defaults() -> None:
    assert TimelinessRule() == TimelinessRule(penalty_per_day=D("5"), floor=D("0"))
    assert milestone_timeliness(3) == D("85")


@pytest.mark.parametrize("days_late", [-1, 1.5, True])
def test_milestone_timeliness_rejects_bad_days(days_late: int) -> None:
    with pytest.raises(ValueError, match="days_late must be a whole number of 0 or more"):
        milestone_timeliness(days_late, TimelinessRule())


@pytest.mark.parametrize(
    ("penalty", "floor", "message"),
    [(D("-1"), D("0"), "penalty_per_day"), (D("5"), D("101"), "floor"), (D("5"), D("-1"), "floor")],
)
def test_timeliness_rule_is_validated(penalty: Decimal, floor: Decimal, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TimelinessRule(penalty_per_day=penalty, floor=floor)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], None),
        ([(1, 0)], D("100.00")),
        ([(1, 0), (1, 3)], D("92.50")),
        ([(3, 0), (1, 30)], D("75.00")),  # (3×100 + 1×0) / 4
        ([(1, 0), (1, 1), (1, 3)], D("93.33")),  # 280 / 3
        ([(D("0.5"), 0), (D("1.5"), 2)], D("92.50")),  # (50 + 135) / 2
        ([(2, 1), (1, 2)], D("93.33")),  # (190 + 90) / 3 = 93.333…
    ],
)
def test_weighted_timeliness(items: list[tuple[int | Decimal, int]], expected: Decimal | None) -> None:
    assert weighted_timeliness(items, TimelinessRule()) == expected


def test_weighted_timeliness_accepts_a_generator_and_a_custom_rule() -> None:
    items = ((w, d) for w, d in [(1, 3), (1, 30)])
    assert weighted_timeliness(items, TimelinessRule(floor=D("50"))) == D("67.50")


@pytest.mark.parametrize(
    ("items", "error", "message"),
    [
        ([(0, 1)], ValueError, "weight must be greater than 0"),
        ([(-1, 1)], ValueError, "weight must be greater than 0"),
        ([(1.5, 1)], TypeError, "weight must be an int or Decimal, got float"),
    ],
)
def test_weighted_timeliness_rejects_bad_weights(items: list, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        weighted_timeliness(items, TimelinessRule())


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], None),
        ([(1, 4)], D("4.00")),
        ([(1, 5), (1, 4)], D("4.50")),
        ([(3, 5), (1, 1)], D("4.00")),
        ([(1, 5), (1, 4), (1, 4)], D("4.33")),
        ([(1, 5), (2, 4)], D("4.33")),
        ([(1, 1), (2, 2)], D("1.67")),  # 5/3 = 1.666…
        ([(D("2.5"), 3), (D("0.5"), 5)], D("3.33")),  # 10 / 3
    ],
)
def test_weighted_quality(items: list[tuple[int | Decimal, int]], expected: Decimal | None) -> None:
    assert weighted_quality(items) == expected


@pytest.mark.parametrize("quality", [0, 6, 4.5, None])
def test_weighted_quality_rejects_scores_off_the_scale(quality: int) -> None:
    with pytest.raises(ValueError, match="quality must be a whole number 1..5"):
        weighted_quality([(1, quality)])


# --- achievement and suggestion -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (D("90"), D("90"), D("100.00")),
        (D("99"), D("90"), D("110.00")),
        (D("4.5"), D("4"), D("112.50")),
        (D("80"), D("76.61"), D("104.43")),  # 104.42500978…
        (D("1"), D("3"), D("33.33")),
        (D("2"), D("3"), D("66.67")),
        (D("0"), D("90"), D("0.00")),
        (None, D("90"), None),
        (D("90"), None, None),
        (D("90"), D("0"), None),
    ],
)
def test_achievement_pct(value: Decimal | None, target: Decimal | None, expected: Decimal | None) -> None:
    assert achievement_pct(value, target) == expected


def test_achievement_rounds_half_up() -> None:
    # 1.00005 / 1 × 100 = 100.005 exactly
    assert achievement_pct(D("1.00005"), D("1")) == D("100.01")


@pytest.mark.parametrize(
    ("achievement", "expected"),
    [
        (D("110"), "above"),
        (D("110.00"), "above"),
        (D("109.99"), "meets"),
        (D("90"), "meets"),
        (D("89.99"), "below"),
        (D("0"), "below"),
    ],
)
def test_each_indicator_is_classified_on_its_own(achievement: Decimal, expected: str) -> None:
    assert classify_achievement(achievement, Thresholds()) == expected


@pytest.mark.parametrize(
    ("achievements", "expected"),
    [
        ([D("110")], "above"),
        ([D("109.99")], "meets"),
        ([D("90")], "meets"),
        ([D("89.99")], "below"),
        # The case: timeliness 83% of target beside quality 5 of 4 (125%). The mean (104%) said
        # "meets" and a strong quality could lift it to "above"; one below and one above is "meets".
        ([D("83"), D("125")], "meets"),
        ([D("83"), D("150"), D("150")], "meets"),  # more than half above, but one below: not above
        ([D("120"), D("115"), D("100")], "above"),  # two of three above, none below
        ([D("120"), D("100")], "meets"),  # half above is not more than half
        ([D("80"), D("70"), D("120")], "below"),  # two of three below
        ([D("80"), D("120")], "meets"),  # half below is not more than half
        ([D("100"), None, D("79.98")], "meets"),  # None is skipped, not counted as 0
        ([None, None], None),
        ([], None),
    ],
)
def test_suggest_hasil_kerja_by_the_majority_of_classified_indicators(
    achievements: list[Decimal | None], expected: str | None
) -> None:
    assert suggest_hasil_kerja(achievements, Thresholds()) == expected


@pytest.mark.parametrize(
    ("achievement", "expected"),
    [(D("100"), "above"), (D("99.99"), "meets"), (D("80"), "meets"), (D("79.99"), "below")],
)
def test_suggest_hasil_kerja_custom_thresholds(achievement: Decimal, expected: str) -> None:
    assert suggest_hasil_kerja([achievement], Thresholds(above=D("100"), meets=D("80"))) == expected


def test_suggest_accepts_a_generator() -> None:
    assert suggest_hasil_kerja(a for a in [D("111"), None]) == "above"


def test_a_unit_heads_suggestion_follows_the_organisation_result() -> None:
    assert UNIT_HEAD_SUGGESTION == {
        "Istimewa": "above",
        "Baik": "meets",
        "Butuh Perbaikan": "below",
        "Kurang": "below",
        "Sangat Kurang": "below",
    }
    assert set(UNIT_HEAD_SUGGESTION) == set(ORGANISATION_RESULTS)


@pytest.mark.parametrize(
    ("above", "meets", "message"),
    [
        (D("110"), D("120"), r"threshold above \(110\) must be higher than meets \(120\)"),
        (D("100"), D("100"), r"threshold above \(100\) must be higher than meets \(100\)"),
        (D("110"), D("0"), "thresholds must be more than 0"),
        (D("0"), D("-5"), "thresholds must be more than 0"),
    ],
)
def test_thresholds_are_validated(above: Decimal, meets: Decimal, message: str) -> None:
    assert Thresholds() == Thresholds(above=D("110"), meets=D("90"))
    with pytest.raises(ValueError, match=message):
        Thresholds(above=above, meets=meets)


def test_combined_share_is_rounded_once() -> None:
    # Kurang + Butuh Perbaikan = 2 of 30 = 6.666…% → 6.67%, not 3.33% + 3.33% = 6.66%.
    assert warnings_text("Sangat Kurang", counts(bp=1, k=1, sk=28)) == [
        "Predikat Kurang dan/atau Butuh Perbaikan 6,67% di bawah batas minimal 10% "
        "untuk organisasi Sangat Kurang."
    ]
