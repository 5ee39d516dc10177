"""Assessment periods (month, quarter, year) bucketed by the calendar in Asia/Jakarta (WIB).

Timestamps are stored in UTC, but a period is the wall calendar in WIB (UTC+7): 2026-11-30T16:30Z is
23:30 WIB on 30 November (period 2026-11), while 2026-11-30T17:00Z is already 1 December (2026-12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from server import clock
from server.clock import JAKARTA

PeriodKind = Literal["month", "quarter", "year"]

MIN_PARSED_YEAR, MAX_PARSED_YEAR = 2000, 2100
# Period objects themselves may leave the parsed range (previous() of 2000-01); keep clear of
# date.min/date.max so the UTC boundaries never overflow.
_MIN_YEAR, _MAX_YEAR = 2, 9998

_NUMBER_RANGE = {"month": (1, 12), "quarter": (1, 4), "year": (1, 1)}
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER_RE = re.compile(r"([0-9]{4})-[Qq]([0-9])")
_YEAR_RE = re.compile(r"([0-9]{4})")


class InvalidPeriod(ValueError):
    """A period string that is not one of the accepted forms."""

    def __init__(self, text: str, problem: str | None = None) -> None:
        detail = f"{problem}; " if problem else ""
        super().__init__(
            f"invalid period {text!r}: {detail}use a month like 2026-11, a quarter like 2026-Q4 "
            f"or a year like 2026 (years {MIN_PARSED_YEAR}-{MAX_PARSED_YEAR})"
        )


@dataclass(frozen=True, order=True)
class Period:
    """A month, quarter or year; `number` is the month 1..12, the quarter 1..4, or 1 for a year."""

    kind: PeriodKind
    year: int
    number: int

    def __post_init__(self) -> None:
        if self.kind not in _NUMBER_RANGE:
            raise ValueError(f"period kind must be month, quarter or year, got {self.kind!r}")
        if not _MIN_YEAR <= self.year <= _MAX_YEAR:
            raise ValueError(f"period year must be between {_MIN_YEAR} and {_MAX_YEAR}, got {self.year}")
        low, high = _NUMBER_RANGE[self.kind]
        if not low <= self.number <= high:
            raise ValueError(f"{self.kind} number must be between {low} and {high}, got {self.number}")

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    @property
    def first_day(self) -> date:
        if self.kind == "month":
            return date(self.year, self.number, 1)
        if self.kind == "quarter":
            return date(self.year, 3 * (self.number - 1) + 1, 1)
        return date(self.year, 1, 1)

    @property
    def _day_after(self) -> date:
        last_month = self.months()[-1]
        if last_month.number == 12:
            return date(self.year + 1, 1, 1)
        return date(self.year, last_month.number + 1, 1)

    @property
    def last_day(self) -> date:
        """The last day inside the period (inclusive)."""
        return self._day_after - timedelta(days=1)

    @property
    def start_utc(self) -> datetime:
        """Jakarta midnight starting the period, as an aware UTC datetime (inclusive)."""
        return _jakarta_midnight_utc(self.first_day)

    @property
    def end_utc(self) -> datetime:
        """Jakarta midnight after the period, as an aware UTC datetime (exclusive)."""
        return _jakarta_midnight_utc(self._day_after)

    def contains_date(self, d: date) -> bool:
        """Whether the calendar day falls inside; an aware datetime is first converted to its Jakarta date."""
        day = _jakarta_date(d)
        return self.first_day <= day <= self.last_day

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.number > 1:
            return Period(self.kind, self.year, self.number - 1)
        return Period(self.kind, self.year - 1, _NUMBER_RANGE[self.kind][1])

    def months(self) -> list[Period]:
        """The month periods inside this period, in order."""
        if self.kind == "month":
            return [self]
        first = 3 * (self.number - 1) + 1 if self.kind == "quarter" else 1
        count = 3 if self.kind == "quarter" else 12
        return [Period("month", self.year, m) for m in range(first, first + count)]


def _jakarta_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=JAKARTA).astimezone(UTC)


def _jakarta_date(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            # A naive datetime would be read in the server's local zone, which silently shifts periods.
            raise ValueError(f"datetime {moment.isoformat()} has no timezone; pass an aware datetime")
        return moment.astimezone(JAKARTA).date()
    return moment


def today_jakarta(now: datetime | None = None) -> date:
    """Today's date in Asia/Jakarta; `now` (aware) lets callers and tests pin the clock."""
    return _jakarta_date(now if now is not None else clock.now())


def month_of(moment: datetime | date) -> Period:
    """The month period of a date, or of an aware datetime as seen in Jakarta."""
    day = _jakarta_date(moment)
    return Period("month", day.year, day.month)


def parse_period(text: str | None, *, now: datetime | None = None) -> Period:
    """Parse "2026-11", "2026-Q4" or "2026"; None or "" is the current month in Jakarta."""
    if text is None or text == "":
        return month_of(today_jakarta(now))
    if not isinstance(text, str):
        raise InvalidPeriod(repr(text))
    if match := _MONTH_RE.fullmatch(text):
        kind: PeriodKind = "month"
        number = int(match[2])
        if not 1 <= number <= 12:
            raise InvalidPeriod(text, f"month must be 01 to 12, got {match[2]}")
    elif match := _QUARTER_RE.fullmatch(text):
        kind = "quarter"
        number = int(match[2])
        if not 1 <= number <= 4:
            raise InvalidPeriod(text, f"quarter must be Q1 to Q4, got Q{match[2]}")
    elif match := _YEAR_RE.fullmatch(text):
        kind, number = "year", 1
    else:
        raise InvalidPeriod(text)
    year = int(match[1])
    if not MIN_PARSED_YEAR <= year <= MAX_PARSED_YEAR:
        raise InvalidPeriod(text, f"year must be between {MIN_PARSED_YEAR} and {MAX_PARSED_YEAR}, got {year}")
    return Period(kind, year, number)


def recent_periods(period: Period, count: int) -> list[Period]:
    """The `count` periods of the same kind ending with `period`, oldest first."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    result: list[Period] = []
    current = period
    for _ in range(count):
        result.append(current)
        if len(result) < count:
            current = current.previous()
    result.reverse()
    return result
