"""The one source of "now", so that tests can move time instead of sleeping."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

__all__ = ["UTC", "JAKARTA", "now", "today", "freeze", "set_back_to"]

JAKARTA = ZoneInfo("Asia/Jakarta")

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """Today's date where Pantau's users are: Asia/Jakarta (WIB)."""
    return now().astimezone(JAKARTA).date()


def freeze(moment: datetime | None) -> None:
    """Tests only: pin now() to `moment` (aware), or release it with None."""
    global _frozen
    _frozen = moment


@contextmanager
def set_back_to(day: date) -> Iterator[None]:
    """Tests and the demo loader only: inside the block it is 09:00 WIB on `day` (when `day` is before
    today), so records are made as they would have been made then; the clock is restored after."""
    previous = _frozen
    if day < today():
        freeze(datetime.combine(day, time(9), tzinfo=JAKARTA).astimezone(UTC))
    try:
        yield
    finally:
        freeze(previous)
