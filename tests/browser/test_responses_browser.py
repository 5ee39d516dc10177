"""Answering updates live: asn112's home is open on a phone; kadis1, on the unit board's companion page,
sees asn112's new update arrive without a reload, marks it seen and comments; asn112's home shows both
without a reload, and the bell's count moves with each. Demo people and password as in test_browser.py; the texts are unique to this run."""

import uuid

from playwright.async_api import expect

from tests.browser.conftest import PHONE, DemoServer, OpenPage, Shot, assert_no_sideways_scroll, sign_in

DINAS = "Dinas Kependudukan dan Pencatatan Sipil"
PROJECT = "Layanan KTP-el Keliling ke Desa"


async def test_a_leader_acknowledges_an_update_on_the_companion_page_and_the_author_sees_it_live(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    dinas = await demo_server.unit_id(DINAS)
    kadis = await demo_server.get("/api/v1/me", "kadis1")
    project = await demo_server.project(PROJECT, "asn112")
    milestone = await demo_server.own_open_milestone(PROJECT, "asn112")
    note = f"Pelayanan di Desa Sukamaju ({uuid.uuid4().hex[:6]}) Kependudukanpencatatansipilbukitintan"

    # asn112's home is open before anything happens.
    home = await open_page(PHONE, phone=True)
    await sign_in(home, "asn112")
    await expect(home.locator("#my-responses")).to_be_attached()
    bell = home.locator("[data-bell]")
    await expect(bell).to_have_attribute("data-live", "true")  # the bell follows asn112's own board
    unread = int(await bell.get_attribute("data-unread") or "0")
    await home.evaluate("window.__notReloaded = true")  # gone if the page were loaded again

    # kadis1 opens the companion page from the board, then asn112 posts: it arrives without a reload.
    feed = await open_page(PHONE, phone=True)
    await sign_in(feed, "kadis1")
    await feed.goto(f"/board/unit/{dinas}")
    await feed.get_by_role("link", name="Tanggapi pembaruan").click()
    await expect(feed).to_have_url(f"{demo_server.base_url}/board/unit/{dinas}/feed")
    await expect(feed.locator("#board-feed")).to_have_attribute("data-live", "true")
    async with demo_server.api() as http:
        posted = await http.post(
            f"/api/v1/projects/{project['id']}/updates",
            json={"milestone_id": milestone["id"], "progress_pct": milestone["progress_pct"], "note": note},
            headers=await demo_server.token("asn112"),
        )
    assert posted.status_code == 201, posted.text
    update_id = posted.json()["id"]
    item = feed.locator(f'li[data-feed-update="{update_id}"]')
    await expect(item).to_contain_text(note)

    # kadis1 marks it seen: the companion page says so, and so does asn112's home, unreloaded.
    await item.get_by_role("button", name="Tandai dilihat").click()
    item = feed.locator(f'li[data-feed-update="{update_id}"]')
    await expect(item).to_contain_text(f"Dilihat oleh {kadis['name']}")
    await expect(item.get_by_role("button", name="Tandai dilihat")).to_have_count(0)
    answers = home.locator("#my-responses")
    await expect(answers).to_be_visible()
    await expect(answers.locator("li").first).to_contain_text(f"{kadis['name']} melihat pembaruan Anda")
    await expect(bell).to_have_attribute("data-unread", str(unread + 1))
    await expect(bell.locator("[data-bell-count]")).to_have_text(str(unread + 1))

    # A comment from the companion page reaches the home too; the home was never reloaded.
    await item.get_by_text("Beri komentar").click()
    await item.get_by_label("Komentar").fill("Bagus, lanjutkan ke desa berikutnya")
    await item.get_by_role("button", name="Kirim komentar").click()
    await expect(feed.locator(f'li[data-feed-update="{update_id}"]')).to_contain_text("Bagus, lanjutkan")
    await expect(answers.locator("li").first).to_contain_text(
        f"{kadis['name']} berkomentar: Bagus, lanjutkan ke desa berikutnya"
    )
    await expect(bell).to_have_attribute("data-unread", str(unread + 2))
    assert await home.evaluate("window.__notReloaded === true")
    await assert_no_sideways_scroll(feed)
    await assert_no_sideways_scroll(home)
    await feed.locator(f'li[data-feed-update="{update_id}"]').scroll_into_view_if_needed()
    await shot(feed, "feed", full_page=False)
    await answers.scroll_into_view_if_needed()
    await shot(home, "home", full_page=False)

    responses = await demo_server.get(f"/api/v1/updates/{update_id}/responses", "asn112")
    assert [s["by"] for s in responses["seen"]] == [kadis["id"]]  # type: ignore[index]
