"""Running a form's service call: a rule the input breaks becomes a message for the page (422, and any
other status the form lists in `shown`); anything else (403, 404, 409 ...) goes to the error handler
like in the API.

    unit, problem = await attempt(lambda: accounts.create_unit(session, data=data), session=session)
    if problem:
        return await _units(request, session, status_code=problem.status_code, form=form, detail=problem)
    return RedirectResponse(...)
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import PantauError

T = TypeVar("T")


class Problem(str):
    """The message the page shows (render words it in the page's language), and the status it answers
    with: 422, or the refusal's own status (409 ...) when the form shows that too."""

    status_code: int

    def __new__(cls, message: str, status_code: int = 422) -> "Problem":
        problem = super().__new__(cls, message)
        problem.status_code = status_code
        return problem


def validation_message(exc: ValidationError) -> str:
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


async def attempt(
    action: Callable[[], Awaitable[T]],
    *,
    session: AsyncSession,
    shown: tuple[int, ...] = (422,),
    reload: tuple[object, ...] = (),
) -> tuple[T | None, Problem | None]:
    """(result, None) on success, or (None, problem) when the input broke a rule a person can fix.

    A refusal also undoes what the call flushed in `session`, so the request does not commit half a
    change when the page is drawn again; the rollback expires the session's objects, and those in
    `reload` (the signed-in user the page is drawn for) are loaded again."""
    try:
        return await action(), None
    except ValidationError as exc:
        problem = Problem(validation_message(exc))
    except PantauError as exc:
        if exc.status_code not in shown:
            raise
        problem = Problem(str(exc.detail), exc.status_code)
    await session.rollback()
    for instance in reload:
        await session.refresh(instance)
    return None, problem
