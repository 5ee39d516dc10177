from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from server.calendar.periods import (
    JAKARTA,
    InvalidPeriod,
    Period,
    month_of,
    parse_period,
    recent_periods,
    today_jakarta,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("2026-11", Period("month", 2026, 11), "2026-11"),
        ("2026-01", Period("month", 2026, 1), "2026-01"),
        ("2000-12", Period("month", 2000, 12), "2000-12"),
        ("2026-Q4", Period("quarter", 2026, 4), "2026-Q4"),
        ("2026-q1", Period("quarter", 2026, 1), "2026-Q1"),
        ("2026", Period("year", 2026, 1), "2026"),
        ("2100", Period("year", 2100, 1), "2100"),
    ],
)
def test_parse_valid(text: str, expected: Period, canonical: str) -> None:
    period = parse_period(text)
    assert period == expected
    assert str(period) == canonical
    assert parse_period(str(period)) == period


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("2026-1", None),
        ("2026-011", None),
        ("26-11", None),
        ("2026/11", None),
        ("2026-Q", None),
        ("2026-Q10", None),
        ("Q4-2026", None),
        ("november", None),
        (" 2026-11", None),
        ("2026-11\n", None),
        ("2026-11-01", None),
        ("２０２６", None),  # full-width digits
        ("2026-13", "month must be 01 to 12, got 13"),
        ("2026-00", "month must be 01 to 12, got 00"),
        ("2026-Q0", "quarter must be Q1 to Q4, got Q0"),
        ("2026-Q5", "quarter must be Q1 to Q4, got Q5"),
        ("1999", "year must be between 2000 and 2100, got 1999"),
        ("2101-01", "year must be between 2000 and 2100, got 2101"),
    ],
)
def test_parse_invalid_names_the_accepted_forms(text: str, detail: str | None) -> None:
    with pytest.raises(InvalidPeriod) as caught:
        parse_period(text)
    message = str(caught.value)
    assert "2026-11" in message and "2026-Q4" in message and "2026" in message
    assert repr(text) in message
    if detail:
        assert detail in message


def test_invalid_period_is_a_value_error() -> None:
    assert issubclass(InvalidPeriod, ValueError)


@pytest.mark.parametrize("text", [None, ""])
def test_missing_period_is_the_current_jakarta_month(text: str | None) -> None:
    assert parse_period(text, now=utc("2026-11-30T16:59:59")) == Period("month", 2026, 11)
    assert parse_period(text, now=utc("2026-11-30T17:00:00")) == Period("month", 2026, 12)
    assert parse_period(text, now=utc("2026-12-31T17:00:00")) == Period("month", 2027, 1)


def test_missing_period_without_now_uses_the_clock() -> None:
    before = month_of(datetime.now(JAKARTA))
    period = parse_period(None)
    assert period in {before, month_of(datetime.now(JAKARTA))}  # tolerate a run across midnight


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc("2026-11-30T16:30:00"), "2026-11"),  # 23:30 WIB, 30 Nov
        (utc("2026-11-30T17:00:00"), "2026-12"),  # 00:00 WIB, 1 Dec
        (utc("2026-10-31T16:59:59.999999"), "2026-10"),
        (utc("2026-12-31T17:00:00"), "2027-01"),
        (datetime(2026, 12, 1, 0, 30, tzinfo=JAKARTA), "2026-12"),
        (datetime(2026, 11, 30, 20, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-12"),
        (date(2026, 11, 30), "2026-11"),
        (date(2026, 2, 1), "2026-02"),
    ],
)
def test_month_of_uses_the_jakarta_calendar(moment: datetime | date, expected: str) -> None:
    assert str(month_of(moment)) == expected


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        month_of(datetime(2026, 11, 30, 23, 0))
    with pytest.raises(ValueError, match="no timezone"):
        today_jakarta(datetime(2026, 11, 30, 23, 0))


def test_today_jakarta() -> None:
    assert today_jakarta(utc("2026-11-30T16:59:59")) == date(2026, 11, 30)
    assert today_jakarta(utc("2026-11-30T17:00:00")) == date(2026, 12, 1)
    before = datetime.now(JAKARTA).date()
    assert today_jakarta() in {before, datetime.now(JAKARTA).date()}


@pytest.mark.parametrize(
    ("text", "first", "last", "start_utc", "end_utc"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-10-31T17:00:00", "2026-11-30T17:00:00"),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31), "2026-11-30T17:00:00", "2026-12-31T17:00:00"),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), "2028-01-31T17:00:00", "2028-02-29T17:00:00"),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026-01-31T17:00:00", "2026-02-28T17:00:00"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2025-12-31T17:00:00", "2026-03-31T17:00:00"),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30), "2026-03-31T17:00:00", "2026-06-30T17:00:00"),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "2026-06-30T17:00:00", "2026-09-30T17:00:00"),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-09-30T17:00:00", "2026-12-31T17:00:00"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2025-12-31T17:00:00", "2026-12-31T17:00:00"),
    ],
)
def test_bounds(text: str, first: date, last: date, start_utc: str, end_utc: str) -> None:
    period = parse_period(text)
    assert period.first_day == first
    assert period.last_day == last
    assert period.start_utc == utc(start_utc)
    assert period.end_utc == utc(end_utc)
    assert period.start_utc.utcoffset() == timedelta(0)
    assert period.contains_date(first) and period.contains_date(last)
    assert not period.contains_date(first - timedelta(days=1))
    assert not period.contains_date(last + timedelta(days=1))
    # The half-open UTC range and the Jakarta calendar agree at both ends.
    assert month_of(period.start_utc) == period.months()[0]
    assert month_of(period.end_utc - timedelta(microseconds=1)) == period.months()[-1]
    assert month_of(period.end_utc) != period.months()[-1]


def test_contains_date_converts_aware_datetimes_to_jakarta() -> None:
    november = Period("month", 2026, 11)
    assert november.contains_date(utc("2026-11-30T16:30:00"))
    assert not november.contains_date(utc("2026-11-30T17:00:00"))


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("2026-11", "2026-10"),
        ("2026-01", "2025-12"),
        ("2000-01", "1999-12"),
        ("2026-Q2", "2026-Q1"),
        ("2026-Q1", "2025-Q4"),
        ("2026", "2025"),
        ("2000", "1999"),
    ],
)
def test_previous_keeps_the_kind(text: str, previous: str) -> None:
    period = parse_period(text)
    assert str(period.previous()) == previous
    assert period.previous().kind == period.kind
    assert period.previous() < period


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("2026-11", ["2026-11"]),
        ("2026-Q1", ["2026-01", "2026-02", "2026-03"]),
        ("2026-Q4", ["2026-10", "2026-11", "2026-12"]),
        ("2026", [f"2026-{m:02d}" for m in range(1, 13)]),
    ],
)
def test_months(text: str, months: list[str]) -> None:
    assert [str(p) for p in parse_period(text).months()] == months


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        ("2026-02", 4, ["2025-11", "2025-12", "2026-01", "2026-02"]),
        ("2026-Q2", 3, ["2025-Q4", "2026-Q1", "2026-Q2"]),
        ("2026", 2, ["2025", "2026"]),
        ("2026-11", 1, ["2026-11"]),
        ("2026-11", 0, []),
    ],
)
def test_recent_periods_oldest_first(text: str, count: int, expected: list[str]) -> None:
    assert [str(p) for p in recent_periods(parse_period(text), count)] == expected


def test_recent_periods_rejects_negative_count() -> None:
    with pytest.raises(ValueError, match="count"):
        recent_periods(Period("month", 2026, 11), -1)


@pytest.mark.parametrize(
    ("kind", "year", "number", "message"),
    [
        ("month", 2026, 13, "month number must be between 1 and 12, got 13"),
        ("month", 2026, 0, "month number must be between 1 and 12, got 0"),
        ("quarter", 2026, 5, "quarter number must be between 1 and 4, got 5"),
        ("year", 2026, 2, "year number must be between 1 and 1, got 2"),
        ("week", 2026, 1, "period kind must be month, quarter or year"),
        ("year", 10000, 1, "period year must be between"),
    ],
)
def test_period_constructor_validates(kind: str, year: int, number: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Period(kind, year, number)  # type: ignore[arg-type]


def test_periods_sort_chronologically_within_a_kind() -> None:
    months = [Period("month", 2026, 2), Period("month", 2025, 12), Period("month", 2026, 1)]
    assert [str(p) for p in sorted(months)] == ["2025-12", "2026-01", "2026-02"]
    assert len({Period("month", 2026, 1), parse_period("2026-01")}) == 1
