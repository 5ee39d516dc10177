"""The pages' two languages: Bahasa Indonesia, the default, and English.

Templates and page code are written in Indonesian and mark their text for translation: `_()` in the
templates, `gettext()` in Python, and `N_()` for text kept in data and translated where it is shown.
Sentences the domain words with values (indicator explanations, warnings) come as a msgid and its
values; `localise()` words them in the page's language, and the API in Indonesian.
web/locale/en/LC_MESSAGES/messages.po holds the English (`scripts/translations` extracts and merges).
The API speaks English, so web/locale/id/LC_MESSAGES/messages.po holds the Indonesian of the API
messages a page can show (`localise_message`). Both ship inside the package (server/resources.py) and are
compiled in memory at start-up: no .mo files.

A request's language is the signed-in user's own choice, else the `pantau_lang` cookie that the
language switch sets, else the browser's Accept-Language, else Indonesian. Page code that words text
before the template runs reads it from `current_locale()`: a context variable that `page_user` and
`render` set, so it belongs to the one request's task and concurrent requests never share it.
"""

import re
from collections.abc import Callable
from contextvars import ContextVar, Token
from io import BytesIO
from typing import Protocol

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import get_decimal_symbol
from babel.support import NullTranslations, Translations
from starlette.requests import Request

from server import resources
from server.text import N_  # noqa: F401  (re-exported: the pages import it from here)

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
COOKIE = "pantau_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def read_catalog(locale: str) -> Catalog:
    with resources.catalogue(locale).open("rb") as po:
        return read_po(po, locale=locale)


def compile_catalog(catalog: Catalog) -> Translations:
    buffer = BytesIO()
    write_mo(buffer, catalog)  # leaves fuzzy entries out, as msgfmt does
    buffer.seek(0)
    return Translations(buffer)


# Indonesian needs no catalogue: the msgids are Indonesian.
TRANSLATIONS: dict[str, NullTranslations] = {
    "id": NullTranslations(),
    "en": compile_catalog(read_catalog("en")),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


class MessageCatalog:
    """English API messages to Indonesian. A msgid with values (`%(name)s`) is matched as a pattern,
    so "Progress goes down from 40% to 30%: ..." finds the entry "Progress goes down from %(old)s%% ..."."""

    def __init__(self, catalog: Catalog) -> None:
        self.exact: dict[str, str] = {}
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            msgid, msgstr = str(message.id), str(message.string)
            if "%(" in msgid:
                self.patterns.append((_pattern(msgid), msgstr))
            else:
                self.exact[msgid % {}] = msgstr % {}

    def translate(self, text: str) -> str | None:
        if text in self.exact:
            return self.exact[text]
        for pattern, msgstr in self.patterns:
            match = pattern.fullmatch(text)
            if match:
                return msgstr % match.groupdict()
        return None


def _pattern(msgid: str) -> re.Pattern[str]:
    """The msgid as a regular expression: each placeholder a named group, `%%` a percent sign."""
    parts, position = [], 0
    for match in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[position : match.start()]))
        parts.append(f"(?P<{match.group(1)}>.+?)" if match.group(1) else "%")
        position = match.end()
    parts.append(re.escape(msgid[position:]))
    return re.compile("".join(parts))


API_MESSAGES_ID = MessageCatalog(read_catalog("id"))


def translate(message: str, locale: str, **variables: object) -> str:
    """`message` (Indonesian; like every msgid a %-format string) in `locale`, with its values."""
    return TRANSLATIONS.get(locale, TRANSLATIONS[DEFAULT_LOCALE]).gettext(message) % variables


def localise_message(text: str, locale: str) -> str:
    """A message from the domain in the page's language: API messages are English, page messages
    Indonesian; one that neither catalogue knows is shown as it is."""
    if locale == "en":
        return TRANSLATIONS["en"].gettext(text)
    return API_MESSAGES_ID.translate(text) or text


# --- the request's language ----------------------------------------------------------------------------


def parse_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most by q-value (RFC 9110 §12.5.4), the first listed
    winning a tie; None when it accepts neither."""
    best, best_q = None, 0.0
    for item in (header or "").split(","):
        tag, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0].lower()
        if primary in LOCALES and 0 < q <= 1 and q > best_q:
            best, best_q = primary, q
    return best


def choose_locale(*, user_locale: str | None, cookie: str | None, accept_language: str | None) -> str:
    for chosen in (user_locale, cookie):
        if chosen is not None and chosen in LOCALES:
            return chosen
    return parse_accept_language(accept_language) or DEFAULT_LOCALE


def request_locale(request: Request) -> str:
    """The request's language; page_user puts the signed-in user's choice on request.state."""
    chosen: str | None = getattr(request.state, "locale", None)
    if chosen is not None and chosen in LOCALES:
        return chosen
    return choose_locale(
        user_locale=None,
        cookie=request.cookies.get(COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


_current: ContextVar[str] = ContextVar("pantau_locale", default=DEFAULT_LOCALE)


def current_locale() -> str:
    return _current.get()


def activate(locale: str) -> Token[str]:
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def deactivate(token: Token[str]) -> None:
    _current.reset(token)


def gettext(message: str, **variables: object) -> str:
    """`message` in the current request's language: for text page code words before the template runs."""
    return translate(message, current_locale(), **variables)


class Worded(Protocol):
    """A message the domain keeps as a msgid and its values (server/performance/messages.py)."""

    def text(self, translate: Callable[[str], str], decimal_mark: str) -> str: ...


def localise(message: Worded, locale: str | None = None) -> str:
    """A domain message in `locale`, by default the current request's language: the msgid and any
    words among its values translated, its numbers in the language's notation."""
    chosen = locale if locale in LOCALES else current_locale()
    return message.text(TRANSLATIONS[chosen].gettext, get_decimal_symbol(chosen))


# Words the domain defines (performance/rules.py, performance/indicators.py, performance/models.py,
# feedback/ikm.py) and the templates translate with _(value), or domain messages name as values (a
# predikat in a distribution warning). They are listed here so that extraction finds them without the
# domain depending on the pages; tests/pages/test_i18n.py checks that the list still covers those
# constants.
DOMAIN_WORDS = (
    # ratings (hasil kerja, perilaku kerja)
    N_("Di Atas Ekspektasi"),
    N_("Sesuai Ekspektasi"),
    N_("Di Bawah Ekspektasi"),
    # predikat kinerja, and the organisation's own result
    N_("Istimewa"),
    N_("Sangat Baik"),
    N_("Baik"),
    N_("Butuh Perbaikan"),
    N_("Kurang"),
    N_("Sangat Kurang"),
    # indicators
    N_("Ketepatan waktu"),
    N_("Kualitas hasil kerja"),
    N_("Kepuasan masyarakat"),
    # the core values BerAKHLAK
    N_("Berorientasi Pelayanan"),
    N_("Akuntabel"),
    N_("Kompeten"),
    N_("Harmonis"),
    N_("Loyal"),
    N_("Adaptif"),
    N_("Kolaboratif"),
    # the nine elements of the public satisfaction survey (PermenPANRB 14/2017)
    N_("Persyaratan"),
    N_("Sistem, Mekanisme, dan Prosedur"),
    N_("Waktu Penyelesaian"),
    N_("Biaya/Tarif"),
    N_("Produk Spesifikasi Jenis Pelayanan"),
    N_("Kompetensi Pelaksana"),
    N_("Perilaku Pelaksana"),
    N_("Penanganan Pengaduan, Saran dan Masukan"),
    N_("Sarana dan Prasarana"),
)
