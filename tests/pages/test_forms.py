"""`attempt`, the one way a page form calls a service: a refusal the person can fix becomes a message."""

from decimal import Decimal
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from server.errors import Conflict, Forbidden, Invalid
from server.pages.forms import attempt, validation_problem


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


async def test_a_validation_error_is_a_422_message_in_the_pages_words():
    class Body(BaseModel):
        progress_pct: int

    async def action() -> Body:
        return Body(progress_pct="x")  # type: ignore[arg-type]

    _, problem = await attempt(action, session=_Session())  # type: ignore[arg-type]
    assert problem == "Persentase kemajuan: harus berupa bilangan bulat." and problem.status_code == 422


class _Unit(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    population: int | None = Field(default=None, ge=1, le=10_000_000)
    rating: Literal["above", "meets", "below"] = "meets"
    weight: Decimal = Decimal(1)

    @field_validator("weight")
    @classmethod
    def _whole(cls, value: Decimal) -> Decimal:
        if value % 1:
            raise ValueError("Weight must be a whole number")
        return value


def _problem(**values) -> str:
    try:
        _Unit(**values)
    except ValidationError as exc:
        return validation_problem(exc)
    raise AssertionError("the model took it")


def test_each_broken_rule_is_named_with_its_field_and_limit():
    assert _problem(name="") == "Nama: wajib diisi."
    assert _problem(name="B" * 201) == "Nama: paling banyak 200 karakter."
    assert _problem(name="B", population=0) == "Populasi layanan: paling kecil 1."
    assert _problem(name="B", population=20_000_000) == "Populasi layanan: paling besar 10.000.000."
    assert _problem(name="B", rating="great") == "Rating perilaku kerja: pilih salah satu dari daftar."
    assert _problem() == "Nama: wajib diisi."
    both = _problem(name="B" * 201, population=0)
    assert both == "Nama: paling banyak 200 karakter; Populasi layanan: paling kecil 1."


def test_a_rule_the_model_words_itself_is_said_in_its_own_words():
    assert _problem(name="B", weight=Decimal("1.5")) == "Weight must be a whole number."
