"""Evidence (bukti dukung) live on the wall screen: an update posted with a photo shows its thumbnail in the
activity strip as it arrives (wall.js, from the `progress.posted` event), the thumbnail loads with the
screen's session, and when the lead hides the photo the strip shows who hid it and why instead."""

import io
import uuid
from datetime import timedelta

from PIL import Image
from playwright.async_api import expect

from tests.browser.conftest import DESKTOP, DemoServer, OpenPage, Shot, today_in_jakarta

REASON = "Foto memuat wajah warga tanpa izin"


async def _board(demo: DemoServer, headers: dict, me: dict) -> tuple[dict, dict, dict]:
    """A dinas of its own with one project led by the admin (`me`), and a milestone to post on."""
    today = today_in_jakarta()
    async with demo.api() as http:

        async def post(path: str, body: dict) -> dict:
            response = await http.post(path, json=body, headers=headers)
            assert response.status_code == 201, f"{path}: {response.text}"
            return response.json()

        unit = await post("/api/v1/units", {"name": f"Dinas Bukti Dukung {uuid.uuid4().hex[:6]}"})
        project = await post(
            "/api/v1/projects",
            {
                "name": "Proyek Foto Lapangan",
                "unit_id": unit["id"],
                "lead_id": me["id"],
                "start_date": (today - timedelta(days=5)).isoformat(),
                "due_date": (today + timedelta(days=60)).isoformat(),
            },
        )
        milestone = await post(
            f"/api/v1/projects/{project['id']}/milestones",
            {
                "title": "Survei lokasi",
                "due_date": (today + timedelta(days=10)).isoformat(),
                "assignee_ids": [],
            },
        )
    return unit, project, milestone


async def test_a_photo_posted_while_the_wall_watches_shows_in_its_strip_and_hiding_it_replaces_it(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    headers = await demo_server.token("admin")
    me = await demo_server.get("/api/v1/me", "admin")
    assert isinstance(me, dict)
    unit, project, milestone = await _board(demo_server, headers, me)
    page = await open_page(DESKTOP, "admin")
    await page.goto(f"/board/unit/{unit['id']}?layout=wall")
    await expect(page.locator("#live")).to_have_attribute("data-state", "live")

    photo = io.BytesIO()
    Image.new("RGB", (1200, 900), "teal").save(photo, "JPEG")
    async with demo_server.api() as http:
        upload = await http.post(
            "/api/v1/evidence",
            files={"file": ("lokasi.jpg", photo.getvalue(), "image/jpeg")},
            headers=headers,
        )
        assert upload.status_code == 201, upload.text
        evidence_id = upload.json()["id"]
        body = {
            "milestone_id": milestone["id"],
            "progress_pct": 30,
            "note": "Lokasi disurvei",
            "evidence_ids": [evidence_id],
        }
        posted = await http.post(f"/api/v1/projects/{project['id']}/updates", json=body, headers=headers)
        assert posted.status_code == 201, posted.text

    first = page.locator("#activity > li").first
    await expect(first).to_contain_text("Lokasi disurvei")
    img = first.locator(f'a[href="/api/v1/evidence/{evidence_id}"] img')
    await expect(img).to_have_attribute("src", f"/api/v1/evidence/{evidence_id}/thumbnail")
    await expect(img).to_have_attribute("alt", "Foto bukti dukung")
    assert await img.get_attribute("width") == "320" and await img.get_attribute("height") == "240"
    # The thumbnail loads: the file answers the screen's session cookie.
    await img.scroll_into_view_if_needed()
    await img.evaluate("i => i.decode()")
    assert await img.evaluate("i => i.naturalWidth") > 0
    await shot(page, "strip", full_page=False)

    async with demo_server.api() as http:
        hidden = await http.post(
            f"/api/v1/evidence/{evidence_id}/hide", json={"reason": REASON}, headers=headers
        )
        assert hidden.status_code == 200, hidden.text
    item = first.locator(f'[data-evidence-id="{evidence_id}"]')
    await expect(item).to_have_text(f"Disembunyikan oleh {me['name']}: {REASON}")
    await expect(item.locator("img")).to_have_count(0)
