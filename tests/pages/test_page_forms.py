"""The page plumbing every form shares (server/pages/deps.py): each POST page route takes its form through
one CSRF-checked dependency, numbers are read by one helper (no int('²') 500s), and a rule of the API's
models that a form breaks is said on the page in the page's language."""

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from server.accounts.models import Unit
from server.pages.deps import form_date, form_decimal, form_number
from server.projects.models import Milestone, ProgressUpdate
from tests.web import csrf_of, log_in, sign_in

SERVER = Path(__file__).parents[2] / "server"

# Public by design: the survey carries a single-use token of its own (tests/feedback), and the language
# switch works signed out (below).
PUBLIC = {"/survey/{unit_id}", "/language"}


def _page_posts(app) -> list[str]:
    return sorted(
        {
            route.path
            for route in iter_route_contexts(app.routes)
            if "POST" in (route.methods or ())
            and not route.path.startswith("/api/")
            and route.path not in PUBLIC
        }
    )


def _filled(path: str, world, setup) -> str:
    return path.format(
        project_id=setup.project.id,
        milestone_id=setup.milestone.id,
        user_id=world.member.id,
        unit_id=world.bidang.id,
        period="2026-11",
        day="2026-12-25",
        feedback_id=1,
        decision="clear",
        member_id=world.member.id,
        update_id=1,
        entry_id=1,
        notification_id=1,
        evidence_id=1,
    )


async def test_every_page_form_is_among_the_checked_ones(app):
    posts = _page_posts(app)
    assert len(posts) >= 20, posts  # the enumeration below sees the app's forms, not an empty list
    assert "/people/{user_id}/behaviour" in posts and "/admin/import/check" in posts


@pytest.mark.parametrize("token", [None, "palsu"])
async def test_every_page_post_without_its_csrf_token_is_refused(app, client, world, setup, token):
    await log_in(client, world.admin)
    refused = {}
    for path in _page_posts(app):
        data = {"name": "Bidang Baru", "reason": "Alasan yang cukup panjang", "rating": "meets"}
        if token is not None:
            data["csrf_token"] = token
        response = await client.post(_filled(path, world, setup), data=data)
        refused[path] = (response.status_code, "kedaluwarsa" in response.text)
    assert {path: outcome for path, outcome in refused.items() if outcome != (403, True)} == {}


async def test_the_language_switch_keeps_a_choice_only_with_the_sessions_token(client, world, runtime):
    from server.accounts.models import User

    await log_in(client, world.member)
    forged = await client.post("/language", data={"language": "en", "csrf_token": "palsu", "next": "/"})
    assert forged.status_code == 403
    anonymous_style = await client.post("/language", data={"language": "en", "next": "/"})
    assert anonymous_style.status_code == 303  # the cookie only
    async with runtime.read_sessionmaker() as session:
        assert (await session.get(User, world.member.id)).locale is None


# --- numbers, and the models' rules in the page's words --------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "number"),
    [("2500", 2500), (" 2.500 ", 2500), ("2 500", 2500), ("7", 7), ("1.000.000", 1000000)],
)
def test_a_form_number_is_read_as_a_person_types_it(typed, number):
    assert form_number(typed) == number


@pytest.mark.parametrize(
    "typed", ["", "²", "٣", "2.5", "-1", "+1", "1e3", "12,5", "2.50", "1 2", "9" * 10, None]
)
def test_anything_else_is_no_number(typed):
    assert form_number(typed) is None


def test_decimals_and_dates_from_a_form():
    assert form_decimal("86,5") == Decimal("86.5") and form_decimal("4.8") == Decimal("4.8")
    assert [form_decimal(x) for x in ("NaN", "Infinity", "1e3", "²", "")] == [None] * 5
    assert form_date("2026-12-25") == date(2026, 12, 25)
    assert [form_date(x) for x in ("2026-02-30", "25/12/2026", "२०२६-१२-२५", "")] == [None] * 4


async def _count(runtime, model) -> int:
    async with runtime.read_sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_superscript_digit_in_a_form_is_refused_on_the_page(client, world, runtime, setup):
    await log_in(client, world.lead)
    token = csrf_of((await client.get(f"/projects/{setup.project.id}")).text)
    update = await client.post(
        f"/projects/{setup.project.id}/updates",
        data={"csrf_token": token, "milestone_id": str(setup.milestone.id), "progress_pct": "²"},
    )
    planned = await client.post(
        f"/projects/{setup.project.id}/milestones",
        data={"csrf_token": token, "title": "Tonggak", "due_date": "2026-12-31", "weight": "²"},
    )
    assigned = await client.post(
        f"/projects/{setup.project.id}/milestones",
        data={"csrf_token": token, "title": "Tonggak", "due_date": "2026-12-31", "assignee_ids": "²"},
    )
    for response in (update, planned, assigned):
        assert response.status_code == 422 and "text/html" in response.headers["content-type"]
    assert await _count(runtime, ProgressUpdate) == 0 and await _count(runtime, Milestone) == 2
    client.cookies.clear()
    await log_in(client, world.admin)
    token = csrf_of((await client.get("/admin/units")).text)
    unit = await client.post("/admin/units", data={"csrf_token": token, "name": "Bidang", "population": "²"})
    assert unit.status_code == 422 and await _count(runtime, Unit) == 3
    assert (await client.get("/admin/import", params={"selesai": "²"})).status_code == 200


async def test_a_broken_model_rule_is_said_in_indonesian_on_an_indonesian_page(client, world, runtime, setup):
    await log_in(client, world.admin)
    token = csrf_of((await client.get("/admin/units")).text)
    response = await client.post("/admin/units", data={"csrf_token": token, "name": "B" * 201})
    assert response.status_code == 422
    assert "Nama: paling banyak 200 karakter." in response.text
    assert "String should" not in response.text and "Value error" not in response.text
    assert await _count(runtime, Unit) == 3
    client.cookies.clear()
    await sign_in(client, world.member)
    token = csrf_of((await client.get("/")).text)
    update = await client.post(
        f"/projects/{setup.project.id}/updates",
        data={"csrf_token": token, "milestone_id": str(setup.milestone.id), "progress_pct": "140"},
    )
    assert update.status_code == 422 and "Persentase kemajuan: paling besar 100." in update.text
    assert "Input should" not in update.text


# --- the layout: pages import their plumbing from server/pages/deps.py -------------------------------------


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_module_imports_the_page_router_but_the_app():
    importers = {
        str(path.relative_to(SERVER))
        for path in SERVER.rglob("*.py")
        if any(
            name == "server.pages.routes" or name.startswith("server.pages.routes.")
            for name in _imports(path)
        )
    }
    assert importers == {"app.py"}


def test_no_handler_reads_a_form_or_checks_its_token_by_hand():
    by_hand = {
        f"{path.relative_to(SERVER)}:{n}"
        for path in SERVER.rglob("*.py")
        if path != SERVER / "pages" / "deps.py"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if "check_csrf(" in line or "request.form(" in line
    }
    assert by_hand == set()
