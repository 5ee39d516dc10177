"""Jinja2 rendering: one environment per language, dates and numbers in the page's language, the
signed-in user."""

from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server import clock, resources
from server.config import get_settings
from server.pages import i18n

LOCALE = i18n.DEFAULT_LOCALE


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(clock.JAKARTA).date()
    return value


def long_date(value: date | datetime | str | None, locale: str = LOCALE) -> str:
    """28 November 2026 (the same in English)."""
    if value is None:
        return "–"
    return format_date(_as_date(value), format="d MMMM y", locale=locale)


def short_date(value: date | datetime | str | None, locale: str = LOCALE) -> str:
    """28 Nov 2026 — for cards and tables where space is short (the board uses the same form)."""
    if value is None:
        return "–"
    return format_date(_as_date(value), format="d MMM y", locale=locale)


# Indonesian writes the time with a full stop (14.05), English with a colon.
_TIME = {"id": "HH.mm", "en": "HH:mm"}


def date_time(value: datetime | str | None, locale: str = LOCALE) -> str:
    """28 Nov 2026 14.05 WIB."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    pattern = "d MMM y " + _TIME.get(locale, _TIME[LOCALE])
    return format_datetime(value, format=pattern, tzinfo=clock.JAKARTA, locale=locale) + " WIB"


def number(value: float | int | None, digits: int = 1, locale: str = LOCALE) -> str:
    """86,1 — Indonesian decimal comma (86.1 in English)."""
    if value is None:
        return "–"
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits, locale=locale)


def percent(value: float | int | None, digits: int = 1, locale: str = LOCALE) -> str:
    """86,11% — a number with its percent sign."""
    return "–" if value is None else number(value, digits, locale) + "%"


def _locale_filters(locale: str) -> dict[str, Callable[..., str]]:
    return {
        name: partial(function, locale=locale)
        for name, function in (
            ("long_date", long_date),
            ("short_date", short_date),
            ("date_time", date_time),
            ("number", number),
            ("percent", percent),
        )
    }


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


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(resources.TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )


# The Indonesian environment is the default, and the one other modules register their filters and
# globals on (environment.filters.update(...)). Every other language's environment reads those through
# a ChainMap, over its own translations and its own date and number filters.
environment = _environment()
environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
environment.filters.update(_locale_filters(LOCALE))
environment.globals.update(
    attention_order=attention_order, now=clock.now, stale_days=lambda: get_settings().stale_after_days
)


def _translated_environment(locale: str) -> Environment:
    env = _environment()
    env.filters = ChainMap(_locale_filters(locale), environment.filters)  # type: ignore[assignment]
    env.globals = ChainMap(env.globals, environment.globals)  # type: ignore[assignment]
    env.install_gettext_translations(i18n.TRANSLATIONS[locale], newstyle=True)  # type: ignore[attr-defined]
    return env


ENVIRONMENTS: dict[str, Environment] = {
    locale: environment if locale == LOCALE else _translated_environment(locale) for locale in i18n.LOCALES
}


@dataclass(frozen=True)
class Viewer:
    """What the pages show of the signed-in user: plain values, so that an error page can still be
    rendered after the request's transaction was rolled back (which expires the ORM object)."""

    id: int
    name: str
    role: str
    unit_id: int
    # Staff who supervise someone see "Tim saya" in the header (leaders always do).
    rates_someone: bool = False
    # The bell in the header: how many notifications are unread.
    unread: int = 0


def here(request: Request) -> str:
    """Where the language switch returns to: this page, or for a page drawn in answer to a form, the
    page that sent the form."""
    url = request.url
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc != url.netloc:
            return "/"
        url = url.replace(path=referer.path, query=referer.query)
    return url.path + (f"?{url.query}" if url.query else "")


def _localised(value: Any, locale: str) -> Any:
    if isinstance(value, str):
        return i18n.localise_message(value, locale)
    if isinstance(value, dict):
        return {key: _localised(item, locale) for key, item in value.items()}
    return value


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page in the request's language. The messages it shows from the domain (`error` and `detail`:
    English from the services, or Indonesian from the page code) are put in that language too."""
    locale = i18n.request_locale(request)
    token = i18n.activate(locale)
    try:
        context.setdefault("user", getattr(request.state, "viewer", None))
        context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
        for key in ("error", "detail"):
            if key in context:
                context[key] = _localised(context[key], locale)
        context.update(request=request, locale=locale, here=here(request))
        html = ENVIRONMENTS[locale].get_template(template).render(**context)
    finally:
        i18n.deactivate(token)
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
