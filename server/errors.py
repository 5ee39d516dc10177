"""One error base with an HTTP status; domain code raises these, one handler renders them."""

import math
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel


class PantauError(Exception):
    status_code = 400

    def __init__(self, detail: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail if detail is not None else self.default_detail()

    def default_detail(self) -> str:
        return "Bad request"


class NotAuthenticated(PantauError):
    status_code = 401

    def default_detail(self) -> str:
        return "Not authenticated"


class Forbidden(PantauError):
    status_code = 403

    def default_detail(self) -> str:
        return "You may not do this"


class NotFound(PantauError):
    status_code = 404

    def default_detail(self) -> str:
        return "Not found"


class Conflict(PantauError):
    status_code = 409


class Invalid(PantauError):
    status_code = 422


class Unavailable(PantauError):
    status_code = 503

    def default_detail(self) -> str:
        return "The database is unavailable; try again shortly"


class TooManyRequests(PantauError):
    """Rate limited; the handler sends `retry_after` (whole seconds) as the Retry-After header."""

    status_code = 429

    def __init__(self, detail: Any = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)

    def default_detail(self) -> str:
        return "Too many requests; try again later"


class ErrorBody(BaseModel):
    """Every 4xx/5xx body: a message, or FastAPI's list of validation problems."""

    detail: str | list[dict[str, Any]]


# Documented on every API router, so the OpenAPI document says what clients will really receive.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (401, "Not authenticated: no, invalid or expired credentials"),
        (403, "The caller can see this resource but may not do this to it"),
        (404, "Unknown, or not visible to the caller"),
        (409, "Conflicts with the current state"),
        (413, "The request body is over the route's limit"),
        (422, "Invalid input, with a message a person can act on"),
        (429, "Rate limited; see Retry-After"),
        (503, "The database is unavailable"),
    )
}


# A 422 repeats the offending input so that the caller sees what was refused; a long text is cut here.
ECHO_MAX = 1000
_SURROGATE = re.compile("[\ud800-\udfff]")


def validation_detail(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """FastAPI's 422 `detail` list (type, loc, msg, input, ctx) made valid JSON whatever was sent: a
    NaN or infinite number becomes its name ("nan", "inf"), a text that UTF-8 cannot hold (a lone
    surrogate) gets U+FFFD in its place, an exception or other object in `ctx` becomes its message."""
    return [
        {str(key): _json_safe(value, key == "input") for key, value in dict(error).items()}
        for error in errors
    ]


def _json_safe(value: Any, echo: bool = False) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        text = value[:ECHO_MAX] + "…" if echo and len(value) > ECHO_MAX else value
        return _SURROGATE.sub("\ufffd", text)
    if isinstance(value, bytes):
        return _json_safe(value.decode("utf-8", "replace"), echo)
    if isinstance(value, dict):
        return {str(_json_safe(key)): _json_safe(item, echo) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(item, echo) for item in value]
    return _json_safe(str(value), echo)
