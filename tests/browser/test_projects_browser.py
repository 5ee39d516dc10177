"""A leader runs a project from a phone, without the API (issue 13, item 2): creates it, adds a member
and a first milestone, edits the milestone, archives the project; every page fits 360 px."""

import re
import uuid
from datetime import timedelta

from playwright.async_api import expect

from tests.browser.conftest import (
    PHONE,
    DemoServer,
    OpenPage,
    Shot,
    assert_no_sideways_scroll,
    today_in_jakarta,
)


async def test_leader_creates_staffs_plans_edits_and_archives_a_project_on_a_phone(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    me = await demo_server.get("/api/v1/me", "kadis1")
    name = f"Jemput Bola Akta {uuid.uuid4().hex[:6]}"
    page = await open_page(PHONE, user="kadis1", phone=True)

    await page.goto(f"/board/unit/{me['unit_id']}")  # type: ignore[index]
    await page.get_by_role("link", name="+ Proyek baru").click()
    await expect(page.get_by_role("heading", name="Proyek baru", level=1)).to_be_visible()
    await assert_no_sideways_scroll(page)
    await page.get_by_label("Nama proyek").fill(name)
    await page.get_by_label("Unit").select_option(str(me["unit_id"]))  # type: ignore[index]
    await page.get_by_label("Tanggal selesai").fill(str(today_in_jakarta() + timedelta(days=45)))
    await page.get_by_role("button", name="Buat proyek").click()

    # The new, empty project says what to do next, and is not "late".
    await expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    await expect(page.get_by_text("Tambahkan tonggak pertama")).to_be_visible()
    await expect(page.locator(".page-head__badges")).to_contain_text("Sesuai jadwal")
    await assert_no_sideways_scroll(page)

    member_select = page.get_by_label("Pegawai")
    await member_select.select_option(index=1)
    member = (await member_select.locator("option:checked").inner_text()).split(" · ")[0].strip()
    await page.get_by_role("button", name="Tambah anggota").click()
    await expect(page.locator("#new-title")).to_be_visible()

    plan = page.locator('form[action$="/milestones"]')
    await plan.get_by_label("Judul").fill("Pendataan warga")
    await plan.get_by_label(member).check()
    await plan.get_by_role("button", name="Tambah tonggak").click()
    await expect(page.get_by_role("heading", name="Pendataan warga", level=3)).to_be_visible()

    await page.get_by_role("link", name="Ubah proyek, tonggak dan anggota").click()
    await expect(page.get_by_role("heading", name="Ubah proyek", level=1)).to_be_visible()
    await assert_no_sideways_scroll(page)
    milestone_form = page.locator('form[action*="/milestones/"][action$="/edit"]')
    await milestone_form.get_by_label("Judul").fill("Pendataan warga lansia")
    await milestone_form.get_by_label("Bobot").fill("3")
    await milestone_form.get_by_role("button", name="Simpan tonggak").click()
    await expect(page.get_by_text("Tonggak tersimpan.")).to_be_visible()
    await expect(milestone_form.get_by_label("Judul")).to_have_value("Pendataan warga lansia")
    await expect(milestone_form.get_by_label("Bobot")).to_have_value("3")

    # A board left open elsewhere (the wall screen) drops the card live when the project is archived.
    board = await open_page({"width": 1280, "height": 720}, user="kadis1")
    await board.goto(f"/board/unit/{me['unit_id']}")  # type: ignore[index]
    await expect(board.locator("#live")).to_have_attribute("data-state", "live")
    await expect(board.locator("[data-project-id]", has_text=name)).to_have_count(1)

    await page.get_by_role("button", name="Arsipkan proyek").click()
    await expect(page.locator(".archived-banner")).to_contain_text("Diarsipkan")
    await expect(board.locator("[data-project-id]", has_text=name)).to_have_count(0)
    await expect(page.get_by_role("heading", name="Pendataan warga lansia", level=3)).to_be_visible()
    await expect(page.get_by_role("button", name="Tambah tonggak")).to_have_count(0)
    await assert_no_sideways_scroll(page)
    await shot(page)
    project_url = page.url

    # Off the leader's board; back at its address, still readable.
    await page.goto(f"/board/unit/{me['unit_id']}")  # type: ignore[index]
    await expect(page.get_by_role("link", name=name)).to_have_count(0)
    await page.goto(project_url)
    await expect(page).to_have_url(re.compile(r"/projects/\d+"))
    await expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
