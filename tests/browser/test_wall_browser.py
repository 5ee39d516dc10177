"""The wall screen (/board/unit/{id}?layout=wall) in a real browser at 1920×1080 and 1280×720: every project
comes round page by page with a page indicator, a new update shows in the activity strip and its card stays
highlighted for more than 10 seconds, the clock and the connection state are on screen, and nothing scrolls.
Time is Playwright's clock (page.clock): the test moves it forward instead of waiting."""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import DESKTOP, DemoServer, OpenPage, Shot, today_in_jakarta

PROJECTS = 13  # in the unit itself; one more in its sub-unit: more than two pages at 3 × 2 cards
PAGE_SECONDS = 20


@pytest.fixture(scope="module")
async def wall_unit(demo_server: DemoServer) -> dict:
    """A dinas of its own (so that no other test's board changes) with 13 projects, a bidang with one more,
    all led by the admin, who watches the wall. The last project has a milestone to post updates on."""
    admin = await demo_server.token("admin")
    me = await demo_server.get("/api/v1/me", "admin")
    suffix = uuid.uuid4().hex[:6]
    today = today_in_jakarta()
    async with demo_server.api() as http:

        async def post(path: str, body: dict) -> dict:
            response = await http.post(path, json=body, headers=admin)
            assert response.status_code == 201, f"{path}: {response.text}"
            return response.json()

        unit = await post("/api/v1/units", {"name": f"Dinas Layar Dinding {suffix}"})
        bidang = await post("/api/v1/units", {"name": f"Bidang Pemantauan {suffix}", "parent_id": unit["id"]})
        projects = []
        for n in range(PROJECTS + 1):
            projects.append(
                await post(
                    "/api/v1/projects",
                    {
                        "name": f"Proyek Papan Dinding {n + 1:02d}",
                        "unit_id": bidang["id"] if n == PROJECTS else unit["id"],
                        "lead_id": me["id"],  # type: ignore[index]
                        "start_date": (today - timedelta(days=5)).isoformat(),
                        "due_date": (today + timedelta(days=60)).isoformat(),
                    },
                )
            )
        target = projects[PROJECTS - 1]
        milestone = await post(
            f"/api/v1/projects/{target['id']}/milestones",
            {
                "title": "Uji layar dinding",
                "due_date": (today + timedelta(days=10)).isoformat(),
                "assignee_ids": [],
            },
        )
    return {"unit": unit, "bidang": bidang, "projects": projects, "target": target, "milestone": milestone}


async def _no_scrollbars(page: Page) -> None:
    sizes = await page.evaluate(
        """() => { const e = document.scrollingElement;
                   return [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight]; }"""
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], f"the wall scrolls: {sizes}"


def _visible_cards(page: Page):
    return page.locator("article.card[data-project-id]:visible")


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1080p", "720p"])
async def test_wall_pages_through_every_project_and_highlights_a_change_for_over_ten_seconds(
    open_page: OpenPage, demo_server: DemoServer, wall_unit: dict, shot: Shot, size
):
    width, height = size
    page = await open_page({"width": width, "height": height}, "admin")
    await page.clock.install()
    await page.goto(f"/board/unit/{wall_unit['unit']['id']}?layout=wall&page_seconds={PAGE_SECONDS}")
    await expect(page.locator("#live")).to_have_attribute("data-state", "live")
    await expect(page.locator("#live-text")).to_have_text("Langsung")
    await page.evaluate("window.__pantauTestMarker = 'not reloaded'")
    now_ms = await page.evaluate("Date.now()")
    await page.clock.pause_at(now_ms / 1000 + 1)

    # The clock (HH.MM in WIB) and the connection state are on screen, with no site header above them.
    await expect(page.locator("#clock-time")).to_have_text(re.compile(r"^\d\d\.\d\d$"))
    await expect(page.locator("#clock")).to_be_in_viewport()
    await expect(page.locator("#live")).to_be_in_viewport()
    await expect(page.locator(".site-header")).to_be_hidden()

    # 14 projects at 3 × 2 cards: three pages, the indicator on screen, and every card shown once.
    total = PROJECTS + 1
    await expect(page.locator("#pager")).to_be_visible()
    await expect(page.locator("#pager-text")).to_have_text("Halaman 1 dari 3")
    await expect(page.locator("#pager-dots > span")).to_have_count(3)
    seen: list[str] = []
    for number in (1, 2, 3):
        await expect(page.locator("#pager-text")).to_have_text(f"Halaman {number} dari 3")
        cards = _visible_cards(page)
        count = await cards.count()
        assert count == (6 if number < 3 else total - 12), f"page {number} shows {count} cards"
        for index in range(count):
            await expect(cards.nth(index)).to_be_in_viewport(ratio=1)
        seen += [await cards.nth(i).get_attribute("data-project-id") for i in range(count)]
        # Readable from across the room: project names of at least 28 px on a 1080p screen.
        title = await cards.first.locator(".card__name").evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert title >= (28 if height >= 1080 else 18), title
        await _no_scrollbars(page)
        if number == 1:
            await shot(page, f"{height}-page1", full_page=False)
        await page.clock.run_for(PAGE_SECONDS * 1000)
    assert sorted(seen) == sorted(str(p["id"]) for p in wall_unit["projects"])
    await expect(page.locator("#pager-text")).to_have_text("Halaman 1 dari 3")  # and round again

    # An update to a project on another page: the wall turns to its card, highlights it and lists it.
    note = f"Uji layar {uuid.uuid4().hex[:6]}"
    target = wall_unit["target"]
    card = page.locator(f'article.card[data-project-id="{target["id"]}"]')
    await expect(card).to_be_hidden()
    headers = await demo_server.token("admin")
    async with demo_server.api() as http:
        response = await http.post(
            f"/api/v1/projects/{target['id']}/updates",
            json={"milestone_id": wall_unit["milestone"]["id"], "progress_pct": 40, "note": note},
            headers=headers,
        )
    assert response.status_code == 201, response.text

    first = page.locator("#activity > li").first
    await expect(first).to_contain_text(note)
    await expect(first).to_contain_text(target["name"])
    await expect(first).to_have_class(re.compile(r"\bis-new\b"))
    await expect(card).to_be_in_viewport(ratio=1)
    await expect(card).to_have_class(re.compile(r"\bis-changed\b"))
    await expect(card.locator(".card__new")).to_be_visible()
    await shot(page, f"{height}-changed", full_page=False)
    # It glows; a screen set to reduce motion keeps the thick outline without the glow.
    style = "e => [getComputedStyle(e).animationName, getComputedStyle(e).outlineStyle]"
    assert await card.evaluate(style) == ["wall-glow", "solid"]
    await page.emulate_media(reduced_motion="reduce")
    assert await card.evaluate(style) == ["none", "solid"]

    await page.clock.run_for(10_500)
    await expect(card).to_have_class(re.compile(r"\bis-changed\b"))
    await expect(card).to_be_in_viewport(ratio=1)  # still on screen: its page is held for a page's time
    await page.clock.run_for(2_000)
    await expect(card).not_to_have_class(re.compile(r"\bis-changed\b"))
    await expect(first).not_to_have_class(re.compile(r"\bis-new\b"))
    await _no_scrollbars(page)
    assert await page.evaluate("window.__pantauTestMarker") == "not reloaded"


async def test_blockers_are_listed_first_and_acknowledged_from_the_board_live_on_every_open_board(
    open_page: OpenPage, demo_server: DemoServer, wall_unit: dict, shot: Shot
):
    unit_id = wall_unit["unit"]["id"]
    target = wall_unit["target"]
    text = f"Server aplikasi mati {uuid.uuid4().hex[:6]}"
    # One leader's desk (the ordinary board) and the wall screen, both open before anything happens.
    desk = await open_page(DESKTOP, "admin")
    await desk.goto(f"/board/unit/{unit_id}")
    wall = await open_page({"width": 1920, "height": 1080}, "admin")
    await wall.goto(f"/board/unit/{unit_id}?layout=wall")
    for page in (desk, wall):
        await expect(page.locator("#live")).to_have_attribute("data-state", "live")
        await page.evaluate("window.__pantauTestMarker = 'not reloaded'")

    headers = await demo_server.token("admin")
    async with demo_server.api() as http:
        response = await http.post(
            f"/api/v1/projects/{target['id']}/updates",
            json={"milestone_id": wall_unit["milestone"]["id"], "progress_pct": 45, "blockers": text},
            headers=headers,
        )
    assert response.status_code == 201, response.text
    update_id = response.json()["id"]

    for page in (desk, wall):
        item = page.locator(f'#blocker-list > li[data-update-id="{update_id}"]')
        await expect(item).to_contain_text(text)
        await expect(item).to_contain_text(target["name"])
        await expect(item.locator(".blocker-item__age")).to_have_text(re.compile(r"^terbuka \d+ menit$"))
        await expect(item.get_by_role("button", name="Tandai diketahui")).to_be_visible()
        await expect(page.locator("#blockers-none")).to_be_hidden()
        # Listed before the project cards.
        above = await page.evaluate(
            """() => document.getElementById("blocker-list").compareDocumentPosition(
                   document.getElementById("cards")) & Node.DOCUMENT_POSITION_FOLLOWING"""
        )
        assert above
        assert await page.evaluate("window.__pantauTestMarker") == "not reloaded"
    await expect(wall.locator("#activity > li").first).to_contain_text(text)
    await shot(desk, "desk-open", full_page=False)

    # The desk acknowledges with the item's own form (a plain form post: the desk page comes back);
    # the wall, still open, shows it live.
    await (
        desk.locator(f'#blocker-list > li[data-update-id="{update_id}"]')
        .get_by_role("button", name="Tandai diketahui")
        .click()
    )
    await desk.wait_for_url(re.compile(rf"/board/unit/{unit_id}$"))
    for page in (desk, wall):
        item = page.locator(f'#blocker-list > li[data-update-id="{update_id}"]')
        await expect(item).to_contain_text("Diketahui oleh")
        await expect(item.get_by_role("button", name="Tandai diketahui")).to_be_hidden()
    assert await wall.evaluate("window.__pantauTestMarker") == "not reloaded"

    # The lead resolves it: it leaves the list on the open board.
    async with demo_server.api() as http:
        response = await http.post(
            f"/api/v1/updates/{update_id}/blocker/resolve",
            json={"note": "Server dinyalakan ulang"},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    await expect(wall.locator(f'#blocker-list > li[data-update-id="{update_id}"]')).to_have_count(0)
    assert await wall.evaluate("window.__pantauTestMarker") == "not reloaded"
