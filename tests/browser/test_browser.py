"""The flows that matter, in a real browser against a real `pantau serve --demo`.

Demo people (password pantau-demo): kadis1 leads Dinas Kependudukan dan Pencatatan Sipil; asn111 leads the
project "Layanan KTP-el Keliling ke Desa" and asn112 is on its staff; admin is the BKPSDM operator.
Each test reads the current state first and writes only records of its own (a unique note, a new
milestone, a new survey answer, new NIPs), so the tests do not depend on each other or on their order."""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    WALL,
    DemoServer,
    OpenPage,
    Shot,
    sign_in,
    today_in_jakarta,
)

DINAS = "Dinas Kependudukan dan Pencatatan Sipil"
PROJECT = "Layanan KTP-el Keliling ke Desa"


async def _project(demo_server: DemoServer, username: str = "asn111") -> dict:
    projects = await demo_server.get("/api/v1/projects", username)
    return next(p for p in projects if p["name"] == PROJECT)  # type: ignore[union-attr]


async def _open_board(page: Page, unit_id: int) -> None:
    """The unit board, connected (the live indicator reads "Langsung"), with a marker on `window` that
    only survives as long as the page is not reloaded."""
    await page.goto(f"/board/unit/{unit_id}")
    await expect(page.locator("#live")).to_have_attribute("data-state", "live")
    await expect(page.locator("#live-text")).to_have_text("Langsung")
    await page.evaluate("window.__pantauTestMarker = 'not reloaded'")


async def _assert_not_reloaded(page: Page) -> None:
    assert await page.evaluate("window.__pantauTestMarker") == "not reloaded", "the board page was reloaded"


def _card(page: Page, project_id: int):
    return page.locator(f'article.card[data-project-id="{project_id}"]')


@pytest.mark.timing  # "within a second": run alone (scripts/test)
async def test_staff_update_from_phone_shows_on_open_leader_board_within_a_second(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    dinas = await demo_server.unit_id(DINAS)
    me = await demo_server.get("/api/v1/me", "asn112")
    project = await _project(demo_server, "asn112")
    milestone = next(
        m for m in project["milestones"] if m["status"] == "open" and me["id"] in m["assignee_ids"]
    )
    pct = min(100, milestone["progress_pct"] + 5)
    note = f"Perekaman 40 warga di balai desa ({uuid.uuid4().hex[:6]})"

    # The leader's wall screen is open before anything is posted.
    board = await open_page(WALL, "kadis1")
    await _open_board(board, dinas)
    card = _card(board, project["id"])
    await expect(card).to_be_visible()
    await expect(card.locator('[data-f="note"]')).not_to_contain_text(note)

    # The staff member signs in on a phone and posts with the my-work form.
    phone = await open_page(PHONE, phone=True)
    await sign_in(phone, "asn112")
    await expect(phone.get_by_role("heading", name="Pekerjaan saya", level=1)).to_be_visible()
    task = phone.locator(f"#m-{milestone['id']}")
    await task.get_by_label("Kemajuan", exact=True).fill(str(pct))
    await task.get_by_label("Yang dikerjakan").fill(note)
    await task.get_by_role("button", name="Kirim pembaruan").click()

    # Within one second of the tap, the open board shows it, without a reload.
    await expect(card.locator('[data-f="note"]')).to_have_text(f"{pct}% — {note}", timeout=1000)
    await expect(card.locator('[data-f="author"]')).to_have_text(me["name"])
    await _assert_not_reloaded(board)
    await expect(board.locator("#live")).to_have_attribute("data-state", "live")
    await expect(board.locator("#live-text")).to_have_text("Langsung")

    await phone.wait_for_url(re.compile(r"/\?saved=1$"))
    await expect(phone.get_by_role("status")).to_contain_text("Tersimpan.")
    await expect(phone.locator(f"#m-{milestone['id']} .task__pct")).to_have_text(f"{pct}%")
    await shot(phone, "phone")
    await card.scroll_into_view_if_needed()
    await shot(board, full_page=False)


async def test_board_survives_a_server_restart_and_catches_up(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    dinas = await demo_server.unit_id(DINAS)
    me = await demo_server.get("/api/v1/me", "asn112")
    project = await _project(demo_server, "asn112")
    milestone = next(
        m for m in project["milestones"] if m["status"] == "open" and me["id"] in m["assignee_ids"]
    )
    note = f"Dikirim tepat setelah server hidup lagi ({uuid.uuid4().hex[:6]})"

    board = await open_page(WALL, "kadis1")
    await _open_board(board, dinas)
    card = _card(board, project["id"])

    try:
        await demo_server.process.stop()  # by PID
        await expect(board.locator("#live")).to_have_attribute("data-state", "reconnecting")
        await expect(board.locator("#live-text")).to_have_text(re.compile(r"^Menyambung ulang"))
        await shot(board, "reconnecting", full_page=False)
    finally:
        await demo_server.process.start(timeout=60)  # same port, same database file

    # Right after the restart, before the board has necessarily reconnected.
    headers = await demo_server.token("asn112")
    async with demo_server.api() as http:
        response = await http.post(
            f"/api/v1/projects/{project['id']}/updates",
            json={"milestone_id": milestone["id"], "progress_pct": milestone["progress_pct"], "note": note},
            headers=headers,
        )
    assert response.status_code == 201, response.text

    await expect(card.locator('[data-f="note"]')).to_have_text(
        f"{milestone['progress_pct']}% — {note}", timeout=20_000
    )
    await expect(card.locator('[data-f="author"]')).to_have_text(me["name"])
    await expect(board.locator("#live")).to_have_attribute("data-state", "live", timeout=20_000)
    await expect(board.locator("#live-text")).to_have_text("Langsung")
    await _assert_not_reloaded(board)
    await card.scroll_into_view_if_needed()
    await shot(board, full_page=False)


async def test_lead_closes_a_late_milestone_and_the_assignees_timeliness_changes(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    project = await _project(demo_server)
    staff = await demo_server.get("/api/v1/me", "asn112")
    assignee = next(uid for uid in project["member_ids"] if uid not in (project["lead_id"], staff["id"]))
    today = today_in_jakarta()
    # A lead plans only from today on, so the admin corrects the new milestone's due date to 16 days ago (as
    # if it had always been so): 10 or more working days late scores 50 or less, below every demo milestone
    # (their late ones are at most 9 calendar days late), so the assignee's timeliness for the month must move.
    title = f"Rekap perekaman susulan {uuid.uuid4().hex[:6]}"
    headers = await demo_server.token("asn111")
    async with demo_server.api() as http:
        response = await http.post(
            f"/api/v1/projects/{project['id']}/milestones",
            json={"title": title, "due_date": today.isoformat(), "weight": 2, "assignee_ids": [assignee]},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        response = await http.post(
            f"/api/v1/milestones/{response.json()['id']}/correct",
            json={
                "due_date": (today - timedelta(days=16)).isoformat(),
                "reason": "Tenggat sebenarnya sesuai surat tugas kepala dinas",
            },
            headers=await demo_server.token("admin"),
        )
    assert response.status_code == 200, response.text
    milestone = response.json()

    # The leader of the unit reads the assignee's timeliness for this month first.
    leader = await open_page(DESKTOP, "kadis1")
    await leader.goto(f"/people/{assignee}")
    timeliness = leader.locator("#indikator-timeliness .indicator__value")
    sources = leader.locator("#sumber-tonggak + p + ol.sources > li.source")
    before = (await timeliness.inner_text()).strip()
    sources_before = await sources.count()
    await expect(sources.filter(has_text=title)).to_have_count(0)

    # The lead closes it on the project page: quality 4, the completion date left at today.
    lead = await open_page(DESKTOP, "asn111")
    await lead.goto(f"/projects/{project['id']}")
    item = lead.locator(f"#milestone-{milestone['id']}")
    await item.get_by_text("Tutup atau jadwal ulang").click()
    await item.get_by_role("radio", name="4 · Baik").check()
    closed_on = item.get_by_label("Tanggal selesai")
    await expect(closed_on).to_have_value(today.isoformat())
    await shot(lead, "close-form", full_page=False)
    await item.get_by_role("button", name="Tutup tonggak").click()
    await lead.wait_for_url(re.compile(rf"/projects/{project['id']}\?saved=1"))
    item = lead.locator(f"#milestone-{milestone['id']}")
    await expect(item).to_have_class(re.compile(r"\bmilestone--closed\b"))
    async with demo_server.api() as http:
        closed = (await http.get(f"/api/v1/projects/{project['id']}", headers=headers)).json()
    days_late = next(m for m in closed["milestones"] if m["id"] == milestone["id"])["late_working_days"]
    assert days_late >= 10, days_late  # 16 calendar days hold at least 10 working days
    await expect(item).to_contain_text(f"Dinilai terlambat {days_late} hari kerja")
    await expect(item).to_contain_text("Mutu 4/5")

    await leader.reload()
    after = (await timeliness.inner_text()).strip()
    assert re.fullmatch(r"\d+(,\d+)?%", after), after
    assert after != before, f"timeliness stayed {before!r} after closing a milestone {days_late} days late"
    await expect(sources).to_have_count(sources_before + 1)
    source = sources.filter(has_text=title)
    await expect(source).to_have_count(1)
    await expect(source.locator("dt:text-is('Terlambat') + dd")).to_have_text(
        re.compile(rf"^{days_late} hari kerja\b")
    )
    await expect(source.locator("dt:text-is('Ditutup') + dd")).not_to_be_empty()
    await expect(source.locator("dt:text-is('Skor ketepatan') + dd")).to_have_text(
        re.compile(rf"^{100 - 5 * days_late}(,0+)?$")
    )
    await leader.locator("#indikator-timeliness").scroll_into_view_if_needed()
    await shot(leader)


async def test_public_survey_on_a_phone_without_signing_in(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    unit = await demo_server.unit_id("Bidang Pelayanan Kesehatan")
    async with demo_server.api() as http:
        n_before = (await http.get(f"/api/v1/units/{unit}/ikm")).json()["n"]

    page = await open_page(PHONE, phone=True)
    await page.goto(f"/survey/{unit}")
    await expect(page.get_by_role("heading", name="Survei Kepuasan Masyarakat")).to_be_visible()
    assert await page.locator(".site-user").count() == 0  # nobody is signed in
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    answers = [4, 3, 4, 4, 3, 4, 2, 4, 3]
    for number, value in enumerate(answers, start=1):
        question = page.locator(f"fieldset#u{number}")
        await question.locator(f'label[for="u{number}-{value}"]').click()
        await expect(question.locator(f"#u{number}-{value}")).to_be_checked()
    await page.get_by_label("Saran dan masukan").fill("Antrean cepat, petugas ramah.")
    await shot(page, "form")
    await page.get_by_role("button", name="Kirim jawaban").click()

    await page.wait_for_url(re.compile(rf"/survey/{unit}/thanks$"))
    await expect(page.get_by_role("heading", name="Terima kasih!")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    async with demo_server.api() as http:
        assert (await http.get(f"/api/v1/units/{unit}/ikm")).json()["n"] == n_before + 1
    await shot(page)


async def test_language_switch_on_the_login_page(open_page: OpenPage, shot: Shot):
    page = await open_page(DESKTOP)
    await page.goto("/login")
    await expect(page.locator("html")).to_have_attribute("lang", "id")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Masuk ke Pantau")

    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Pantau")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_label("Username")).to_be_visible()
    await expect(page.get_by_label("Password")).to_be_visible()
    await expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    assert "/login" in page.url
    await shot(page, "english")

    await page.get_by_role("button", name="Bahasa Indonesia").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Masuk ke Pantau")
    await expect(page.locator("html")).to_have_attribute("lang", "id")
    await expect(page.get_by_label("Nama pengguna")).to_be_visible()
    await expect(page.get_by_label("Kata sandi")).to_be_visible()
    await shot(page)


async def _users_by_nip(demo_server: DemoServer) -> dict[str, dict]:
    users = await demo_server.get("/api/v1/users", "admin")
    return {u["nip"]: u for u in users}  # type: ignore[union-attr]


async def _upload(page: Page, name: str, text: str) -> None:
    await page.get_by_label(re.compile(r"^Berkas")).set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    )
    await page.get_by_role("button", name="Periksa").click()


async def test_admin_imports_staff_after_a_bad_file_is_reported_row_by_row(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    # Serial numbers 9xx: the demo's NIPs use serials below 100.
    new = [("198503152010011901", "Rahmat Hidayat"), ("199107222015032902", "Wulan Sari")]
    users_before = await _users_by_nip(demo_server)
    assert not {nip for nip, _ in new} & users_before.keys()

    page = await open_page(DESKTOP, "admin")
    await page.goto("/admin/import")
    await expect(page.get_by_role("heading", name="Impor pegawai", level=1)).to_be_visible()

    bad = (
        "NIP,Nama,Unit,NIP Atasan,Peran\n"
        "12345,Pegawai Salah NIP,Bidang Pencatatan Sipil,,staff\n"
        f"{new[0][0]},{new[0][1]},Dinas Antah Berantah,,staff\n"
    )
    await _upload(page, "pegawai-salah.csv", bad)
    report = page.locator("table.report-table tbody tr")
    await expect(report).to_have_count(2)
    await expect(page.get_by_role("alert")).to_contain_text(
        "2 dari 2 baris bermasalah. Tidak ada yang diimpor."
    )
    await expect(report.nth(0).locator("th")).to_have_text("2")
    await expect(report.nth(0).locator("td").nth(1)).to_have_text("NIP harus 18 angka, bukan 5.")
    await expect(report.nth(1).locator("th")).to_have_text("3")
    await expect(report.nth(1).locator("td").nth(0)).to_have_text(new[0][0])
    await expect(report.nth(1).locator("td").nth(1)).to_contain_text("Dinas Antah Berantah")
    await shot(page, "bad-file")
    assert (await _users_by_nip(demo_server)).keys() == users_before.keys(), "a bad file imported something"

    good = "NIP,Nama,Unit,NIP Atasan,Peran\n" + "".join(
        f"{nip},{name},Bidang Pencatatan Sipil,,staff\n" for nip, name in new
    )
    await _upload(page, "pegawai-baru.csv", good)
    await expect(page.get_by_role("status")).to_contain_text("File bersih: 2 baris siap diimpor.")
    await expect(page.locator("table.preview-table tbody tr")).to_have_count(2)
    await shot(page, "checked")
    await page.get_by_role("button", name="Impor 2 pegawai").click()
    await page.wait_for_url(re.compile(r"/admin/import\?selesai=2$"))
    await expect(page.get_by_role("status")).to_contain_text("2 akun pegawai berhasil diimpor.")
    await shot(page)

    users = await _users_by_nip(demo_server)
    unit = await demo_server.unit_id("Bidang Pencatatan Sipil")
    for nip, name in new:
        assert nip in users, f"{nip} was not imported"
        assert (users[nip]["name"], users[nip]["role"], users[nip]["unit_id"], users[nip]["username"]) == (
            name,
            "staff",
            unit,
            nip,
        )
    assert len(users) == len(users_before) + 2
