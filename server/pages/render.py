"""Jinja2 rendering for the pages: one environment, Indonesian formatting, the signed-in user."""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server import clock
from server.config import get_settings

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "web" / "templates"
LOCALE = "id"


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(clock.JAKARTA).date()
    return value


def tanggal(value: date | datetime | str | None) -> str:
    """28 November 2026."""
    if value is None:
        return "–"
    return format_date(_as_date(value), format="d MMMM y", locale=LOCALE)


def tanggal_pendek(value: date | datetime | str | None) -> str:
    """28 Nov 2026 — for cards and tables where space is short (the board uses the same form)."""
    if value is None:
        return "–"
    return format_date(_as_date(value), format="d MMM y", locale=LOCALE)


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


HEALTH_RANK = {"off_track": 0, "at_risk": 1, "on_track": 2}


def attention_order(
    projects: list[dict[str, Any]], latest: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Board order: projects with overdue milestones or open blockers first, then by health, stale
    before fresh, completed last. board.js sorts with the same rule when a card changes."""

    def key(project: dict[str, Any]) -> tuple[int, int, int, int, str]:
        update = latest.get(str(project["id"])) or {}
        overdue = any(m["status"] == "open" and m["days_overdue"] > 0 for m in project["milestones"])
        needs_attention = overdue or bool(update.get("blockers"))
        return (
            project["status"] == "completed",
            not needs_attention,
            HEALTH_RANK.get(project["health"], 3),
            not project["stale"],
            project["name"].lower(),
        )

    return sorted(projects, key=key)


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
)
environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
environment.filters.update(tanggal=tanggal, tanggal_pendek=tanggal_pendek, waktu=waktu, angka=angka)
environment.globals.update(
    attention_order=attention_order, now=clock.now, stale_days=lambda: get_settings().stale_after_days
)


@dataclass(frozen=True)
class Viewer:
    """What the pages show of the signed-in user: plain values, so that an error page can still be
    rendered after the request's transaction was rolled back (which expires the ORM object)."""

    id: int
    name: str
    role: str
    unit_id: int


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", getattr(request.state, "viewer", None))
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    context["request"] = request
    html = environment.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


def render_error(request: Request, status_code: int, detail: str) -> HTMLResponse:
    """The friendly error page; error.html holds the (translatable) title and advice per status code.
    A 404 never says more than "not found" (it must not confirm that a hidden resource exists), so
    the domain's detail is not shown for it."""
    return render(
        request,
        "error.html",
        status_code=status_code,
        title=None,
        detail=None if status_code == 404 else detail,
        code=status_code,
    )
