"""`attempt`, the one way a page form calls a service: a refusal the person can fix becomes a message."""

import pytest
from pydantic import BaseModel

from server.errors import Conflict, Forbidden, Invalid
from server.pages.forms import attempt


class _Session:
    """Records what attempt does to the request's session."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def rollback(self) -> None:
        self.calls.append("rollback")

    async def refresh(self, instance: object) -> None:
        self.calls.append(f"refresh {instance}")


def _raising(exc: Exception):
    async def action() -> None:
        raise exc

    return action


async def test_success_returns_the_result_and_leaves_the_session_alone():
    session = _Session()

    async def action() -> int:
        return 7

    assert await attempt(action, session=session) == (7, None)  # type: ignore[arg-type]
    assert session.calls == []


async def test_a_refusal_is_a_message_with_its_status_and_undoes_the_flush():
    session = _Session()
    result, problem = await attempt(_raising(Invalid("Bad")), session=session, reload=("user",))  # type: ignore[arg-type]
    assert result is None and problem == "Bad" and problem.status_code == 422
    assert session.calls == ["rollback", "refresh user"]


async def test_a_status_the_form_shows_keeps_its_own_code():
    _, problem = await attempt(_raising(Conflict("Taken")), session=_Session(), shown=(409, 422))  # type: ignore[arg-type]
    assert problem == "Taken" and problem.status_code == 409


@pytest.mark.parametrize("exc", [Conflict("Taken"), Forbidden()])
async def test_a_status_the_form_does_not_show_goes_to_the_error_handler(exc):
    session = _Session()
    with pytest.raises(type(exc)):
        await attempt(_raising(exc), session=session)  # type: ignore[arg-type]
    assert session.calls == []  # the request boundary rolls back


async def test_a_validation_error_is_a_422_message():
    class Body(BaseModel):
        n: int

    async def action() -> Body:
        return Body(n="x")  # type: ignore[arg-type]

    _, problem = await attempt(action, session=_Session())  # type: ignore[arg-type]
    assert problem is not None and problem.status_code == 422 and "integer" in problem
