"""Onboarding in a real browser at laptop size: after an import the admin prints credential slips on A4,
and a new person signs in with the first password from the slip and is made to change it first."""

import re

from playwright.async_api import Page, expect

from tests.browser.conftest import DemoServer, OpenPage, Shot

LAPTOP = {"width": 1366, "height": 768}
# Serial numbers 95x: the demo's NIPs use serials below 100, the import test 90x.
NEW = [("198604112011011951", "Fitri Handayani"), ("199203052016032952", "Yusuf Maulana")]
CHOSEN = "teh-manis-sore-42"


async def _import(page: Page) -> None:
    await page.goto("/admin/import")
    text = "NIP,Nama,Unit,NIP Atasan,Peran\n" + "".join(
        f"{nip},{name},Bidang Pencatatan Sipil,,staff\n" for nip, name in NEW
    )
    await page.get_by_label(re.compile(r"^Berkas")).set_input_files(
        {"name": "pegawai-slip.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    await page.get_by_role("button", name="Periksa").click()
    await page.get_by_role("button", name="Impor 2 pegawai").click()
    await page.wait_for_url(re.compile(r"/admin/import\?selesai=2$"))


async def test_admin_prints_slips_and_a_new_person_changes_the_first_password(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    users = await demo_server.get("/api/v1/users", "admin")
    assert not {nip for nip, _ in NEW} & {u["nip"] for u in users}  # type: ignore[union-attr]

    admin = await open_page(LAPTOP, "admin")
    await _import(admin)
    await admin.get_by_role("button", name="Buat kata sandi pertama & cetak slip").click()
    await expect(admin.get_by_role("heading", name="Slip kata sandi pertama", level=1)).to_be_visible()
    slip = admin.locator("article.slip", has_text=NEW[0][1])
    await expect(slip).to_have_count(1)
    await expect(slip).to_contain_text("19860411 201101 1 951")
    await expect(slip).to_contain_text("/login")
    await expect(slip).to_contain_text("Ganti kata sandi ini saat pertama masuk")
    await expect(admin.locator("article.slip", has_text=NEW[1][1])).to_have_count(1)
    first = (await slip.locator("[data-first-password]").text_content() or "").strip()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", first), first
    await shot(admin, "screen")

    # Printed: only the slips, two to a row, cut lines around each.
    await admin.emulate_media(media="print")
    await expect(admin.locator(".site-header")).to_be_hidden()
    await expect(admin.locator(".slips-screen")).to_be_hidden()
    columns = await admin.locator(".slip-sheet").first.evaluate(
        "e => getComputedStyle(e).gridTemplateColumns"
    )
    assert len(columns.split()) == 2, columns
    assert await slip.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    await shot(admin, "print")
    await admin.emulate_media(media="screen")

    person = await open_page(LAPTOP)
    await person.goto("/login")
    await person.get_by_label("Nama pengguna").fill(NEW[0][0])
    await person.get_by_label("Kata sandi").fill(first)
    await person.get_by_role("button", name="Masuk", exact=True).click()
    await person.wait_for_url(re.compile(r"/account/password$"))
    await expect(person.get_by_text("Ganti kata sandi pertama Anda dulu.")).to_be_visible()
    await person.goto("/")  # anything else leads back here until the password is changed
    await person.wait_for_url(re.compile(r"/account/password$"))

    await person.get_by_label("Kata sandi sekarang").fill(first)
    await person.get_by_label("Kata sandi baru", exact=True).fill("bismillah123")
    await person.get_by_label("Ulangi kata sandi baru").fill("bismillah123")
    await person.get_by_role("button", name="Ganti kata sandi").click()
    await expect(person.locator("#new_password-error")).to_be_visible()  # the policy, on its field
    await expect(person.locator("#new_password")).to_have_attribute("aria-invalid", "true")
    await shot(person, "refused")

    await person.get_by_label("Kata sandi sekarang").fill(first)
    await person.get_by_label("Kata sandi baru", exact=True).fill(CHOSEN)
    await person.get_by_label("Ulangi kata sandi baru").fill(CHOSEN)
    await person.get_by_role("button", name="Ganti kata sandi").click()
    await person.wait_for_url(re.compile(r"/account/password\?saved=1$"))
    await expect(person.get_by_role("status")).to_contain_text("Kata sandi Anda sudah diganti")
    await expect(person.get_by_text("Ganti kata sandi pertama Anda dulu.")).to_have_count(0)
    await person.get_by_role("link", name=re.compile("Lanjut ke Pantau")).click()
    await person.wait_for_url(re.compile(r"/$"))
    await expect(person.get_by_role("heading", level=1)).to_be_visible()
    await shot(person)
