"""A lead's form refused on a phone (360 px): the project page comes back with the message inside the
form, the form still open and what was typed still there; nothing scrolls sideways. The refusal is the
server's own rule (a quality of 5 needs a note), which the browser cannot check before sending."""

from playwright.async_api import expect

from tests.browser.conftest import PHONE, DemoServer, OpenPage, Shot, assert_no_sideways_scroll, sign_in


async def test_a_refused_close_keeps_the_form_open_and_filled_in(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    me = await demo_server.get("/api/v1/me", "asn111")
    projects = await demo_server.get("/api/v1/projects", "asn111")
    project = next(p for p in projects if p["lead_id"] == me["id"])  # type: ignore[union-attr]
    milestone = next(m for m in project["milestones"] if m["status"] == "open")
    reason = "Lampiran berita acara belum ada Kependudukanpencatatansipilbukitintan"

    phone = await open_page(PHONE, phone=True)
    await sign_in(phone, "asn111")
    await phone.goto(f"/projects/{project['id']}")
    item = phone.locator(f"#milestone-{milestone['id']}")
    await item.get_by_text("Tutup atau jadwal ulang").click()
    close = item.locator(f'form[action$="/milestones/{milestone["id"]}/close"]')
    await close.get_by_text("5 · Sangat baik").click()
    await close.get_by_role("radio", name="Penyerahan tidak diterima").check()
    await close.get_by_label("Alasan penyerahan tidak diterima").fill(reason)
    await close.get_by_role("button", name="Tutup tonggak").click()

    message = phone.locator(f"#error-close-{milestone['id']}")
    await expect(message).to_be_visible()
    await expect(message).to_contain_text("catatan")
    await expect(phone.get_by_role("alert").first).to_contain_text("Perubahan belum tersimpan")
    close = phone.locator(f'form[action$="/milestones/{milestone["id"]}/close"]')
    await expect(close.get_by_label("Alasan penyerahan tidak diterima")).to_have_value(reason)
    await expect(close.get_by_role("radio", name="Penyerahan tidak diterima")).to_be_checked()
    await expect(close.get_by_role("radio", name="5 · Sangat baik")).to_be_checked()
    await assert_no_sideways_scroll(phone)
    await message.scroll_into_view_if_needed()
    await shot(phone, "refused-close", full_page=False)

    after = await demo_server.get(f"/api/v1/projects/{project['id']}", "asn111")
    still = next(m for m in after["milestones"] if m["id"] == milestone["id"])  # type: ignore[index]
    assert still["status"] == "open", "nothing was written"
