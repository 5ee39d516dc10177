"""Running a form's service call: a rule the input breaks becomes a message for the page (422);
anything else (403, 404, 409 ...) goes to the error handler like in the API."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError

from server.errors import PantauError

T = TypeVar("T")


def validation_message(exc: ValidationError) -> str:
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


async def attempt(
    action: Callable[[], Awaitable[T]], *, shown: tuple[int, ...] = (422,)
) -> tuple[T | None, str | None]:
    """(result, None) on success, or (None, message) when the input broke a rule a person can fix."""
    try:
        return await action(), None
    except ValidationError as exc:
        return None, validation_message(exc)
    except PantauError as exc:
        if exc.status_code not in shown:
            raise
        return None, str(exc.detail)
