"""The pages in Bahasa Indonesia (the default) and English: choosing the language, formatting, and
catalogues that cover every string."""

import ast
import asyncio
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from server.accounts.models import User
from server.calendar.periods import Period
from server.feedback.ikm import ELEMENTS
from server.pages import i18n
from server.pages.render import date_time, long_date, number, percent, short_date
from server.performance.indicators import LABELS
from server.performance.messages import in_indonesian
from server.performance.models import BERAKHLAK
from server.performance.rules import (
    ORGANISATION_RESULTS,
    PREDIKATS,
    RATING_LABELS_ID,
    distribution_warnings,
)
from server.performance.views import period_label
from tests.web import log_in

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = {"accept-language": "en-US,en;q=0.9"}


def _lang(html: str) -> str:
    match = re.search(r'<html lang="(\w+)">', html)
    assert match, "the page has no lang attribute"
    return match.group(1)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no csrf_token field"
    return match.group(1)


async def _set_locale(runtime, user: User, locale: str | None) -> None:
    async with runtime.transaction() as db:
        (await db.get(User, user.id)).locale = locale


# --- choosing the language -----------------------------------------------------------------------------


async def test_pages_are_in_indonesian_by_default(client):
    response = await client.get("/login")
    assert _lang(response.text) == "id"
    assert "Masuk ke Pantau" in response.text and "Sign in to Pantau" not in response.text


@pytest.mark.parametrize(
    ("path", "indonesian", "english"),
    [
        ("/login", "Masuk ke Pantau", "Sign in to Pantau"),
        ("/help", "Bagaimana Pantau menghitung kinerja", "How Pantau calculates performance"),
    ],
)
async def test_a_browser_that_prefers_english_gets_english(client, path, indonesian, english):
    response = await client.get(path, headers=ENGLISH)
    assert _lang(response.text) == "en"
    assert english in response.text and indonesian not in response.text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("en;q=0.5, id;q=0.8", "id"),
        ("id;q=0.4, en;q=0.5", "en"),
        ("fr-FR, en;q=0.3", "en"),
        ("en;q=0, id;q=0.1", "id"),
        ("fr, de", None),
        ("en;q=abc", None),
        ("", None),
        (None, None),
    ],
)
def test_accept_language_is_read_by_its_q_values(header, expected):
    assert i18n.parse_accept_language(header) == expected


def test_the_user_choice_beats_the_cookie_which_beats_the_browser():
    choose = i18n.choose_locale
    assert choose(user_locale="id", cookie="en", accept_language="en") == "id"
    assert choose(user_locale=None, cookie="en", accept_language="id") == "en"
    assert choose(user_locale="xx", cookie=None, accept_language="en-GB") == "en"
    assert choose(user_locale=None, cookie=None, accept_language=None) == "id"


async def test_the_switch_sets_a_lasting_cookie_and_the_page_changes_language(client):
    response = await client.post("/language", data={"language": "en", "next": "/login?next=%2Fhelp"})
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fhelp"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{i18n.COOKIE}=en") and "httponly" in cookie and "samesite=lax" in cookie
    assert "max-age=31536000" in cookie
    english = await client.get("/login")
    assert _lang(english.text) == "en" and "Sign in to Pantau" in english.text
    assert 'value="en" lang="en" class="button button--quiet" aria-pressed="true"' in english.text

    await client.post("/language", data={"language": "id", "next": "/login"})
    assert "Masuk ke Pantau" in (await client.get("/login", headers=ENGLISH)).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
async def test_the_switch_only_returns_to_this_site(client, target):
    response = await client.post("/language", data={"language": "en", "next": target})
    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_the_switch_refuses_an_unknown_language(client):
    response = await client.post("/language", data={"language": "fr", "next": "/"}, headers=ENGLISH)
    assert response.status_code == 422 and "Unknown language" in response.text
    assert "set-cookie" not in response.headers


async def test_the_switch_on_the_survey_page_needs_no_sign_in(client, world):
    survey = await client.get(f"/survey/{world.dinas.id}")
    assert 'action="/language"' in survey.text and 'name="csrf_token"' not in survey.text
    assert f'name="next" value="/survey/{world.dinas.id}"' in survey.text
    await client.post("/language", data={"language": "en", "next": f"/survey/{world.dinas.id}"})
    english = await client.get(f"/survey/{world.dinas.id}")
    assert "Public Satisfaction Survey" in english.text
    assert "How easy are the service procedures at this unit?" in english.text
    assert "Very easy" in english.text and "Systems, mechanisms and procedures" in english.text


async def test_a_signed_in_users_stored_language_beats_the_browser(client, world, runtime, setup):
    await _set_locale(runtime, world.member, "id")
    await log_in(client, world.member)
    indonesian = await client.get("/", headers=ENGLISH)
    assert _lang(indonesian.text) == "id" and "Pekerjaan saya" in indonesian.text

    await _set_locale(runtime, world.member, "en")
    english = await client.get("/")
    assert _lang(english.text) == "en" and "My work" in english.text and "Pekerjaan saya" not in english.text


async def test_switching_while_signed_in_stores_the_choice_on_the_user(client, world, runtime, setup):
    await log_in(client, world.member)
    token = _csrf((await client.get("/")).text)
    response = await client.post("/language", data={"language": "en", "next": "/", "csrf_token": token})
    assert response.status_code == 303
    async with runtime.sessionmaker() as db:
        assert (await db.get(User, world.member.id)).locale == "en"
    client.cookies.delete(i18n.COOKIE)  # another device: no cookie, an Indonesian browser
    page = await client.get("/", headers={"accept-language": "id"})
    assert "My work" in page.text


async def test_switching_while_signed_in_with_a_wrong_token_is_refused(client, world, runtime, setup):
    await log_in(client, world.member)
    response = await client.post("/language", data={"language": "en", "next": "/", "csrf_token": "palsu"})
    assert response.status_code == 403
    async with runtime.sessionmaker() as db:
        assert (await db.get(User, world.member.id)).locale is None


async def test_concurrent_requests_in_two_languages_do_not_mix(client):
    headers = [ENGLISH if i % 2 else {"accept-language": "id"} for i in range(20)]
    pages = await asyncio.gather(*(client.get("/help", headers=h) for h in headers))
    for page, h in zip(pages, headers, strict=True):
        english = h is ENGLISH
        assert _lang(page.text) == ("en" if english else "id")
        assert ("How Pantau calculates performance" in page.text) == english


# --- what the pages show ------------------------------------------------------------------------------


async def test_the_board_and_its_live_labels_are_in_english(client, world, runtime, setup):
    await _set_locale(runtime, world.leader, "en")
    await log_in(client, world.leader)
    board = await client.get(f"/board/unit/{world.dinas.id}")
    assert _lang(board.text) == "en" and "Unit board" in board.text and "Pantau adoption" in board.text
    labels = re.search(r'<script type="application/json" id="board-labels">(.*?)</script>', board.text, re.S)
    assert labels and '"on_track": "On track"' in labels.group(1)
    assert '"late": "Days overdue: {n}"' in labels.group(1)


async def test_an_english_api_message_is_shown_in_indonesian_on_an_indonesian_page(client, world, setup):
    await log_in(client, world.member)
    token = _csrf((await client.get("/")).text)
    form = {"csrf_token": token, "milestone_id": str(setup.milestone.id), "back": "/", "blockers": ""}
    await client.post(
        f"/projects/{setup.project.id}/updates", data=form | {"progress_pct": "50", "note": "a"}
    )
    lower = form | {"progress_pct": "20", "note": ""}
    indonesian = await client.post(f"/projects/{setup.project.id}/updates", data=lower)
    assert indonesian.status_code == 422
    assert "Kemajuan turun dari 50% menjadi 20%" in indonesian.text and "goes down" not in indonesian.text
    english = await client.post(f"/projects/{setup.project.id}/updates", data=lower, headers=ENGLISH)
    assert "Progress goes down from 50% to 20%: add a note explaining why" in english.text
    assert "The update has not been saved" in english.text


async def test_an_indonesian_page_message_is_shown_in_english_on_an_english_page(client, world, setup):
    await log_in(client, world.member)
    response = await client.post(
        f"/projects/{setup.project.id}/updates",
        data={"csrf_token": "palsu", "milestone_id": str(setup.milestone.id), "progress_pct": "1"},
        headers=ENGLISH,
    )
    assert response.status_code == 403
    assert "This form has expired or is not valid." in response.text
    assert "You do not have access to this page" in response.text


def test_dates_and_numbers_follow_the_language():
    day = date(2026, 11, 28)
    assert long_date(day) == "28 November 2026" and long_date(day, locale="en") == "28 November 2026"
    assert long_date(date(2026, 8, 17)) == "17 Agustus 2026" and long_date(
        date(2026, 8, 17), locale="en"
    ) == ("17 August 2026")
    assert short_date(date(2026, 8, 17)) == "17 Agu 2026"
    assert short_date(date(2026, 8, 17), locale="en") == "17 Aug 2026"
    assert number(Decimal("86.11"), 2) == "86,11" and number(Decimal("86.11"), 2, locale="en") == "86.11"
    assert number(12345.5) == "12.345,5" and number(12345.5, locale="en") == "12,345.5"
    assert percent(86.11, 2) == "86,11%" and percent(86.11, 2, locale="en") == "86.11%"
    moment = datetime(2026, 11, 28, 7, 5, tzinfo=UTC)
    assert (
        date_time(moment) == "28 Nov 2026 14.05 WIB"
        and date_time(moment, locale="en") == "28 Nov 2026 14:05 WIB"
    )


def test_period_labels_follow_the_request_language():
    token = i18n.activate("en")
    try:
        assert period_label(Period("month", 2026, 8)) == "August 2026"
        assert period_label(Period("quarter", 2026, 4)) == "Quarter IV 2026"
        assert period_label(Period("year", 2026, 1)) == "Year 2026"
    finally:
        i18n.deactivate(token)
    assert period_label(Period("month", 2026, 8)) == "Agustus 2026"
    assert period_label(Period("quarter", 2026, 4)) == "Triwulan IV 2026"


# --- the catalogues ------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")


def _placeholders(text: str) -> list[str]:
    """Named placeholders and literal percent signs; a bare % (which breaks formatting) shows as '%'."""
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def _extracted_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_extracted_msgid_has_an_english_translation_with_the_same_placeholders():
    catalog = i18n.read_catalog("en")
    msgids = _extracted_msgids()
    assert len(msgids) > 300  # the extraction found the templates and the page code
    problems = []
    for msgid in sorted(msgids):
        entry = catalog.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            problems.append(f"untranslated (run scripts/translations update, then translate): {msgid!r}")
        elif _placeholders(msgid) != _placeholders(str(entry.string)):
            problems.append(f"placeholders differ: {msgid!r} -> {entry.string!r}")
        elif "%" in _placeholders(msgid):
            problems.append(f"a bare % in the msgid (write %% for a percent sign): {msgid!r}")
    assert not problems, "\n".join(problems)


def test_the_words_the_domain_defines_are_in_the_catalogue():
    words = {
        *RATING_LABELS_ID.values(),
        *PREDIKATS,
        *ORGANISATION_RESULTS,
        *LABELS.values(),
        *BERAKHLAK,
        *(name for _, name in ELEMENTS),
    }
    missing = words - set(i18n.DOMAIN_WORDS)
    assert not missing, f"add to DOMAIN_WORDS in server/pages/i18n.py: {sorted(missing)}"


def test_a_domain_message_is_worded_in_indonesian_for_the_api_and_in_the_page_language():
    counts = {"Sangat Kurang": 28, "Kurang": 1, "Butuh Perbaikan": 1}
    [warning] = distribution_warnings("Sangat Kurang", counts)
    indonesian = (
        "Predikat Kurang dan/atau Butuh Perbaikan 6,67% di bawah batas minimal 10% "
        "untuk organisasi Sangat Kurang."
    )
    english = (
        "Predikat Poor and/or Needs improvement: 6.67%, below the minimum of 10% "
        "for an organisation rated Very poor."
    )
    assert warning.text() == indonesian and i18n.localise(warning, "id") == indonesian
    assert i18n.localise(warning, "en") == english
    token = i18n.activate("en")
    try:
        assert i18n.localise(warning) == english  # the request's language
    finally:
        i18n.deactivate(token)
    assert in_indonesian({"warnings": [warning], "total": 30}) == {"warnings": [indonesian], "total": 30}


def _raised_messages() -> list[tuple[str, int, str]]:
    """Each English message the services raise (or password_problem returns), values replaced by "X"."""
    # Every domain module (the page modules word their own refusals as Indonesian msgids).
    files = [
        path
        for path in ROOT.glob("server/**/*.py")
        if not {"pages", "migrations"} & set(path.relative_to(ROOT).parts)
        and not path.name.endswith("pages.py")
    ]
    raising = {"Invalid", "Conflict", "Forbidden", "InvalidNip"}
    found = []

    def text(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
        return None  # e.g. N_("...") for a page's own Indonesian message

    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in raising and node.args:
                message = text(node.args[0])
            elif isinstance(node, ast.FunctionDef) and node.name == "password_problem":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and ret.value is not None and text(ret.value):
                        found.append((str(path.relative_to(ROOT)), ret.lineno, text(ret.value)))
                continue
            else:
                continue
            if message:
                found.append((str(path.relative_to(ROOT)), node.lineno, message))
    return found


def test_every_english_message_a_page_can_show_has_an_indonesian_translation():
    raised = _raised_messages()
    assert len(raised) > 30
    missing = [
        f"{path}:{line}: {message!r}"
        for path, line, message in raised
        if i18n.API_MESSAGES_ID.translate(message) is None
    ]
    assert not missing, "add to web/locale/id/LC_MESSAGES/messages.po:\n" + "\n".join(missing)


def test_the_indonesian_message_catalogue_keeps_the_values_it_names():
    for message in i18n.read_catalog("id"):
        if message.id:
            names = set(re.findall(r"%\((\w+)\)s", str(message.string)))
            assert names <= set(re.findall(r"%\((\w+)\)s", str(message.id))), message.id
    assert i18n.localise_message("Milestone 7 is not a milestone of this project", "id") == (
        "Tonggak 7 bukan tonggak proyek ini."
    )
    assert i18n.localise_message("Some message nobody translated", "id") == "Some message nobody translated"
