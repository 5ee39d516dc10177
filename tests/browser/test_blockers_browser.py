"""A blocker's life on phones (360 px): asn112 reports it with an update, kadis1 sees it on the unit board
and acknowledges it there, asn112 sees the acknowledgement on their home page and resolves it with a
note. Demo people and password as in test_browser.py; the blocker text is unique to this run."""

import uuid

from playwright.async_api import expect

from tests.browser.conftest import PHONE, DemoServer, OpenPage, Shot, assert_no_sideways_scroll, sign_in

DINAS = "Dinas Kependudukan dan Pencatatan Sipil"
PROJECT = "Layanan KTP-el Keliling ke Desa"


async def test_a_blocker_is_reported_acknowledged_on_the_board_and_resolved_by_its_author(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    dinas = await demo_server.unit_id(DINAS)
    me = await demo_server.get("/api/v1/me", "asn112")
    project = await demo_server.project(PROJECT, "asn112")
    milestone = await demo_server.own_open_milestone(PROJECT, "asn112")
    # A long word too: the lists must wrap it rather than scroll sideways on a phone.
    text = f"Blanko KTP-el habis di gudang ({uuid.uuid4().hex[:6]}) Kependudukanpencatatansipilbukitintan"

    # asn112 reports the blocker with an update from the my-work form.
    phone = await open_page(PHONE, phone=True)
    await sign_in(phone, "asn112")
    task = phone.locator(f"#m-{milestone['id']}")
    await task.get_by_label("Kemajuan", exact=True).fill(str(milestone["progress_pct"]))
    await task.get_by_label("Kendala").fill(text)
    await task.get_by_role("button", name="Kirim pembaruan").click()
    mine = phone.locator("#my-blockers li", has_text=text)
    await expect(mine).to_be_visible()
    await expect(mine).to_contain_text("Belum ditanggapi pimpinan")
    await assert_no_sideways_scroll(phone)

    blockers = await demo_server.get(f"/api/v1/projects/{project['id']}/blockers", "asn112")
    (blocker,) = [b for b in blockers if b["text"] == text]  # type: ignore[union-attr]
    assert blocker["status"] == "open" and blocker["author_id"] == me["id"]

    # kadis1 sees it on the unit board, with its age, and acknowledges it there.
    board = await open_page(PHONE, phone=True)
    await sign_in(board, "kadis1")
    await board.goto(f"/board/unit/{dinas}")
    item = board.locator(f'li[data-update-id="{blocker["update_id"]}"]')
    await expect(item).to_contain_text(text)
    await expect(item).to_contain_text("terbuka")
    await shot(board, "board")
    await item.get_by_role("button", name="Tandai diketahui").click()
    await expect(board.locator(f'li[data-update-id="{blocker["update_id"]}"]')).to_contain_text("Diketahui")
    await expect(
        board.locator(f'li[data-update-id="{blocker["update_id"]}"]').get_by_role(
            "button", name="Tandai diketahui"
        )
    ).to_be_hidden()

    # asn112's home says so; they resolve it with a note, and it leaves their list.
    await phone.goto("/")
    mine = phone.locator("#my-blockers li", has_text=text)
    await expect(mine).to_contain_text("Diketahui")
    await mine.get_by_text("Tandai kendala selesai").click()
    await mine.get_by_label("Bagaimana kendala ini selesai?").fill("Blanko dikirim dari provinsi.")
    await assert_no_sideways_scroll(phone)
    await shot(phone, "home")
    await mine.get_by_role("button", name="Selesaikan kendala").click()
    await expect(phone.locator("#my-blockers li", has_text=text)).to_have_count(0)

    resolved = await demo_server.get(f"/api/v1/projects/{project['id']}/blockers?status=resolved", "asn112")
    (done,) = [b for b in resolved if b["update_id"] == blocker["update_id"]]  # type: ignore[union-attr]
    assert done["resolution"] == "Blanko dikirim dari provinsi." and done["resolved_by"] == me["id"]
    assert done["acknowledged_by_name"] is not None
