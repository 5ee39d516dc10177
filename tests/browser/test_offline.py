"""Posting without signal (issue 14 item 2), on a phone in Debian's Chromium with the browser context set
offline: the service worker opens "Pekerjaan saya" from its cache, updates with photos wait in the
offline queue as "menunggu sinyal" and arrive exactly once, in order, with their photos, when the signal
returns; a post the server refuses stays with its reason until the person edits or discards it; signing
out empties the worker's page cache. Demo people as in test_browser.py: asn112 is on the staff of
"Layanan KTP-el Keliling ke Desa", kadis1 leads its Dinas and watches the Dinas board."""

import io
import re
import uuid
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, expect

from tests.browser.conftest import PHONE, WALL, DemoServer, OpenPage, Shot, sign_in

DINAS = "Dinas Kependudukan dan Pencatatan Sipil"
PROJECT = "Layanan KTP-el Keliling ke Desa"
CAPTURED = "2026:12:01 09:30:00"

CACHED_HOME = """async () => {
  const cache = await caches.open("pantau-pages");
  return Boolean(await cache.match(location.origin + "/"));
}"""
WORKER_CONTROLS = "() => navigator.serviceWorker.controller !== null"


def camera_photo(colour: str) -> bytes:
    """A phone camera's photo: larger than Pantau keeps (2,400 x 1,800), with its capture time in EXIF."""
    image = Image.new("RGB", (2400, 1800), colour)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = CAPTURED  # Exif IFD: DateTimeOriginal
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


async def _ready_offline_phone(open_page: OpenPage, username: str) -> Page:
    """Signed in on a phone, on "Pekerjaan saya", with the service worker in control and the page in its
    cache: what a first visit with signal leaves behind."""
    phone = await open_page(PHONE, username, phone=True)
    # The page signing in registered the worker; the next page is opened through it once it is active.
    await phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await phone.goto("/")
    await phone.wait_for_function(WORKER_CONTROLS)
    await phone.wait_for_function(CACHED_HOME)
    return phone


async def _post(task, pct: int, note: str, photo: bytes | None) -> None:
    await task.get_by_label("Kemajuan", exact=True).fill(str(pct))
    await task.get_by_label("Yang dikerjakan").fill(note)
    if photo is not None:
        field = task.locator("[data-evidence-input]")
        await field.set_input_files({"name": "kamera.jpg", "mimeType": "image/jpeg", "buffer": photo})
        await expect(task.locator(".evidence-chosen__item img")).to_have_count(1)
        await expect(field).not_to_have_attribute("data-evidence-busy", "")
    await task.get_by_role("button", name="Kirim pembaruan").click()


async def _updates_with(demo_server: DemoServer, project_id: int, notes: set[str]) -> list[dict]:
    updates = await demo_server.get(f"/api/v1/projects/{project_id}/updates?limit=200", "asn112")
    return sorted((u for u in updates if u["note"] in notes), key=lambda u: u["id"])  # type: ignore[index]


async def test_two_updates_posted_offline_arrive_once_in_order_with_their_photos(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    project = await demo_server.project(PROJECT, "asn112")
    milestone = await demo_server.own_open_milestone(PROJECT, "asn112")
    tag = uuid.uuid4().hex[:6]
    first, second = f"Perekaman di Desa Sukamaju ({tag})", f"Perekaman di Desa Cibodas ({tag})"
    pct = min(99, milestone["progress_pct"] + 1)

    board = await open_page(WALL, "kadis1")
    await board.goto(f"/board/unit/{await demo_server.unit_id(DINAS)}?layout=wall")
    await expect(board.locator("#live")).to_have_attribute("data-state", "live")
    strip = board.locator("#activity")

    phone = await _ready_offline_phone(open_page, "asn112")
    await phone.context.set_offline(True)
    task = phone.locator(f"#m-{milestone['id']}")
    await _post(task, pct, first, camera_photo("#3a7d44"))
    await expect(task.locator(".offline-queued")).to_contain_text("Tanpa sinyal")
    # The photo was made small in the browser before it was queued: 1,600 px on its longest side.
    queued = phone.locator("[data-offline-list]")
    await expect(queued.locator("[data-offline-entry]")).to_have_count(1)
    await _post(task, pct + 1, second, camera_photo("#1f4e8c"))
    await expect(queued.locator("[data-offline-entry]")).to_have_count(2)
    await expect(queued).to_contain_text("Menunggu sinyal")
    sizes = await phone.evaluate(
        """async () => {
          const entries = await window.PantauQueue.all();
          return Promise.all(entries.map(async (e) => {
            const bitmap = await createImageBitmap(e.files[0].blob);
            return [bitmap.width, bitmap.height, e.files[0].type];
          }));
        }"""
    )
    assert sizes == [[1600, 1200, "image/jpeg"], [1600, 1200, "image/jpeg"]]

    # No signal still: the page opens again (from the service worker), the queue with it.
    tried: list[str] = []
    phone.context.on("requestfailed", lambda r: tried.append(r.url) if r.service_worker else None)
    response = await phone.reload()
    assert response is not None and response.from_service_worker
    assert phone.url in tried, "the worker tried the network first, then answered from its cache"
    await expect(phone.get_by_role("heading", name="Pekerjaan saya", level=1)).to_be_visible()
    queued = phone.locator("[data-offline-list]")
    await expect(queued.locator("[data-offline-entry]")).to_have_count(2)
    await expect(queued.locator("[data-offline-entry]").first).to_contain_text("Menunggu sinyal")
    await shot(phone, "waiting")
    await expect(strip).not_to_contain_text(tag)

    # The signal returns: both are sent by themselves, the page says so, the board shows them live.
    await phone.context.set_offline(False)
    await expect(queued.locator("[data-offline-entry]")).to_have_count(0, timeout=20_000)
    await expect(queued.locator(".offline-queue__sent li")).to_have_count(2)
    items = strip.locator(".activity__item", has_text=tag)
    await expect(items).to_have_count(2)
    await expect(items.nth(0)).to_contain_text(second)  # newest first
    await expect(items.nth(1)).to_contain_text(first)
    await expect(items.nth(0).locator("img")).to_have_count(1)
    await expect(items.nth(1).locator("img")).to_have_count(1)
    await shot(board, "board", full_page=False)

    arrived = await _updates_with(demo_server, project["id"], {first, second})
    assert [u["note"] for u in arrived] == [first, second], "each once, in the order they were made"
    assert [u["progress_pct"] for u in arrived] == [pct, pct + 1]
    for update in arrived:
        assert [(e["kind"], e["width"], e["height"]) for e in update["evidence"]] == [("photo", 1600, 1200)]
        assert update["evidence"][0]["captured_at"] is not None  # kept through the browser's downscale


async def test_a_refused_queued_post_says_why_holds_the_next_and_can_be_edited_or_discarded(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    project = await demo_server.project(PROJECT, "asn112")
    milestone = await demo_server.own_open_milestone(PROJECT, "asn112")
    if milestone["progress_pct"] == 0:  # a step up first, so that the queued post can go one step down
        async with demo_server.api() as http:
            await http.post(
                f"/api/v1/projects/{project['id']}/updates",
                json={"milestone_id": milestone["id"], "progress_pct": 1, "note": "Mulai"},
                headers=await demo_server.token("asn112"),
            )
        milestone["progress_pct"] = 1
    tag = uuid.uuid4().hex[:6]
    behind = f"Menunggu yang ditolak ({tag})"
    phone = await _ready_offline_phone(open_page, "asn112")
    await phone.context.set_offline(True)
    task = phone.locator(f"#m-{milestone['id']}")
    # Down a step without saying why: the server refuses it. The next one waits behind it.
    await _post(task, milestone["progress_pct"] - 1, "", None)
    await _post(task, milestone["progress_pct"], behind, None)
    entries = phone.locator("[data-offline-list] [data-offline-entry]")
    await expect(entries).to_have_count(2)

    await phone.context.set_offline(False)
    refused = entries.nth(0)
    await expect(refused).to_contain_text("Ditolak server")
    await expect(refused).to_contain_text("Kemajuan turun")  # the API's reason, in the page's language
    await expect(entries.nth(1)).to_contain_text("kiriman sebelumnya di tonggak ini ditolak")
    assert await _updates_with(demo_server, project["id"], {behind}) == []
    await shot(phone, "refused")

    # Edit: the milestone's form is filled with the refused post.
    await refused.get_by_role("button", name="Ubah").click()
    await expect(task.get_by_label("Kemajuan", exact=True)).to_have_value(str(milestone["progress_pct"] - 1))

    # Discarded instead: it is gone, and the post behind it goes.
    phone.once("dialog", lambda dialog: dialog.accept())
    await refused.get_by_role("button", name="Buang").click()
    await expect(entries).to_have_count(0)
    arrived = await _updates_with(demo_server, project["id"], {behind})
    assert len(arrived) == 1 and arrived[0]["progress_pct"] == milestone["progress_pct"]


async def test_signing_out_empties_the_workers_page_cache(open_page: OpenPage):
    phone = await _ready_offline_phone(open_page, "asn112")
    await phone.locator('form[action="/logout"] button').click()
    await phone.wait_for_url("**/login")
    await phone.wait_for_function("async () => !(await caches.has('pantau-pages'))")
    # With no signal, "Pekerjaan saya" no longer opens on this phone: nothing of the session is kept.
    await phone.context.set_offline(True)
    with pytest.raises(PlaywrightError, match="net::ERR_"):
        await phone.goto("/")


async def test_an_update_whose_post_is_lost_on_the_way_is_queued_by_the_worker_and_sent(
    open_page: OpenPage, demo_server: DemoServer
):
    """The phone believes it has signal, but the post never reaches the server (a weak signal dropping):
    the worker keeps it in the queue instead of showing the browser's error page, and it is sent once."""
    project = await demo_server.project(PROJECT, "asn112")
    milestone = await demo_server.own_open_milestone(PROJECT, "asn112")
    note = f"Sinyal putus di jalan ({uuid.uuid4().hex[:6]})"
    phone = await _ready_offline_phone(open_page, "asn112")
    # The page's form address only (/projects/<id>/updates), not the API's (/api/v1/projects/<id>/updates).
    await phone.context.route(
        lambda url: re.fullmatch(r"/projects/\d+/updates", urlsplit(url).path) is not None,
        lambda route: route.abort("internetdisconnected"),
    )
    task = phone.locator(f"#m-{milestone['id']}")
    await _post(task, milestone["progress_pct"], note, camera_photo("#8c1f4e"))

    # Back on "Pekerjaan saya": the post went through the queue and the API, with its photo.
    sent = phone.locator("[data-offline-list] .offline-queue__sent li")
    await expect(sent).to_have_count(1)
    await expect(phone.locator("[data-offline-list] [data-offline-entry]")).to_have_count(0)
    await expect(task.get_by_label("Yang dikerjakan")).to_have_value("")  # its draft is not offered again
    arrived = await _updates_with(demo_server, project["id"], {note})
    assert len(arrived) == 1 and len(arrived[0]["evidence"]) == 1


async def test_a_queued_post_is_sent_only_by_the_person_who_made_it(
    open_page: OpenPage, demo_server: DemoServer
):
    """A shared phone: asn112 queues a post, the session ends before the signal returns, and asn111 signs
    in on the same phone. The post waits for asn112 ("masuk lagi untuk mengirim"), is not shown to asn111
    nor sent under their name, and goes once asn112 is back."""
    project = await demo_server.project(PROJECT, "asn112")
    milestone = await demo_server.own_open_milestone(PROJECT, "asn112")
    note = f"Dikirim atas nama pembuatnya ({uuid.uuid4().hex[:6]})"
    phone = await _ready_offline_phone(open_page, "asn112")
    await phone.context.set_offline(True)
    await _post(phone.locator(f"#m-{milestone['id']}"), milestone["progress_pct"], note, None)
    entries = phone.locator("[data-offline-list] [data-offline-entry]")
    await expect(entries).to_have_count(1)

    await phone.context.clear_cookies(name="pantau_session")  # the session ended meanwhile
    await phone.context.set_offline(False)
    await expect(entries.first).to_contain_text("Masuk lagi untuk mengirim")

    await sign_in(phone, "asn111")
    assert await phone.evaluate("() => window.PantauQueue.sendAll()") == "done"  # nothing of theirs
    await expect(phone.locator("[data-offline-list]")).to_have_count(0)
    assert await _updates_with(demo_server, project["id"], {note}) == []

    await phone.locator('form[action="/logout"] button').click()
    await sign_in(phone, "asn112")
    await expect(phone.locator("[data-offline-list] .offline-queue__sent li")).to_have_count(1)
    arrived = await _updates_with(demo_server, project["id"], {note})
    assert (
        len(arrived) == 1 and arrived[0]["author_id"] == (await demo_server.get("/api/v1/me", "asn112"))["id"]
    )
