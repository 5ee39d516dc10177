"""Nothing typed is lost (issue 13 item 3), on a 360 px phone in a real browser: a draft survives an
expired session and a refusal, and is cleared once the server saved it; the trend chart's axis reads
whole labels. Demo people as in test_browser.py: asn112 is on the staff of "Layanan KTP-el Keliling ke
Desa", kabid11 is the supervisor of asn11x. Each test writes only updates with a note of its own."""

import re
import uuid

from playwright.async_api import expect

from tests.browser.conftest import DEMO_PASSWORD, PHONE, DemoServer, OpenPage, Shot, assert_no_sideways_scroll

PROJECT = "Layanan KTP-el Keliling ke Desa"


async def _my_open_milestone(demo_server: DemoServer, username: str) -> tuple[int, dict]:
    project = await demo_server.project(PROJECT, username)
    milestone = await demo_server.own_open_milestone(PROJECT, username)
    return project["id"], milestone


async def test_an_update_typed_before_the_session_expired_is_back_in_the_form_after_signing_in(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    project_id, milestone = await _my_open_milestone(demo_server, "asn112")
    note = f"Rekap berkas desa Sukamaju ({uuid.uuid4().hex[:6]})"
    page = await open_page(PHONE, "asn112", phone=True)
    await page.goto(f"/projects/{project_id}")
    form = page.locator(f'[data-draft="update-{milestone["id"]}"]')
    await expect(form).to_have_attribute("open", "")  # their own milestone: the form is unfolded
    await form.get_by_label("Kemajuan", exact=True).fill(str(milestone["progress_pct"]))
    await form.get_by_label("Yang dikerjakan").fill(note)
    await form.get_by_label("Kendala").fill("Printer kecamatan rusak")

    # The session ends (expired, or signed out elsewhere) while the form is open; then they send it.
    await page.context.clear_cookies(name="pantau_session")
    await form.get_by_role("button", name="Kirim pembaruan").click()
    await page.wait_for_url(re.compile(r"/login\?next="))
    await page.get_by_label("Nama pengguna").fill("asn112")
    await page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Masuk", exact=True).click()

    # Back on the form's page (not a 405), with what was typed, and saying so.
    await page.wait_for_url(re.compile(rf"/projects/{project_id}$"))
    form = page.locator(f'[data-draft="update-{milestone["id"]}"]')
    await expect(form.get_by_label("Yang dikerjakan")).to_have_value(note)
    await expect(form.get_by_label("Kendala")).to_have_value("Printer kecamatan rusak")
    await expect(form.locator(".draft-note")).to_contain_text("Draf dipulihkan")
    await assert_no_sideways_scroll(page)
    await form.scroll_into_view_if_needed()
    await shot(page, "restored", full_page=False)

    # Sent (the printer was mended meanwhile) and saved: the draft is gone, so the form comes back empty.
    await form.get_by_label("Kendala").fill("")
    await form.get_by_role("button", name="Kirim pembaruan").click()
    await page.wait_for_url(re.compile(r"\?saved=1$"))
    await expect(page.locator(".feed")).to_contain_text(note)
    await page.goto(f"/projects/{project_id}")
    form = page.locator(f'[data-draft="update-{milestone["id"]}"]')
    await expect(form.get_by_label("Yang dikerjakan")).to_have_value("")
    await expect(form.locator(".draft-note")).to_have_count(0)


async def test_a_refused_update_is_said_beside_the_form_and_keeps_what_was_typed(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    project_id, milestone = await _my_open_milestone(demo_server, "asn112")
    # A step up first (through the API), so that the form can go one step down, which needs a reason.
    higher = min(100, milestone["progress_pct"] + 1)
    async with demo_server.api() as http:
        posted = await http.post(
            f"/api/v1/projects/{project_id}/updates",
            json={"milestone_id": milestone["id"], "progress_pct": higher, "note": "Naik satu langkah"},
            headers=await demo_server.token("asn112"),
        )
    assert posted.status_code == 201, posted.text
    page = await open_page(PHONE, "asn112", phone=True)
    task = page.locator(f"#m-{milestone['id']}")
    blocker = f"Menunggu tanda tangan camat ({uuid.uuid4().hex[:6]})"
    await task.get_by_label("Kemajuan", exact=True).fill(str(higher - 1))
    await task.get_by_label("Kendala").fill(blocker)
    await task.get_by_role("button", name="Kirim pembaruan").click()

    # The page drawn again is "Pekerjaan saya", with the reason beside this milestone's form, and the
    # form as it was typed.
    task = page.locator(f"#m-{milestone['id']}")
    await expect(task.locator(f"#update-refused-{milestone['id']}")).to_contain_text(
        "Pembaruan belum tersimpan"
    )
    await expect(task.get_by_label("Kendala")).to_have_value(blocker)
    await expect(task.get_by_label("Kemajuan", exact=True)).to_have_value(str(higher - 1))
    await assert_no_sideways_scroll(page)
    await task.scroll_into_view_if_needed()
    await shot(page, full_page=False)


async def test_the_evaluation_page_keeps_a_draft_of_both_ratings_until_discarded(
    open_page: OpenPage, demo_server: DemoServer
):
    staff = await demo_server.get("/api/v1/users", "admin")
    kabid = next(u for u in staff if u["username"] == "kabid11")  # type: ignore[union-attr]
    person = next(u for u in staff if u.get("supervisor_id") == kabid["id"])  # type: ignore[union-attr]
    page = await open_page(PHONE, "kabid11", phone=True)
    await page.goto(f"/people/{person['id']}/evaluation")
    await expect(page.get_by_label("Catatan umum")).to_be_editable()
    note = f"Sigap melayani warga ({uuid.uuid4().hex[:6]})"
    reason = f"Alasan saya ({uuid.uuid4().hex[:6]})"
    await page.get_by_label("Catatan umum").fill(note)
    await page.locator("#reason").fill(reason)
    await page.reload()
    await expect(page.get_by_label("Catatan umum")).to_have_value(note)
    await expect(page.locator("#reason")).to_have_value(reason)
    restored = page.locator(".draft-note")
    await expect(restored).to_contain_text("Draf dipulihkan")
    await restored.get_by_role("button", name="Buang draf").click()
    await expect(page.get_by_label("Catatan umum")).not_to_have_value(note)
    await page.reload()
    await expect(page.locator(".draft-note")).to_have_count(0)
    await assert_no_sideways_scroll(page)


async def test_the_trend_axis_shows_whole_labels_on_a_phone(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    me = await demo_server.get("/api/v1/me", "asn112")
    page = await open_page(PHONE, "asn112", phone=True)
    await page.goto(f"/people/{me['id']}")
    chart = page.locator(".trend__svg")
    await chart.scroll_into_view_if_needed()
    box = await chart.bounding_box()
    assert box is not None
    labels = page.locator('.trend__grid text[text-anchor="end"]')
    assert await labels.count() >= 5  # 0% to at least 100%
    texts = await labels.all_text_contents()
    assert "100%" in texts
    for index in range(await labels.count()):
        label = await labels.nth(index).bounding_box()
        assert label is not None
        assert label["x"] >= box["x"] - 0.5, f"{texts[index]} is cut at the chart's left edge"
    await assert_no_sideways_scroll(page)
    await shot(page, full_page=False)


async def test_saving_one_rating_saves_the_other_just_typed_and_clears_the_draft(
    open_page: OpenPage, demo_server: DemoServer
):
    staff = await demo_server.get("/api/v1/users", "admin")
    kabid = next(u for u in staff if u["username"] == "kabid11")  # type: ignore[union-attr]
    person = [u for u in staff if u.get("supervisor_id") == kabid["id"]][-1]  # type: ignore[union-attr]
    page = await open_page(PHONE, "kabid11", phone=True)
    await page.goto(f"/people/{person['id']}/evaluation")
    reason = f"Target desa tercapai ({uuid.uuid4().hex[:6]})"
    note = f"Ramah kepada warga ({uuid.uuid4().hex[:6]})"
    await page.locator("#hasil-meets").check()
    await page.locator("#reason").fill(reason)
    await page.locator("#perilaku-meets").check()
    await page.get_by_label("Catatan umum").fill(note)
    await page.get_by_role("button", name="Simpan perilaku kerja").click()

    await page.wait_for_url(re.compile(r"saved=1"))
    await expect(page.get_by_role("status").filter(has_text="Tersimpan.")).to_be_visible()
    # Both were saved: the page draws them from the server, and no draft is brought back.
    await expect(page.locator("#reason")).to_have_value(reason)
    await expect(page.get_by_label("Catatan umum")).to_have_value(note)
    await expect(page.locator(".draft-note")).to_have_count(0)
    drafts = await page.evaluate("Object.keys(localStorage).filter(k => k.includes('.evaluation-'))")
    assert drafts == [], "the saved evaluation's draft is still kept"
    rating = await demo_server.get(f"/api/v1/users/{person['id']}/performance", "kabid11")
    assert rating["hasil_kerja"] == "meets" and rating["perilaku"] == "meets"  # type: ignore[index]
    await assert_no_sideways_scroll(page)
