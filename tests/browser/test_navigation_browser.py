"""Navigation in a real browser, on a 360 px phone and a laptop: every role's header links lead where they
say (staff, leader, admin), the header never makes the page scroll sideways, "Tim saya" lists the leader's
people, and the lead's home shows a milestone an assignee reported at 100%.

Demo people (password pantau-demo): kadis1 heads Dinas Kependudukan dan Pencatatan Sipil and supervises its
kabid; asn111 leads "Layanan KTP-el Keliling ke Desa" with asn112 on its staff; admin is the operator."""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    DemoServer,
    OpenPage,
    Shot,
    assert_no_sideways_scroll,
    today_in_jakarta,
)

PROJECT = "Layanan KTP-el Keliling ke Desa"
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "laptop"])


def nav(page: Page):
    return page.get_by_role("navigation", name="Navigasi utama")


@SIZES
async def test_a_staff_members_header_leads_to_their_performance_help_and_account(
    open_page: OpenPage, demo_server: DemoServer, size: dict, shot: Shot
):
    me = await demo_server.get("/api/v1/me", "asn112")
    page = await open_page(size, "asn112", phone=size is PHONE)
    await expect(nav(page).get_by_role("link", name="Beranda")).to_have_attribute("aria-current", "page")
    await expect(nav(page).get_by_role("link", name="Tim saya")).to_have_count(0)
    await assert_no_sideways_scroll(page)
    await shot(page, "home", full_page=False)

    await nav(page).get_by_role("link", name="Kinerja saya").click()
    await expect(page.get_by_role("heading", level=1, name=me["name"])).to_be_visible()  # type: ignore[index]
    await expect(nav(page).get_by_role("link", name="Kinerja saya")).to_have_attribute("aria-current", "page")

    await page.get_by_role("link", name=re.compile("Ganti kata sandi")).click()
    await expect(page.get_by_role("heading", level=1, name="Ganti kata sandi")).to_be_visible()

    await nav(page).get_by_role("link", name="Bantuan").click()
    await expect(page).to_have_url(re.compile(r"/help$"))
    await assert_no_sideways_scroll(page)
    await page.get_by_role("link", name="Pantau").click()  # the brand leads home from any page
    await expect(page.get_by_role("heading", level=1, name="Pekerjaan saya")).to_be_visible()

    await page.get_by_role("button", name="Keluar").click()
    await expect(page).to_have_url(re.compile(r"/login"))
    await expect(nav(page).get_by_role("link", name="Bantuan")).to_be_visible()


@SIZES
async def test_a_leaders_header_leads_to_the_board_and_their_team(
    open_page: OpenPage, demo_server: DemoServer, size: dict, shot: Shot
):
    me = await demo_server.get("/api/v1/me", "kadis1")
    page = await open_page(size, "kadis1", phone=size is PHONE)
    await page.goto(f"/people/{me['id']}")  # type: ignore[index]
    await nav(page).get_by_role("link", name="Tim saya").click()
    await expect(page.get_by_role("heading", level=1, name="Tim saya")).to_be_visible()
    cards = page.locator(".team-card")
    await expect(cards.first).to_be_visible()
    assert await cards.count() >= 2  # the kabid of the dinas
    await expect(cards.first.get_by_role("link", name=re.compile("^Nilai"))).to_be_visible()
    await assert_no_sideways_scroll(page)
    await shot(page, "team")

    await nav(page).get_by_role("link", name="Papan unit").click()
    await expect(page).to_have_url(re.compile(rf"/board/unit/{me['unit_id']}$"))  # type: ignore[index]
    await expect(nav(page).get_by_role("link", name="Papan unit")).to_have_attribute("aria-current", "page")


@SIZES
async def test_the_admins_menu_opens_every_admin_page(
    open_page: OpenPage, demo_server: DemoServer, size: dict, shot: Shot
):
    page = await open_page(size, "admin", phone=size is PHONE)
    menu = nav(page).locator("details.site-menu")
    await menu.get_by_text("Menu admin").click()
    await expect(menu.get_by_role("link", name="Hari libur")).to_be_visible()
    await assert_no_sideways_scroll(page)
    await shot(page, "menu", full_page=False)
    await menu.get_by_role("link", name="Pengguna").click()
    await expect(page.get_by_role("heading", level=1, name="Pengguna")).to_be_visible()
    menu = nav(page).locator("details.site-menu")
    await menu.get_by_text("Menu admin").click()
    await expect(menu.get_by_role("link", name="Pengguna")).to_have_attribute("aria-current", "page")
    await menu.get_by_role("link", name="Kunci periode").click()
    await expect(page).to_have_url(re.compile(r"/admin/periods$"))


async def test_the_lead_sees_a_milestone_reported_at_100_percent_and_goes_to_close_it(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    projects = await demo_server.get("/api/v1/projects", "asn111")
    project = next(p for p in projects if p["name"] == PROJECT)  # type: ignore[union-attr]
    member = await demo_server.get("/api/v1/me", "asn112")
    title = f"Rekap perekaman desa {uuid.uuid4().hex[:6]}"
    async with demo_server.api() as http:
        created = await http.post(
            f"/api/v1/projects/{project['id']}/milestones",
            json={
                "title": title,
                "due_date": (today_in_jakarta() + timedelta(days=3)).isoformat(),
                "assignee_ids": [member["id"]],  # type: ignore[index]
            },
            headers=await demo_server.token("asn111"),
        )
        assert created.status_code == 201, created.text
        milestone = created.json()
        posted = await http.post(
            f"/api/v1/projects/{project['id']}/updates",
            json={"milestone_id": milestone["id"], "progress_pct": 100, "note": "Selesai direkap"},
            headers=await demo_server.token("asn112"),
        )
        assert posted.status_code == 201, posted.text

    page = await open_page(PHONE, "asn111", phone=True)
    queue = page.locator("section.lead-queue")
    item = queue.locator(f"#queue-{milestone['id']}")
    await expect(item).to_contain_text(title)
    await expect(item).to_contain_text(member["name"])  # type: ignore[index]
    await assert_no_sideways_scroll(page)
    await shot(page, "queue", full_page=False)
    await item.get_by_role("link", name=re.compile("^Tutup tonggak")).click()
    await expect(page).to_have_url(re.compile(rf"/projects/{project['id']}#milestone-{milestone['id']}$"))
    await expect(page.locator(f"#milestone-{milestone['id']}")).to_be_visible()
