"""Evidence (bukti dukung) on the pages, without JavaScript: the update form and the lead's close form take
up to four photos or PDFs in the post's own transaction; the thumbnails show on the project page, the
board's companion feed, the wall's activity strip and the person page; the lead hides an item with a
reason, which the page then shows instead of the picture."""

import io
import random
import re
import sqlite3
from contextlib import closing

from PIL import ExifTags, Image
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from server.evidence import service as evidence_service
from server.evidence.models import Evidence
from server.projects.models import ProgressUpdate
from tests.web import csrf_of, log_in

REASON = "Foto memuat wajah warga tanpa izin"


def photo(width: int = 640, height: int = 480) -> bytes:
    """A real JPEG of noise: it does not compress, so it is larger than the other page forms' 64 KB."""
    rng = random.Random(width * height)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


async def _count(runtime, model) -> int:
    async with runtime.read_sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _evidence(runtime) -> list[Evidence]:
    async with runtime.read_sessionmaker() as session:
        return list((await session.scalars(select(Evidence).order_by(Evidence.id))).all())


async def _post_update(client, setup, files, **fields):
    page = await client.get(f"/projects/{setup.project.id}")
    form = {
        "csrf_token": csrf_of(page.text),
        "milestone_id": str(setup.milestone.id),
        "progress_pct": "30",
        "note": "Survei lapangan selesai",
        "back": f"/projects/{setup.project.id}",
    }
    return await client.post(f"/projects/{setup.project.id}/updates", data=form | fields, files=files)


def _jpeg(name: str = "foto.jpg", data: bytes | None = None) -> tuple[str, tuple[str, bytes, str]]:
    return ("evidence", (name, data if data is not None else photo(), "image/jpeg"))


async def test_the_update_form_is_multipart_with_a_file_field_and_the_offline_queue_marks(
    client, world, setup
):
    await log_in(client, world.member)
    page = (await client.get(f"/projects/{setup.project.id}")).text
    form = re.search(r'<form class="update-form"[^>]*>', page).group(0)
    assert 'enctype="multipart/form-data"' in form and "data-offline-queue" in form
    assert f'data-project-id="{setup.project.id}"' in form
    field = re.search(r'<input id="evidence-\d+" name="evidence"[^>]*>', page).group(0)
    assert 'type="file"' in field and "multiple" in field and "data-evidence-input" in field
    assert 'accept="image/*,application/pdf"' in field and 'capture="environment"' in field
    assert "Foto / bukti dukung (maks. 4)" in page


async def test_a_photo_posted_with_an_update_shows_on_the_project_page_and_opens_for_a_member(
    client, world, setup, runtime
):
    await log_in(client, world.member)
    sent = photo()
    assert len(sent) > 64 * 1024  # over the other page forms' limit: this route takes more
    response = await _post_update(client, setup, [_jpeg("Foto Lapangan.jpg", sent)])
    assert response.status_code == 303, response.text
    [item] = await _evidence(runtime)
    async with runtime.read_sessionmaker() as session:
        update = (await session.scalars(select(ProgressUpdate))).one()
    assert (
        item.update_id == update.id
        and item.project_id == setup.project.id
        and item.uploaded_by == world.member.id
    )

    page = (await client.get(f"/projects/{setup.project.id}")).text
    thumbnail = re.search(rf'<a class="evidence__photo" href="/api/v1/evidence/{item.id}"><img [^>]*>', page)
    assert thumbnail, "the feed shows the photo's thumbnail, linking to the file"
    img = thumbnail.group(0)
    assert f'src="/api/v1/evidence/{item.id}/thumbnail"' in img and 'loading="lazy"' in img
    assert 'width="320" height="240"' in img and 'alt="Foto bukti dukung' in img

    client.cookies.clear()
    await log_in(client, world.lead)  # another member of the project
    file = await client.get(f"/api/v1/evidence/{item.id}")
    assert file.status_code == 200 and file.content[:2] == b"\xff\xd8"
    assert (await client.get(f"/api/v1/evidence/{item.id}/thumbnail")).status_code == 200


async def test_a_photos_capture_time_is_in_its_description(client, world, setup, runtime):
    image = Image.new("RGB", (300, 400), "olive")
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:12:01 09:30:00"  # WIB
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    await log_in(client, world.member)
    assert (await _post_update(client, setup, [_jpeg("foto.jpg", out.getvalue())])).status_code == 303
    [item] = await _evidence(runtime)
    page = (await client.get(f"/projects/{setup.project.id}")).text
    img = re.search(rf'<img loading="lazy" src="/api/v1/evidence/{item.id}/thumbnail"[^>]*>', page).group(0)
    assert 'width="240" height="320"' in img
    assert 'alt="Foto bukti dukung, diambil 1 Des 2026 09.30' in img


async def test_an_empty_file_field_posts_the_update_without_evidence(client, world, setup, runtime):
    await log_in(client, world.member)
    empty = ("evidence", ("", b"", "application/octet-stream"))  # what a browser sends for no file
    response = await _post_update(client, setup, [empty])
    assert response.status_code == 303, response.text
    assert await _count(runtime, ProgressUpdate) == 1 and await _count(runtime, Evidence) == 0


async def test_more_than_four_files_are_refused_beside_the_field_and_nothing_is_written(
    client, world, setup, runtime
):
    await log_in(client, world.member)
    small = photo(40, 30)
    response = await _post_update(client, setup, [_jpeg(f"foto{i}.jpg", small) for i in range(5)])
    assert response.status_code == 422
    field = f"evidence-{setup.milestone.id}"
    refusal = re.search(rf'id="error-{field}"[^>]*>([^<]*)<', response.text)
    assert refusal and "paling banyak 4" in refusal.group(1)
    assert f'id="again-{field}"' in response.text and "Pilih lagi" in response.text
    assert 'aria-invalid="true"' in re.search(rf'<input id="{field}"[^>]*>', response.text).group(0)
    assert await _count(runtime, ProgressUpdate) == 0 and await _count(runtime, Evidence) == 0


async def test_a_file_that_only_pretends_to_be_a_photo_is_refused_beside_the_field(
    client, world, setup, runtime
):
    await log_in(client, world.member)
    spoofed = _jpeg("foto.jpg", b"MZ\x90\x00 not a photo at all" * 20)
    response = await _post_update(client, setup, [_jpeg("asli.jpg", photo(40, 30)), spoofed])
    assert response.status_code in (415, 422), response.text
    assert re.search(rf'id="error-evidence-{setup.milestone.id}"', response.text)
    assert await _count(runtime, ProgressUpdate) == 0
    assert await _count(runtime, Evidence) == 0, "the good photo before it is not kept either"


async def test_a_refused_update_keeps_none_of_its_uploaded_files(client, world, setup, runtime):
    await log_in(client, world.member)
    response = await _post_update(client, setup, [_jpeg()], progress_pct="140")
    assert response.status_code == 422 and "Persentase kemajuan: paling besar 100." in response.text
    assert "Pilih lagi" in response.text, "the page says the chosen files must be chosen again"
    assert await _count(runtime, Evidence) == 0 and await _count(runtime, ProgressUpdate) == 0


async def _close_with_photo(client, world, setup):
    await log_in(client, world.lead)
    page = await client.get(f"/projects/{setup.project.id}")
    assert (
        f'action="/projects/{setup.project.id}/milestones/{setup.milestone.id}/close" enctype="multipart/form-data"'
        in page.text
    )
    form = {"csrf_token": csrf_of(page.text), "quality": "4", "note": "Laporan diterima"}
    return await client.post(
        f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/close",
        data=form,
        files=[_jpeg("berita-acara.jpg")],
    )


async def test_the_lead_closes_a_milestone_with_a_photo_shown_with_the_close(client, world, setup, runtime):
    response = await _close_with_photo(client, world, setup)
    assert response.status_code == 303, response.text
    [item] = await _evidence(runtime)
    assert item.close_milestone_id == setup.milestone.id and item.update_id is None
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert "Bukti dukung penutupan" in page and f'src="/api/v1/evidence/{item.id}/thumbnail"' in page


async def test_a_refused_close_keeps_no_file_and_asks_for_them_again(client, world, setup, runtime):
    await log_in(client, world.lead)
    page = await client.get(f"/projects/{setup.project.id}")
    form = {"csrf_token": csrf_of(page.text), "quality": "1"}  # a score of 1 needs a note
    response = await client.post(
        f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/close", data=form, files=[_jpeg()]
    )
    assert response.status_code == 422
    assert f'id="again-close-evidence-{setup.milestone.id}"' in response.text
    assert await _count(runtime, Evidence) == 0


async def test_the_lead_hides_an_item_with_a_reason_that_the_page_then_shows(client, world, setup, runtime):
    await log_in(client, world.member)
    assert (await _post_update(client, setup, [_jpeg()])).status_code == 303
    [item] = await _evidence(runtime)
    # A member may not hide: the refusal is on the page, nothing changes.
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert f"/evidence/{item.id}/hide" not in page
    refused = await client.post(
        f"/projects/{setup.project.id}/evidence/{item.id}/hide",
        data={"csrf_token": csrf_of(page), "reason": REASON},
    )
    assert refused.status_code == 403

    client.cookies.clear()
    await log_in(client, world.lead)
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert f'action="/projects/{setup.project.id}/evidence/{item.id}/hide"' in page
    hide = f"/projects/{setup.project.id}/evidence/{item.id}/hide"
    blank = await client.post(hide, data={"csrf_token": csrf_of(page), "reason": " "})
    assert blank.status_code == 422
    assert re.search(rf'id="error-hide-evidence-{item.id}-reason"', blank.text), "beside the reason"
    assert (await _evidence(runtime))[0].hidden_at is None

    hidden = await client.post(hide, data={"csrf_token": csrf_of(page), "reason": REASON})
    assert hidden.status_code == 303, hidden.text
    row = (await _evidence(runtime))[0]
    assert row.hidden_by == world.lead.id and row.hidden_reason == REASON
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert f"Disembunyikan oleh Ketua Tim: {REASON}" in page
    assert f'<a href="/api/v1/evidence/{item.id}">' in page, "the lead keeps a link to the file"
    assert f'src="/api/v1/evidence/{item.id}/thumbnail"' not in page

    client.cookies.clear()
    await log_in(client, world.leader)  # sees the project, may not open a hidden item
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert f"Disembunyikan oleh Ketua Tim: {REASON}" in page
    assert f"/api/v1/evidence/{item.id}" not in page
    assert (await client.get(f"/api/v1/evidence/{item.id}")).status_code == 404


async def test_the_boards_strip_and_companion_feed_show_the_thumbnail(client, world, setup, runtime):
    await log_in(client, world.member)
    assert (await _post_update(client, setup, [_jpeg()])).status_code == 303
    [item] = await _evidence(runtime)
    client.cookies.clear()
    await log_in(client, world.leader)
    wall = (await client.get(f"/board/unit/{world.bidang.id}?layout=wall")).text
    strip = wall[wall.index('id="activity"') : wall.index("</ol>", wall.index('id="activity"'))]
    assert f'src="/api/v1/evidence/{item.id}/thumbnail"' in strip
    assert "Foto bukti dukung" in wall  # the live strip's words (wall.js) too
    feed = (await client.get(f"/board/unit/{world.bidang.id}/feed")).text
    assert f'src="/api/v1/evidence/{item.id}/thumbnail"' in feed


async def test_the_person_page_shows_the_evidence_of_the_milestones_behind_the_numbers(
    client, world, setup, runtime
):
    assert (await _close_with_photo(client, world, setup)).status_code == 303
    [item] = await _evidence(runtime)
    client.cookies.clear()
    await log_in(client, world.member)
    page = (await client.get(f"/people/{world.member.id}")).text
    sources = page[page.index('id="sumber-tonggak"') : page.index('id="sumber-survei"')]
    assert f'src="/api/v1/evidence/{item.id}/thumbnail"' in sources


def _write_lock_is_free(runtime) -> bool:
    """No transaction holds the database for writing: SQLite's write lock can be taken at once, and no
    PostgreSQL connection of the writing engine is in use."""
    if runtime.engine.dialect.name != "sqlite":
        return runtime.engine.pool.checkedout() == 0
    with closing(sqlite3.connect(make_url(runtime.settings.database_url).database, timeout=0)) as other:
        other.isolation_level = None
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked"
            return False
        other.execute("ROLLBACK")
        return True


async def test_photos_are_decoded_before_the_post_holds_the_database(
    client, world, setup, runtime, monkeypatch
):
    await log_in(client, world.member)
    free_while_storing = []
    store = evidence_service.store

    async def watched_store(data, filename):
        free_while_storing.append(_write_lock_is_free(runtime))
        return await store(data, filename)

    monkeypatch.setattr(evidence_service, "store", watched_store)
    response = await _post_update(client, setup, [_jpeg("satu.jpg"), _jpeg("dua.jpg", photo(50, 40))])
    assert response.status_code == 303, response.text
    assert free_while_storing == [True, True]
    assert await _count(runtime, Evidence) == 2
