"""The bell on a phone (360 px): the lead of a project has a page open; a member reports a blocker on
that project; the bell's count goes up on the open page without a reload, and the page hears of it
(`pantau:notification`). Demo people and password as in test_browser.py."""

import uuid

from playwright.async_api import expect

from tests.browser.conftest import PHONE, DemoServer, OpenPage, Shot

PROJECT = "Layanan KTP-el Keliling ke Desa"


async def test_the_bell_counts_a_new_blocker_live(open_page: OpenPage, demo_server: DemoServer, shot: Shot):
    me = await demo_server.get("/api/v1/me", "asn112")
    project = await demo_server.project(PROJECT, "asn112")
    milestone = await demo_server.own_open_milestone(PROJECT, "asn112")
    users = await demo_server.get("/api/v1/users", "admin")
    lead = next(u for u in users if u["id"] == project["lead_id"])  # type: ignore[union-attr]
    assert lead["id"] != me["id"]  # type: ignore[index]

    page = await open_page(PHONE, user=lead["username"], phone=True)  # type: ignore[index]
    await page.evaluate(
        "window.heard = []; document.addEventListener('pantau:notification', e => window.heard.push(e.detail))"
    )
    bell = page.locator("[data-bell]")
    await expect(bell).to_have_attribute("data-live", "true")
    before = int(
        await bell.get_attribute("data-unread")
        or (await page.locator("[data-bell-count]").text_content())
        or 0
    )

    text = f"Mobil keliling mogok ({uuid.uuid4().hex[:6]})"
    async with demo_server.api() as http:
        response = await http.post(
            f"/api/v1/projects/{project['id']}/updates",
            json={
                "milestone_id": milestone["id"],
                "progress_pct": milestone["progress_pct"],
                "blockers": text,
            },
            headers=await demo_server.token("asn112"),
        )
    assert response.status_code == 201, response.text

    count = page.locator("[data-bell-count]")
    await expect(count).to_have_text(str(before + 1))
    await expect(count).to_be_visible()
    heard = await page.evaluate("window.heard")
    assert len(heard) == 1 and text in heard[0]["notification"]["text"]
    assert heard[0]["notification"]["url"] == f"/projects/{project['id']}"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the header scrolls sideways at {PHONE['width']} px ({width} px)"
    await shot(page, "bell")

    # The notifications page lists it; opening it goes to the project and the count goes down.
    await page.goto("/notifications")
    item = page.locator("#notifications li", has_text=text)
    await expect(item).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"/notifications scrolls sideways at {PHONE['width']} px ({width} px)"
    await item.get_by_role("button").click()
    await page.wait_for_url(f"**/projects/{project['id']}")
    await expect(page.locator("[data-bell]")).to_have_attribute("data-live", "true")
    await expect(page.locator("[data-bell-count]")).to_have_text(str(before))
