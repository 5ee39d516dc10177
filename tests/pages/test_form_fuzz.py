"""Every page form, posted with hostile values by a signed-in admin and a signed-in team lead with a
valid CSRF token: the answer is a page (2xx, 3xx or 4xx), never a 5xx or an exception.

The routes are found from the app itself (every POST route outside /api/), so a new page form is fuzzed
without being listed here; the field names are every name a template or a page module uses. Each form
starts from plausible values (so a handler gets past its first check) and has some of them replaced."""

import io
import random
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from server import clock, resources
from tests.web import csrf_of, log_in, login_token

HOSTILE = [
    "",
    " ",
    "\x00\x01\x07\x1b[31m\x7f",
    "Budi\r\nSantoso\t",
    "²",
    "٣",
    "１２",
    "NaN",
    "Infinity",
    "-1",
    "0",
    "99999999999999999999999",
    "1e999",
    "2.500,5",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-Q9",
    '=HYPERLINK("http://example.com","x")',
    "<script>alert(1)</script>",
    "Dinas Ωmega \u202e",
    "on",
]
# Over every bound a page text has (a note holds 4,000 characters): a dozen such fields at a time keep the
# body under the page forms' 64 KB limit, so that the handlers, not the limit, meet them.
OVER_LONG, OVER_LONG_FIELDS = "x" * 4_001, 12
# And a 50,000-character text in each field a person writes a name or prose into.
LONGEST = "y" * 50_000
PROSE = ("name", "title", "note", "reason", "comment", "blockers", "description", "email", "username")
# Field names a template builds with Jinja (value_0.., u1..u9), which the scan below cannot see.
DYNAMIC_FIELDS = {f"value_{i}" for i in range(7)} | {f"u{i}" for i in range(1, 10)}
DYNAMIC_FIELDS |= {"timeliness", "quality", "satisfaction", "threshold_above", "threshold_meets"}
DYNAMIC_FIELDS |= {"current_password", "new_password", "password_confirm"}
LAST = "/logout"  # it ends the signed-in session the other posts use


def _action(tag: str) -> str | None:
    if not re.search(r'method="post"', tag, re.I):
        return None
    found = re.search(r'action="([^"]+)"', tag)
    return found.group(1) if found else None


def _shape(path: str) -> str:
    """A path with each variable part as {}: "/projects/{{ p.id }}/close" and "/projects/{project_id}/close"
    have the same shape."""
    return re.sub(r"\{\{[^}]*\}\}|\{\w+\}", "{}", path)


def _names(body: str, macros: dict[str, str]) -> set[str]:
    """The field names a piece of template draws: its own, those of the macros it calls, and the names
    Jinja builds (name="{{ ... }}") as DYNAMIC_FIELDS."""
    names = set(re.findall(r'name="([a-z_0-9]+)"', body)) - {"csrf_token"}
    if 'name="{{' in body:
        names |= DYNAMIC_FIELDS
    for called in set(re.findall(r"\b(\w+)\(", body)) & macros.keys():
        names |= _names(macros.pop(called, ""), macros)  # popped: a macro is expanded once
    return names


def _page_forms() -> dict[str, tuple[set[str], set[str]]]:
    """Each POST form in the templates by the shape of its action -> (its field names, its query names).
    A form whose action is a variable ("{{ path }}") is filed under "{}"."""
    texts = [template.read_text() for template in Path(resources.TEMPLATES).rglob("*.html")]
    macro = re.compile(r"\{%-?\s*macro\s+(\w+)\(.*?%\}(.*?)\{%-?\s*endmacro", re.S)
    macros = {name: body for text in texts for name, body in macro.findall(text)}
    forms: dict[str, tuple[set[str], set[str]]] = {}
    for text in texts:
        for match in re.finditer(r"<form\b[^>]*>", text):
            action = _action(match.group(0))
            if action is None:
                continue
            body = text[match.end() : text.find("</form>", match.end())]
            path, _, query = action.partition("?")
            fields, queries = forms.setdefault(_shape(path), (set(), set()))
            fields |= _names(body, dict(macros))
            queries |= set(re.findall(r"(\w+)=", query))
    return forms


def _plausible(world, setup) -> dict[str, str]:
    """A value for each field that a person filling the form in could have typed."""
    today = clock.today().isoformat()
    values = {
        "name": "Budi Santoso",
        "title": "Tonggak baru",
        "note": "Catatan kemajuan pekerjaan",
        "reason": "Alasan perubahan yang cukup panjang",
        "comment": "Pelayanan cepat",
        "username": "budi.santoso",
        "nip": "199001012015031001",
        "email": "budi@example.id",
        "password": "kata-sandi-yang-kuat-1",
        "password_confirm": "kata-sandi-yang-kuat-1",
        # Never the real current password: a fuzzed form must not change the signed-in user's password.
        "current_password": "bukan-sandi-ini-1",
        "new_password": "kata-sandi-baru-yang-kuat-1",
        "role": "staff",
        "unit": str(world.bidang.id),
        "unit_id": str(world.bidang.id),
        "parent_id": str(world.dinas.id),
        "population": "100",
        "user_id": str(world.outsider.id),
        "employee_id": str(world.member.id),
        "assignee_ids": str(world.member.id),
        "milestone_id": str(setup.milestone.id),
        "due_date": "2026-12-31",
        "closed_on": today,
        "day": "2026-08-18",
        "period": "2026-11",
        "weight": "2",
        "quality": "4",
        "progress_pct": "50",
        "rating": "meets",
        "hasil_kerja": "meets",
        "result": "Baik",
        "delivery_accepted": "on",
        "is_active": "on",
        "language": "en",
        "next": "/",
        "back": "/",
        "timeliness": "90",
        "satisfaction": "80",
        "threshold_above": "110",
        "threshold_meets": "90",
    }
    return values | {f"u{i}": "3" for i in range(1, 10)} | {f"value_{i}": "Baik" for i in range(7)}


def _forms(fields: list[str], plausible: dict[str, str], seed: str) -> Iterator[dict[str, str | list[str]]]:
    """The plausible form; each hostile value in every field, and in a random quarter of the plausible
    form's fields; over-long texts; every field sent twice (a list where one value is expected)."""
    base = {name: plausible.get(name, "1") for name in fields}
    rng = random.Random(seed)
    yield base
    for value in HOSTILE:
        yield dict.fromkeys(fields, value)
        yield base | {name: value for name in fields if rng.random() < 0.25}
    for start in range(0, len(fields), OVER_LONG_FIELDS):
        yield base | dict.fromkeys(fields[start : start + OVER_LONG_FIELDS], OVER_LONG)
    for name in PROSE:
        yield base | {name: LONGEST}
    yield {name: [value, "²"] for name, value in base.items()}


@pytest.fixture
async def targets(client, world, setup) -> dict[str, str]:
    """A real object for each path parameter, so the forms reach past the 404."""
    admin = world.auth(world.admin)
    response = await client.put(
        "/api/v1/holidays/2026-08-17", json={"name": "Hari Kemerdekaan"}, headers=admin
    )
    assert response.status_code == 200, response.text
    token = (await client.get("/api/v1/feedback/token", params={"unit_id": world.bidang.id})).json()["token"]
    answer = {"unit_id": world.bidang.id, "employee_id": world.member.id, "answers": [3] * 9, "token": token}
    feedback = await client.post("/api/v1/feedback", json=answer)
    assert feedback.status_code == 201, feedback.text
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(photo, "JPEG")
    evidence = await client.post(
        "/api/v1/evidence",
        files={"file": ("foto.jpg", photo.getvalue(), "image/jpeg")},
        headers=world.auth(world.member),
    )
    assert evidence.status_code == 201, evidence.text
    update = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates",
        json={
            "milestone_id": setup.milestone.id,
            "progress_pct": 10,
            "blockers": "Printer rusak",
            "evidence_ids": [evidence.json()["id"]],
        },
        headers=world.auth(world.member),
    )
    assert update.status_code == 201, update.text
    return {
        "project_id": str(setup.project.id),
        "milestone_id": str(setup.milestone.id),
        "user_id": str(world.member.id),
        "unit_id": str(world.bidang.id),
        "period": "2026-11",
        "day": "2026-08-17",
        "feedback_id": str(feedback.json()["id"]),
        "decision": "exclude",
        "update_id": str(update.json()["id"]),
        "member_id": str(world.member.id),
        "entry_id": "1",
        "notification_id": "1",
        "evidence_id": str(evidence.json()["id"]),
    }


def _post_routes(app: FastAPI) -> list[str]:
    def walk(routes, prefix: str = "") -> Iterator[tuple[str, object]]:
        for route in routes:
            if hasattr(route, "original_router"):  # a router FastAPI included
                yield from walk(route.original_router.routes, prefix + (route.include_context.prefix or ""))
            else:
                yield prefix, route

    found = {
        prefix + route.path
        for prefix, route in walk(app.routes)
        if "POST" in (getattr(route, "methods", None) or ())
        and not (prefix + route.path).startswith(("/api/", "/ws/"))
    }
    return sorted(found, key=lambda path: (path == LAST, path))


def _requests(
    template: str, targets: dict[str, str], plausible: dict[str, str]
) -> Iterator[tuple[str, dict]]:
    """The route with real ids and every form, then with a hostile value in every path parameter. The
    fields are those of the template form that posts to the route (or of the forms whose action is a
    variable, for a route no form names)."""
    forms = _page_forms()
    fields, queries = forms.get(_shape(template)) or forms["{}"]
    names = re.findall(r"\{(\w+)\}", template)
    query = "&".join(f"{name}={targets[name]}" for name in sorted(queries))
    real = template.format(**{name: targets[name] for name in names}) + (f"?{query}" if query else "")
    sent = set()
    for form in _forms(sorted(fields), plausible, template):
        if repr(form) not in sent:  # a form without fields is the same form whatever the value
            sent.add(repr(form))
            yield real, form
    for bad in ("%C2%B2", "0", "9" * 30) if names else ():
        yield (
            template.format(**dict.fromkeys(names, bad)),
            {name: plausible.get(name, "1") for name in fields},
        )


def test_the_fuzzer_finds_the_page_forms_and_their_fields(app):
    routes = _post_routes(app)
    assert {"/admin/users/new", "/projects/{project_id}/milestones", "/survey/{unit_id}", "/login"} <= set(
        routes
    )
    assert not [path for path in routes if path.startswith("/api/")]
    forms = _page_forms()
    assert {"title", "due_date", "weight"} <= forms[_shape("/projects/{project_id}/milestones")][0]
    assert {"name", "nip", "username"} <= forms[_shape("/admin/users/new")][0]
    assert {"hasil_kerja", "reason", "timeliness"} <= forms["{}"][0]  # evaluation and targets


@pytest.mark.parametrize("who", ["admin", "lead"])
async def test_no_page_form_answers_hostile_values_with_a_server_error(app, world, setup, targets, who):
    user = getattr(world, who)
    plausible = _plausible(world, setup)
    failures = []
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
        httpx.AsyncClient(transport=transport, base_url="http://test") as anonymous,
    ):
        await log_in(http, user)
        csrf = csrf_of((await http.get("/account/password")).text)
        login_csrf = await login_token(anonymous)  # the sign-in form's own token, before any session
        for template in _post_routes(app):
            client, token = (anonymous, login_csrf) if template == "/login" else (http, csrf)
            for path, form in _requests(template, targets, plausible):
                response = await client.post(path, data=form | {"csrf_token": token})
                if response.status_code >= 500:
                    failures.append(f"{path} {response.status_code} with {str(form)[:300]}")
                if response.status_code == 303 and response.headers["location"].startswith("/login"):
                    if template == "/logout":
                        break  # signed out, as asked: nothing further to post as this user
                    await log_in(http, user)  # a post signed the user out (e.g. deactivated, then back)
                    csrf = csrf_of((await http.get("/account/password")).text)
    assert not failures, "\n".join(failures)
