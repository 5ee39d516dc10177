"""Running a form's service call: a rule the input breaks becomes a message for the page (422, and any
other status the form lists in `shown`); anything else (403, 404, 409 ...) goes to the error handler
like in the API. A page builds the API's own model (UnitCreate, MilestoneClose ...) inside the call, so the
API's rules hold on the page too, and `validation_problem` is the one place that turns a model's refusal
into the page's words.

    unit, problem = await attempt(lambda: accounts.create_unit(session, data=UnitCreate(...)), session=session)
    if problem:
        return await _units(request, session, status_code=problem.status_code, form=form, detail=problem)
    return RedirectResponse(...)
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from babel.numbers import format_decimal
from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import PantauError
from server.pages import i18n
from server.pages.i18n import N_

T = TypeVar("T")


class Problem(str):
    """The message the page shows (render words it in the page's language), and the status it answers
    with: 422, or the refusal's own status (409 ...) when the form shows that too."""

    status_code: int

    def __new__(cls, message: str, status_code: int = 422) -> "Problem":
        problem = super().__new__(cls, message)
        problem.status_code = status_code
        return problem


# What a rule of a model (the API's own) says when a page's input breaks it, by pydantic's error type, in
# the words of the page: Indonesian msgids, worded in the request's language by `validation_problem`.
_RULES = {
    "missing": N_("wajib diisi"),
    "blank": N_("wajib diisi"),
    "string_too_short": N_("paling sedikit %(min_length)s karakter"),
    "string_too_long": N_("paling banyak %(max_length)s karakter"),
    "too_short": N_("pilih paling sedikit %(min_length)s"),
    "too_long": N_("paling banyak %(max_length)s"),
    "greater_than_equal": N_("paling kecil %(ge)s"),
    "less_than_equal": N_("paling besar %(le)s"),
    "greater_than": N_("harus lebih dari %(gt)s"),
    "less_than": N_("harus kurang dari %(lt)s"),
    "literal_error": N_("pilih salah satu dari daftar"),
    "enum": N_("pilih salah satu dari daftar"),
    "int_parsing": N_("harus berupa bilangan bulat"),
    "int_type": N_("harus berupa bilangan bulat"),
    "int_from_float": N_("harus berupa bilangan bulat"),
    "decimal_parsing": N_("harus berupa angka"),
    "float_parsing": N_("harus berupa angka"),
    "finite_number": N_("harus berupa angka"),
    "date_parsing": N_("isi tanggal yang benar"),
    "date_from_datetime_parsing": N_("isi tanggal yang benar"),
    "string_pattern_mismatch": N_("memuat karakter yang tidak diizinkan"),
}
_ANY_OTHER = N_("isiannya tidak dapat dipakai")

# The fields of the API's models that the pages fill, named as the forms label them.
FIELD_LABELS = {
    "name": N_("Nama"),
    "username": N_("Nama pengguna"),
    "nip": N_("NIP"),
    "email": N_("Email"),
    "password": N_("Kata sandi"),
    "role": N_("Peran"),
    "unit_id": N_("Unit"),
    "parent_id": N_("Unit induk"),
    "population": N_("Populasi layanan"),
    "title": N_("Judul"),
    "weight": N_("Bobot"),
    "due_date": N_("Tanggal tenggat"),
    "start_date": N_("Tanggal mulai"),
    "description": N_("Deskripsi"),
    "lead_id": N_("Ketua tim"),
    "supervisor_id": N_("Atasan langsung"),
    "closed_on": N_("Tanggal selesai"),
    "quality": N_("Nilai kualitas"),
    "note": N_("Catatan"),
    "blockers": N_("Kendala"),
    "reason": N_("Alasan"),
    "delivery_reason": N_("Alasan"),
    "progress_pct": N_("Persentase kemajuan"),
    "hasil_kerja": N_("Rating hasil kerja"),
    "rating": N_("Rating perilaku kerja"),
    "result": N_("Capaian kinerja organisasi"),
    "values": N_("Catatan per nilai BerAKHLAK"),
    "user_id": N_("Pegawai"),
    "assignee_ids": N_("Penanggung jawab"),
}


def validation_problem(exc: ValidationError) -> Problem:
    """The page's inline message (422) for a model that refused the page's input: each broken rule with
    the field it concerns, in the request's language. A rule the model words itself (a NIP's check
    digits, a weak password) is said in its own words, localised like every message from the domain."""
    return errors_problem(exc.errors())


# Where FastAPI says a refused value came from; the field is what follows.
_SOURCES = {"body", "query", "path", "header", "cookie"}


def errors_problem(errors: Sequence[Mapping[str, Any]]) -> Problem:
    """validation_problem for pydantic's error list, also FastAPI's for a request (whose locations
    start with "body", "query" ...): the error page says the rule in the page's words too, never
    pydantic's English ("String should have at least 1 character")."""
    locale = i18n.current_locale()
    parts = []
    for error in errors:
        loc = tuple(error.get("loc") or ())
        if loc and loc[0] in _SOURCES:
            loc = loc[1:]
        context = error.get("ctx") or {}
        kind = error["type"]
        if kind == "string_too_short" and context.get("min_length") == 1:
            kind = "missing"  # an empty field: "at least 1 character" says it less plainly
        if kind == "value_error":
            said = i18n.localise_message(str(context.get("error", error["msg"])), locale)
        else:
            values = {key: _shown(value, locale) for key, value in context.items()}
            try:
                said = i18n.translate(_RULES.get(kind, _ANY_OTHER), locale, **values)
            except (KeyError, ValueError):  # a rule whose context lacks a value its message names
                said = i18n.translate(_ANY_OTHER, locale)
        field = str(loc[0]) if loc and kind != "value_error" else ""
        label = FIELD_LABELS.get(field)  # a rule the model words itself says which field it means
        said = said.rstrip(". ")
        parts.append(f"{i18n.translate(label, locale)}: {said}" if label else said[:1].upper() + said[1:])
    return Problem("; ".join(dict.fromkeys(parts)) + ".")


def request_problem(request: Request, errors: Sequence[Mapping[str, Any]]) -> Problem:
    """errors_problem in the request's language, for the error page drawn outside a page handler."""
    token = i18n.activate(i18n.request_locale(request))
    try:
        return errors_problem(errors)
    finally:
        i18n.deactivate(token)


def _shown(value: object, locale: str) -> str:
    """A limit named in a message: a number in the language's notation (4,5 in Indonesian)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return format_decimal(value, locale=locale)
    return str(value)


async def attempt(
    action: Callable[[], Awaitable[T]],
    *,
    session: AsyncSession,
    shown: tuple[int, ...] = (422,),
    reload: tuple[object, ...] = (),
) -> tuple[T | None, Problem | None]:
    """(result, None) on success, or (None, problem) when the input broke a rule a person can fix.

    A refusal also undoes what the call flushed in `session`, so the request does not commit half a
    change when the page is drawn again (the board events it queued are forgotten with it:
    server/realtime/events.py); the rollback expires the session's objects, and those in `reload`
    (the signed-in user the page is drawn for) are loaded again."""
    try:
        return await action(), None
    except ValidationError as exc:
        problem = validation_problem(exc)
    except PantauError as exc:
        if exc.status_code not in shown:
            raise
        problem = Problem(str(exc.detail), exc.status_code)
    await session.rollback()
    for instance in reload:
        await session.refresh(instance)
    return None, problem
