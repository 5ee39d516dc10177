"""The words of the e-mails Pantau sends, in the reader's language: a notification, and the daily digest.

Top level rather than in the notifications core because it words text with the pages' catalogues
(server/pages/i18n.py), which no domain core may import; the outbox (server/notifications/outbox.py) calls
it and stores what it returns, so an e-mail reads the same however late it is sent. The templates are plain
text (web/templates/email/*.txt) and marked for translation like the pages' (`_()`)."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader

from server import resources
from server.config import get_settings
from server.pages import i18n
from server.text import N_, clean_line

# A subject is one line; a long notification is cut at a word, the body carries it whole.
SUBJECT_MAX = 150
SUBJECT_PREFIX = "[Pantau] "


def _environment(locale: str) -> Environment:
    # Plain text: nothing is escaped (a name with "&" stays "&").
    env = Environment(
        loader=FileSystemLoader(resources.TEMPLATES / "email"),
        autoescape=False,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
    )
    env.install_gettext_translations(i18n.TRANSLATIONS[locale], newstyle=True)  # type: ignore[attr-defined]
    return env


ENVIRONMENTS = {locale: _environment(locale) for locale in i18n.LOCALES}


def locale_of(user_locale: str | None) -> str:
    return user_locale if user_locale in i18n.LOCALES else i18n.DEFAULT_LOCALE


@dataclass(frozen=True)
class Line:
    """One notification as an e-mail shows it."""

    text: str
    link: str | None


def notification_text(message: str, params: str | dict[str, Any] | None, locale: str) -> str:
    """A stored notification (msgid and its values) in `locale`; as stored when it cannot be worded."""
    values = json.loads(params) if isinstance(params, str) else (params or {})
    try:
        return i18n.translate(message, locale, **values)
    except (KeyError, ValueError, TypeError):
        return message


def absolute(url: str | None) -> str | None:
    """A page's address as a link in an e-mail: only with PANTAU_PUBLIC_URL, since an e-mail has no
    request to take the host from."""
    base = get_settings().public_url
    if not url or not base:
        return None
    return url if url.startswith(("http://", "https://")) else base + "/" + url.lstrip("/")


def subject_line(text: str) -> str:
    line = clean_line(text)
    if len(line) > SUBJECT_MAX:
        line = line[:SUBJECT_MAX].rsplit(" ", 1)[0] + " …"
    return SUBJECT_PREFIX + line


def render_notification(
    *, name: str, message: str, params: str | dict[str, Any] | None, url: str | None, locale: str | None
) -> tuple[str, str]:
    """The subject and body of the e-mail for one notification."""
    chosen = locale_of(locale)
    text = notification_text(message, params, chosen)
    body = (
        ENVIRONMENTS[chosen].get_template("notification.txt").render(name=name, text=text, link=absolute(url))
    )
    return subject_line(text), body


def render_digest(*, name: str, day: date, items: Sequence[Line], locale: str | None) -> tuple[str, str]:
    """The subject and body of one person's daily digest of `day`'s unread notifications."""
    chosen = locale_of(locale)
    worded_day = format_date(day, format="d MMMM y", locale=chosen)
    subject = i18n.translate(N_("Ringkasan pemberitahuan %(day)s"), chosen, day=worded_day)
    body = (
        ENVIRONMENTS[chosen]
        .get_template("digest.txt")
        .render(name=name, day=worded_day, items=items, home=absolute("/"))
    )
    return SUBJECT_PREFIX + subject, body
