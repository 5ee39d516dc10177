"""One error base with an HTTP status; domain code raises these, one handler renders them."""

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
