"""The one JSON encoding Pantau writes: dates and times in ISO 8601 (UTC as Z), decimals as numbers."""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


def encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python")
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, default=encode, separators=(",", ":"), ensure_ascii=False)


def plain(value: Any) -> Any:
    """The value as plain JSON types, so FastAPI sends decimals as numbers (it would send strings)."""
    return json.loads(dumps(value))
