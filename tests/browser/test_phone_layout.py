"""Every page fits a 360 px phone, whatever people type (issue 13, item 9).

A 300-character word and a 200-character address go into every kind of text a person writes — a unit's,
a person's and a project's name, a project description, a milestone title, a reschedule reason, an update
note, a blocker and a survey comment — and then every page the app serves is opened at 360×740 by the
public, a staff member (the long-named person, who leads the long-named project), a leader and the admin.
None may scroll sideways, and every label of an inline chart stays inside its chart.

The pages come from the app's own routes, so a page added later is checked without touching this file;
only routes that are not pages are listed here, each with its reason."""

import io
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi.routing import iter_route_contexts
from PIL import Image
from playwright.async_api import Page

from server.app import create_app
from server.config import Settings
from server.pages.moved import MOVED
from tests.browser.conftest import (
    DEMO_PASSWORD,
    PHONE,
    WALL,
    DemoServer,
    OpenPage,
    Shot,
    sign_in,
    today_in_jakarta,
)

WORD = ("Pelaksanaan" * 30)[:300]  # one word of 300 characters
URL = "https://bukitintan.go.id/" + ("dokumen-perencanaan-kegiatan/" * 7)[:175]  # 200 characters
TEXT = f"{WORD} {URL}"

# GET routes outside /api that are not pages a person reads, and why. Everything else is checked.
NOT_PAGES = {
    "/healthz": "the load balancer's probe (JSON)",
    "/openapi.json": "the API description (JSON)",
    "/docs": "Swagger UI, the developers' API console (its own stylesheet, not Pantau's pages)",
    "/admin/import/example.csv": "a CSV download",
    # HTML fragments that a script fetches into a page; checked as part of that page, which renders them too.
    "/board/unit/{unit_id}/feed/items": "the board feed's newer items (board feed page)",
    "/home/responses": 'the home page\'s "answers to my updates" section (/)',
    # The installable app (server/pages/offline.py): files and JSON for the browser, not pages.
    "/manifest.webmanifest": "the web app manifest (JSON)",
    "/sw.js": "the service worker script",
    "/offline/session": "the offline queue's form token (JSON)",
    "/offline/message": "a refusal's words in the page language, for the offline queue (JSON)",
}
ROLES = ("public", "staff", "leader", "admin")
SLACK = 0.5  # sub-pixel rounding of borders
MIN_LABEL_PX = 9  # a chart's text drawn smaller than this (in CSS px) cannot be read on a phone


@dataclass
class Seeded:
    ids: dict[str, str]
    staff: str
    staff_password: str


def page_routes() -> list[str]:
    found = set()
    # Only the route table: the app is never started, and the settings are not the cached process-wide ones.
    app = create_app(Settings(database_url="sqlite://"))
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if "GET" not in (route.methods or ()) or path.startswith(("/api/", "/ws/", "/static/")):
            continue
        if path in MOVED or path in NOT_PAGES:
            continue
        found.add(path)
    return sorted(found)


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 300), "teal").save(out, "JPEG")  # wide: its thumbnail is cropped to a square
    return out.getvalue()


async def _upload(demo: DemoServer, name: str, data: bytes, headers: dict) -> int:
    async with demo.api() as http:
        response = await http.post("/api/v1/evidence", files={"file": (name, data)}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _nip(serial: int) -> str:
    """Born 17 Aug 1991, appointed March 2015, a woman, with a serial number of her own."""
    return f"199108172015032{serial:03d}"


async def _post(demo: DemoServer, path: str, body: dict, headers: dict, status: int = 201) -> dict:
    async with demo.api() as http:
        response = await http.post(path, json=body, headers=headers)
    assert response.status_code == status, f"POST {path}: {response.status_code} {response.text}"
    return response.json() if response.content else {}


async def seed(demo: DemoServer) -> Seeded:
    """A unit, a person, a project with a milestone, an update with a blocker and a survey answer, every
    text of them too long for a phone's line."""
    admin = await demo.token("admin")
    tag = uuid.uuid4().hex[:6]
    me_leader = await demo.get("/api/v1/me", "kadis1")
    unit = await _post(
        demo,
        "/api/v1/units",
        {"name": URL[:190] + tag, "parent_id": me_leader["unit_id"]},  # type: ignore[index]
        admin,
    )
    username = f"panjang{tag}"
    person = await _post(
        demo,
        "/api/v1/users",
        {
            "username": username,
            "password": DEMO_PASSWORD,
            "name": WORD[:194] + tag,
            "nip": _nip(int(tag, 16) % 1000),
            "role": "staff",
            "unit_id": unit["id"],
            "supervisor_id": me_leader["id"],  # type: ignore[index]
        },
        admin,
    )
    # A first password may have to be changed before anything else; choose one of the person's own.
    password = f"Sendiri-{tag}-2026!"
    await _post(
        demo,
        "/api/v1/me/password",
        {"current_password": DEMO_PASSWORD, "new_password": password},
        await demo.token(username),
        status=204,
    )
    async with demo.api() as http:
        response = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    staff = {"Authorization": f"Bearer {response.json()['access_token']}"}

    today = today_in_jakarta()
    project = await _post(
        demo,
        "/api/v1/projects",
        {
            "name": WORD[:200],
            "description": TEXT,
            "unit_id": unit["id"],
            "lead_id": person["id"],
            "start_date": str(today - timedelta(days=30)),
            "due_date": str(today + timedelta(days=60)),
        },
        admin,
    )
    first = await _post(
        demo,
        f"/api/v1/projects/{project['id']}/milestones",
        {"title": WORD, "due_date": str(today + timedelta(days=10)), "assignee_ids": [person["id"]]},
        staff,
    )
    second = await _post(
        demo,
        f"/api/v1/projects/{project['id']}/milestones",
        {"title": URL, "due_date": str(today), "weight": 2, "assignee_ids": [person["id"]]},
        staff,
    )
    async with demo.api() as http:
        response = await http.patch(
            f"/api/v1/milestones/{first['id']}",
            json={"due_date": str(today + timedelta(days=20)), "reason": TEXT},
            headers=staff,
        )
    assert response.status_code == 200, response.text
    # Evidence on the update and on the close: photos, and PDFs whose names are one long word.
    photos = [await _upload(demo, f"{WORD[:190]}.jpg", _photo(), staff) for _ in range(3)]
    document = await _upload(demo, f"{WORD[:190]}.pdf", PDF, staff)
    update = await _post(
        demo,
        f"/api/v1/projects/{project['id']}/updates",
        {
            "milestone_id": first["id"],
            "progress_pct": 40,
            "note": TEXT,
            "blockers": f"{URL} {WORD}",
            "evidence_ids": [*photos, document],
        },
        staff,
    )
    await _post(
        demo,
        f"/api/v1/milestones/{second['id']}/close",
        {
            "closed_on": str(today),
            "quality": 5,
            "note": TEXT,
            "evidence_ids": [await _upload(demo, f"{WORD[:190]}.pdf", PDF, staff)],
        },
        staff,
        status=200,
    )
    answers = []
    for _ in range(2):
        async with demo.api() as http:
            token = (await http.get("/api/v1/feedback/token", params={"unit_id": unit["id"]})).json()
        answer = {
            "unit_id": unit["id"],
            "token": token["token"],
            "employee_id": person["id"],
            "answers": [4, 3, 4, 3, 4, 3, 4, 3, 4],
            "comment": TEXT,
        }
        answers.append(await _post(demo, "/api/v1/feedback", answer, {}))
    # One counts for the person; the other is set aside, so that the admin's review list shows it.
    feedback = answers[0]
    await _post(demo, f"/api/v1/feedback/{answers[1]['id']}/exclude", {"reason": TEXT}, admin, status=200)
    # Path parameters of the pages, filled from the records above (and the current period and today).
    ids = {
        "unit_id": unit["id"],
        "user_id": person["id"],
        "project_id": project["id"],
        "milestone_id": first["id"],
        "update_id": update["id"],
        "feedback_id": feedback["id"],
        "answer_id": feedback["id"],
        "period": today.strftime("%Y-%m"),
        "day": str(today),
        "date": str(today),
    }
    return Seeded({k: str(v) for k, v in ids.items()}, username, password)


def fill(path: str, ids: dict[str, str]) -> str:
    missing = set(re.findall(r"\{(\w+)\}", path)) - set(ids)
    assert not missing, f"{path}: no value for {missing}; add one to the ids in seed()"
    return path.format(**ids)


# Elements sticking out on the right, leaves first, leaving out those inside a box that clips or scrolls
# them (a wide table in its .table-scroll is fine), for a message that says where to look.
OVERFLOW = """(limit) => {
  const clipped = (el) => {
    if (['absolute', 'fixed'].includes(getComputedStyle(el).position)) return false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const out = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > limit && r.width > 0 && !clipped(el)) out.add(el);
  }
  const leaves = [...out].filter((el) => ![...el.children].some((c) => out.has(c)));
  return {
    html: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    culprits: leaves.slice(0, 6).map((el) => {
      const cls = el.getAttribute('class');
      const name = el.tagName.toLowerCase() + (cls ? '.' + cls.trim().split(/\\s+/).join('.') : '');
      return `${name} (right ${Math.round(el.getBoundingClientRect().right)}px)`;
    }),
  };
}"""

# Text of an inline chart that is drawn (not display:none) and is too small to read once the chart is
# scaled to the screen, ends outside its chart's box, or covers another label of the same chart.
CHART_LABELS = """(minSize) => {
  const out = [];
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0) continue;
    const name = svg.getAttribute('class') || 'svg';
    const drawn = [];
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      const text = t.textContent.trim();
      if (r.width === 0 || !text) continue;
      const size = parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a;
      if (size < minSize) out.push(`${name}: "${text}" is drawn ${size.toFixed(1)} px high`);
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1
          || r.bottom > box.bottom + 1) {
        out.push(`${name}: "${text}" at ${Math.round(r.left)}..${Math.round(r.right)} × `
          + `${Math.round(r.top)}..${Math.round(r.bottom)} outside its chart (${Math.round(box.left)}..`
          + `${Math.round(box.right)} × ${Math.round(box.top)}..${Math.round(box.bottom)})`);
      }
      for (const [other, o] of drawn) {
        const x = Math.min(r.right, o.right) - Math.max(r.left, o.left);
        const y = Math.min(r.bottom, o.bottom) - Math.max(r.top, o.top);
        if (x > 1 && y > 1) out.push(`${name}: "${text}" covers "${other}"`);
      }
      drawn.push([text, r]);
    }
  }
  return out;
}"""


async def check(page: Page, path: str, width: int) -> tuple[int, list[str]]:
    """The status of the page at `path` and what is wrong with it (with every <details> opened), as
    sentences."""
    response = await page.goto(path)
    assert response is not None, path
    assert response.status < 500, f"{path}: {response.status} {await response.text()}"
    type_ = response.headers.get("content-type", "")
    assert type_.startswith("text/html"), (
        f"{path} answers {type_}: if it is not a page, add it to NOT_PAGES with the reason"
    )
    if not await page.locator('meta[name="viewport"]').count():
        return response.status, [
            f"{path} has no <meta name=viewport> (phones lay it out 980 px wide): a page extends "
            "base.html; an HTML fragment that a script fetches belongs in NOT_PAGES"
        ]
    await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    found = await page.evaluate(OVERFLOW, width + SLACK)
    problems = []
    if found["html"] > width or found["body"] > width:
        problems.append(
            f"{path} ({response.status}, at {page.url}) is {found['html']} px wide "
            f"(body {found['body']}): {', '.join(found['culprits'])}"
        )
    problems += [f"{path}: {label}" for label in await page.evaluate(CHART_LABELS, MIN_LABEL_PX)]
    return response.status, problems


async def test_every_page_fits_a_phone_with_long_words_and_addresses(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    routes = page_routes()
    # The enumeration sees the app's pages, not an empty list.
    assert {"/", "/projects/{project_id}", "/people/{user_id}", "/admin/history"} <= set(routes)
    data = await seed(demo_server)

    pages: dict[str, Page] = {"public": await open_page(PHONE, phone=True)}
    for role, username in (("staff", data.staff), ("leader", "kadis1"), ("admin", "admin")):
        pages[role] = await open_page(PHONE, phone=True)
        password = data.staff_password if role == "staff" else DEMO_PASSWORD
        await _sign_in(pages[role], username, password)

    problems: list[str] = []
    shown: dict[str, set[str]] = {}
    for path in routes:
        url = fill(path, data.ids)
        for role in ROLES:
            page = pages[role]
            status, found = await check(page, url, PHONE["width"])
            if found:
                await shot(page, f"{role}-{re.sub(r'[^a-z0-9]+', '-', url)}")
            problems += [f"[{role}] {p}" for p in found]
            if status == 200 and (path == "/login" or "/login" not in page.url):
                shown.setdefault(path, set()).add(role)
    assert not problems, "\n".join(problems)
    # Each page was checked as itself for someone allowed to see it, not only as an error or the sign-in.
    assert set(shown) == set(routes), f"never shown: {set(routes) - set(shown)}"
    # The long texts were on the pages that were checked.
    await pages["staff"].goto(fill("/projects/{project_id}", data.ids))
    assert WORD in await pages["staff"].content()
    await pages["staff"].goto("/")
    assert WORD in await pages["staff"].content()


async def test_the_wall_board_keeps_long_words_inside_its_cards(open_page: OpenPage, demo_server: DemoServer):
    data = await seed(demo_server)
    board = await open_page(WALL, "kadis1")
    status, problems = await check(board, f"/board/unit/{data.ids['unit_id']}", WALL["width"])
    assert status == 200
    assert not problems, "\n".join(problems)
    card = board.locator(f'article.card[data-project-id="{data.ids["project_id"]}"]')
    assert await card.evaluate(
        "(el) => el.scrollWidth <= el.clientWidth && [...el.querySelectorAll('*')].every("
        "(c) => c.getBoundingClientRect().right <= el.getBoundingClientRect().right + 0.5)"
    ), "a long word sticks out of its card on the wall board"


async def _sign_in(page: Page, username: str, password: str) -> None:
    if password == DEMO_PASSWORD:
        await sign_in(page, username)
        return
    await page.goto("/login")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await page.wait_for_url(re.compile(r"^(?!.*/login)"))
