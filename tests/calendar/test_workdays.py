"""Working days and lateness against the due date in force (server/calendar/workdays.py), checked by hand
against the 2026 calendar: 27 Nov is a Friday, 30 Nov a Monday, 4 and 11 Dec Fridays, 9 Dec a Wednesday."""

import random
from datetime import date, timedelta

import pytest

from server.calendar.workdays import (
    DueDateSet,
    is_working_day,
    late_working_days,
    working_days_after,
    working_days_between,
)

NONE: frozenset[date] = frozenset()
D = date.fromisoformat


def test_weekends_and_holidays_are_not_working_days():
    assert is_working_day(D("2026-11-27"), NONE) and is_working_day(D("2026-11-30"), NONE)
    assert not is_working_day(D("2026-11-28"), NONE) and not is_working_day(D("2026-11-29"), NONE)
    assert not is_working_day(D("2026-12-25"), frozenset({D("2026-12-25")}))


@pytest.mark.parametrize(
    ("first", "last", "holidays", "expected"),
    [
        ("2026-11-30", "2026-12-04", NONE, 5),  # Monday to Friday
        ("2026-11-28", "2026-11-29", NONE, 0),  # a weekend
        ("2026-11-27", "2026-11-30", NONE, 2),  # Friday and Monday
        ("2026-12-01", "2026-11-30", NONE, 0),  # an empty range
        (
            "2026-12-01",
            "2026-12-31",
            frozenset({D("2026-12-25"), D("2026-12-26")}),
            22,
        ),  # 23 weekdays, minus Friday 25 Dec; 26 Dec is a Saturday
        ("2026-01-01", "2026-12-31", NONE, 261),
    ],
)
def test_working_days_between(first, last, holidays, expected):
    assert working_days_between(D(first), D(last), holidays) == expected


def test_due_friday_delivered_monday_is_one_working_day_late():
    assert working_days_after(D("2026-11-27"), D("2026-11-30"), NONE) == 1
    assert late_working_days([DueDateSet(D("2026-11-20"), D("2026-11-27"))], D("2026-11-30"), NONE) == 1


def test_nothing_is_late_up_to_the_due_date():
    schedule = [DueDateSet(D("2026-11-20"), D("2026-11-27"))]
    assert late_working_days(schedule, D("2026-11-27"), NONE) == 0
    assert late_working_days(schedule, D("2026-11-01"), NONE) == 0


def test_a_holiday_is_not_a_late_day():
    schedule = [DueDateSet(D("2026-11-20"), D("2026-11-27"))]
    assert late_working_days(schedule, D("2026-12-01"), frozenset({D("2026-11-30")})) == 1


def test_each_day_is_judged_against_the_due_date_in_force_that_day():
    """Due Mon 30 Nov; on Fri 4 Dec moved to Wed 9 Dec; delivered Fri 11 Dec: late 1, 2, 3 Dec against
    30 Nov, and 10, 11 Dec against 9 Dec. 4-9 Dec are not late; 1-3 Dec stay late."""
    schedule = [DueDateSet(D("2026-11-20"), D("2026-11-30")), DueDateSet(D("2026-12-04"), D("2026-12-09"))]
    assert late_working_days(schedule, D("2026-12-11"), NONE) == 5
    assert late_working_days(schedule, D("2026-12-09"), NONE) == 3
    assert late_working_days(list(reversed(schedule)), D("2026-12-11"), NONE) == 5, "any order"


def test_a_date_moved_earlier_applies_only_from_the_day_it_was_set():
    """Due 10 Dec, moved on Mon 7 Dec to Tue 8 Dec, delivered Fri 11 Dec: late 9, 10, 11 Dec only."""
    schedule = [DueDateSet(D("2026-11-20"), D("2026-12-10")), DueDateSet(D("2026-12-07"), D("2026-12-08"))]
    assert late_working_days(schedule, D("2026-12-11"), NONE) == 3


def test_of_two_dates_set_the_same_day_the_later_is_in_force():
    schedule = [
        DueDateSet(D("2026-11-20"), D("2026-11-24")),
        DueDateSet(D("2026-11-23"), D("2026-11-25")),
        DueDateSet(D("2026-11-23"), D("2026-12-04")),
    ]
    assert late_working_days(schedule, D("2026-12-04"), NONE) == 0


def test_days_before_the_first_date_was_set_use_the_first_date():
    schedule = [DueDateSet(D("2026-12-01"), D("2026-11-25"))]
    assert late_working_days(schedule, D("2026-11-30"), NONE) == 3  # 26, 27, 30 Nov


def test_extreme_dates_count_without_overflow():
    assert working_days_between(date.max - timedelta(days=6), date.max, NONE) == 5
    assert late_working_days([DueDateSet(date.min, date.max)], date.max, NONE) == 0


def test_the_counts_equal_a_walk_over_the_days():
    """The arithmetic (whole weeks, then holidays) against the definition, on random schedules."""

    def walked(schedule, end, holidays):
        ordered = sorted(schedule, key=lambda entry: entry.set_on)
        count, day = 0, min(entry.due_date for entry in ordered) + timedelta(days=1)
        while day <= end:
            in_force = ordered[0].due_date
            for entry in ordered:
                if entry.set_on <= day:
                    in_force = entry.due_date
            count += is_working_day(day, holidays) and day > in_force
            day += timedelta(days=1)
        return count

    rng = random.Random(20261130)
    base = D("2026-11-01")
    for _ in range(3000):
        schedule = [
            DueDateSet(base + timedelta(days=rng.randint(0, 60)), base + timedelta(days=rng.randint(0, 60)))
            for _ in range(rng.randint(1, 4))
        ]
        end = base + timedelta(days=rng.randint(0, 90))
        holidays = frozenset(base + timedelta(days=rng.randint(0, 90)) for _ in range(rng.randint(0, 6)))
        assert late_working_days(schedule, end, holidays) == walked(schedule, end, holidays), (schedule, end)
