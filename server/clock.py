"""The one source of "now", so that tests can move time instead of sleeping."""

from datetime import UTC, date, datetime

__all__ = ["UTC", "JAKARTA", "now", "today", "freeze"]
from zoneinfo import ZoneInfo

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
