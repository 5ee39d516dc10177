"""Jinja2 rendering for the pages: one environment, Indonesian formatting, the signed-in user."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server import clock

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "web" / "templates"
LOCALE = "id"


def tanggal(value: date | datetime | str | None) -> str:
    """28 November 2026."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(clock.JAKARTA).date()
    return format_date(value, format="d MMMM y", locale=LOCALE)


def waktu(value: datetime | str | None) -> str:
    """28 Nov 2026 14.05 WIB."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return format_datetime(value, format="d MMM y HH.mm", tzinfo=clock.JAKARTA, locale=LOCALE) + " WIB"


def angka(value: float | int | None, digits: int = 1) -> str:
    """86,1 — Indonesian decimal comma."""
    if value is None:
        return "–"
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits, locale=LOCALE)


HEALTH_LABELS = {"on_track": "Sesuai jadwal", "at_risk": "Berisiko", "off_track": "Terlambat"}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
)
environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
environment.filters.update(tanggal=tanggal, waktu=waktu, angka=angka)
environment.globals.update(HEALTH_LABELS=HEALTH_LABELS)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    context["request"] = request
    html = environment.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


ERROR_TITLES = {
    403: "Anda tidak memiliki akses ke halaman ini",
    404: "Halaman tidak ditemukan",
    409: "Perubahan tidak dapat disimpan",
    422: "Isian belum benar",
    503: "Layanan sedang tidak tersedia",
}


def render_error(request: Request, status_code: int, detail: str) -> HTMLResponse:
    title = ERROR_TITLES.get(status_code, "Terjadi kesalahan")
    return render(request, "error.html", status_code=status_code, title=title, detail=detail, code=status_code)
