"""Dialog kinerja on phones (360 px): asn112's rater writes an agreed action with a due date on the
evaluation page, asn112 replies from their own performance page, and both see the whole thread. Demo
people and password as in test_browser.py; the texts are unique to this run."""

import uuid
from datetime import timedelta

from playwright.async_api import expect

from tests.browser.conftest import (
    PHONE,
    DemoServer,
    OpenPage,
    Shot,
    assert_no_sideways_scroll,
    sign_in,
    today_in_jakarta,
)

ASN = "asn112"


async def test_rater_and_asn_keep_a_dialog_on_their_phones(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    today = today_in_jakarta()
    period = f"{today.year:04d}-{today.month:02d}"
    me = await demo_server.get("/api/v1/me", ASN)
    users = await demo_server.get("/api/v1/users", "admin")
    rater = next(u for u in users if u["id"] == me["supervisor_id"])  # type: ignore[union-attr]
    run = uuid.uuid4().hex[:6]
    # A long word too: the thread must wrap it rather than scroll sideways on a phone.
    action = f"Susun jadwal layanan keliling ({run}) Kependudukanpencatatansipilbukitintan"
    reply = f"Siap, jadwal saya kirim Jumat ({run})"
    due = today + timedelta(days=7)

    # The rater writes an agreed action with a due date beside the ratings.
    rater_page = await open_page(PHONE, phone=True)
    await sign_in(rater_page, rater["username"])
    await rater_page.goto(f"/people/{me['id']}/evaluation?period={period}")
    thread = rater_page.locator("#dialog")
    await thread.get_by_text("Tindak lanjut yang disepakati (dengan tenggat)").click()
    await thread.locator("#dialog-due").fill(due.isoformat())
    await thread.locator("#dialog-text").fill(action)
    await thread.get_by_role("button", name="Kirim ke dialog").click()
    entry = rater_page.locator("#dialog li.dialog__entry", has_text=action)
    await expect(entry).to_be_visible()
    await expect(entry).to_contain_text("Tindak lanjut")
    await expect(entry).to_contain_text("Tenggat:")
    assert "/evaluation" in rater_page.url, "back on the evaluation page"
    await assert_no_sideways_scroll(rater_page)

    # asn112 sees it on their own page and replies to it.
    asn_page = await open_page(PHONE, phone=True)
    await sign_in(asn_page, ASN)
    await asn_page.goto(f"/people/{me['id']}?period={period}")
    mine = asn_page.locator("#dialog")
    await expect(mine.locator("li.dialog__entry", has_text=action)).to_be_visible()
    await expect(mine.get_by_role("button", name="Kirim ke dialog")).to_have_count(0)
    await mine.get_by_label("Balasan Anda").fill(reply)
    await mine.get_by_role("button", name="Kirim balasan").click()
    answered = asn_page.locator("#dialog li.dialog__entry", has_text=reply)
    await expect(answered).to_be_visible()
    await expect(answered).to_contain_text("Balasan")
    await assert_no_sideways_scroll(asn_page)
    await shot(asn_page, "asn")

    # The rater sees the reply under their action, in order.
    await rater_page.reload()
    entries = rater_page.locator("#dialog li.dialog__entry")
    await expect(entries.filter(has_text=reply)).to_be_visible()
    texts = await entries.all_inner_texts()
    assert [i for i, t in enumerate(texts) if action in t] < [i for i, t in enumerate(texts) if reply in t]
    await assert_no_sideways_scroll(rater_page)
    await shot(rater_page, "rater")

    dialog = await demo_server.get(f"/api/v1/users/{me['id']}/dialog?period={period}", ASN)
    kinds = [(e["kind"], e["text"]) for e in dialog["entries"]]  # type: ignore[index]
    assert ("action", action) in kinds and ("reply", reply) in kinds
