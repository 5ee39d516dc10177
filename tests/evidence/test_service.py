"""Uploading, attaching and reading evidence through the service functions (server/evidence/service.py)."""

import threading

import pytest
from sqlalchemy import event, func, select

from server.errors import Invalid
from server.evidence import service, storage
from server.evidence.media import UnsupportedMediaType
from server.evidence.models import Evidence
from server.projects import service as projects
from server.projects.models import ProgressUpdate, UpdateCreate
from tests.evidence.images import MINIMAL_PDF, photo_bytes


async def _upload(runtime, user, data=None, filename="foto.jpg"):
    async with runtime.transaction() as session:
        return await service.upload(session, by=user, data=data or photo_bytes(), filename=filename)


async def _row(runtime, evidence_id) -> Evidence:
    async with runtime.read_sessionmaker() as session:
        return await session.get(Evidence, evidence_id)


async def _count(runtime) -> int:
    async with runtime.read_sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Evidence))


async def test_an_upload_is_stored_with_its_thumbnail_and_recorded_unattached(runtime, world, media_dir):
    read = await _upload(
        runtime, world.member, photo_bytes((2000, 1000), taken="2026:12:01 08:00:00"), "C:\\DCIM\\IMG 1.jpg"
    )
    assert read.url == f"/api/v1/evidence/{read.id}"
    assert read.thumbnail_url == f"/api/v1/evidence/{read.id}/thumbnail"
    assert (read.kind, read.content_type, read.width, read.height) == ("photo", "image/jpeg", 1600, 800)
    assert read.original_name == "IMG 1.jpg" and read.uploaded_by == world.member.id
    assert read.captured_at.isoformat() == "2026-12-01T01:00:00+00:00"
    assert read.update_id is None and read.close_milestone_id is None and read.hidden is False

    row = await _row(runtime, read.id)
    stored = storage.path_of(row.sha256)
    assert stored.is_relative_to(media_dir) and stored.stat().st_size == row.size_bytes == read.size_bytes
    assert storage.path_of(row.thumbnail_sha256).read_bytes()[:3] == b"\xff\xd8\xff"
    assert row.project_id is None


async def test_a_pdf_upload_has_no_thumbnail(runtime, world):
    read = await _upload(runtime, world.member, MINIMAL_PDF, "surat.pdf")
    assert (read.kind, read.content_type, read.thumbnail_url) == ("document", "application/pdf", None)
    assert storage.path_of((await _row(runtime, read.id)).sha256).read_bytes() == MINIMAL_PDF


async def test_the_photo_is_checked_and_cleaned_off_the_event_loop(runtime, world, monkeypatch):
    threads = []
    real = service.inspect_and_clean

    def recording(data, filename):
        threads.append(threading.get_ident())
        return real(data, filename)

    monkeypatch.setattr(service, "inspect_and_clean", recording)
    await _upload(runtime, world.member)
    assert threads and threads[0] != threading.get_ident()


async def test_a_refused_upload_writes_neither_a_row_nor_a_file(runtime, world, media_dir):
    with pytest.raises(UnsupportedMediaType):
        await _upload(runtime, world.member, b"<html>not a photo</html>", "foto.jpg")
    assert await _count(runtime) == 0
    assert not media_dir.exists() or not any(p.is_file() for p in media_dir.rglob("*"))


async def test_the_same_photo_uploaded_twice_is_two_rows_sharing_one_file(runtime, world, media_dir):
    data = photo_bytes()
    first, second = await _upload(runtime, world.member, data), await _upload(runtime, world.lead, data)
    assert first.id != second.id
    rows = [await _row(runtime, first.id), await _row(runtime, second.id)]
    assert rows[0].sha256 == rows[1].sha256
    assert len([p for p in media_dir.rglob("*") if p.is_file()]) == 2  # the photo and its thumbnail


# --- attach ---------------------------------------------------------------------------------------------


async def _post(runtime, setup, user, evidence_ids):
    async with runtime.transaction() as session:
        return await projects.post_update(
            session,
            by=user,
            project_id=setup.project.id,
            data=UpdateCreate(milestone_id=setup.milestone.id, progress_pct=40, evidence_ids=evidence_ids),
        )


async def test_an_update_carries_its_evidence_in_the_order_listed(runtime, world, setup):
    uploads = [await _upload(runtime, world.member, photo_bytes(colour=c)) for c in ("red", "green", "blue")]
    order = [uploads[2].id, uploads[0].id, uploads[1].id]
    posted = await _post(runtime, setup, world.member, order)
    assert [e.id for e in posted.evidence] == order
    assert all(e.update_id == posted.id for e in posted.evidence)
    rows = [await _row(runtime, i) for i in order]
    assert [(r.position, r.project_id, r.update_id) for r in rows] == [
        (n, setup.project.id, posted.id) for n in range(3)
    ]


async def test_attaching_to_a_milestones_close(runtime, world, setup):
    upload = await _upload(runtime, world.lead, MINIMAL_PDF, "berita-acara.pdf")
    async with runtime.transaction() as session:
        attached = await service.attach(
            session,
            by=world.lead,
            evidence_ids=[upload.id],
            project_id=setup.project.id,
            close_milestone_id=setup.milestone.id,
        )
    assert [(e.id, e.close_milestone_id, e.update_id) for e in attached] == [
        (upload.id, setup.milestone.id, None)
    ]


@pytest.mark.parametrize("case", ["someone_elses", "unknown", "already_attached", "repeated", "five"])
async def test_evidence_that_is_not_the_posters_to_attach_refuses_the_whole_post(runtime, world, setup, case):
    mine = await _upload(runtime, world.member, photo_bytes(colour="red"))
    theirs = await _upload(runtime, world.lead, photo_bytes(colour="blue"))
    earlier = await _upload(runtime, world.member, photo_bytes(colour="green"))
    await _post(runtime, setup, world.member, [earlier.id])
    ids, message = {
        "someone_elses": ([mine.id, theirs.id], f"Evidence {theirs.id}: no such upload of yours"),
        "unknown": ([mine.id, 9999], "Evidence 9999: no such upload of yours"),
        "already_attached": ([mine.id, earlier.id], f"Evidence {earlier.id}: already attached to a post"),
        "repeated": ([mine.id, mine.id], f"Evidence listed more than once: {mine.id}"),
        "five": ([mine.id] * 5, "A post carries at most 4 evidence files; 5 were given"),
    }[case]
    with pytest.raises(Invalid) as refused:
        async with runtime.transaction() as session:
            await service.attach(
                session,
                by=world.member,
                evidence_ids=ids,
                project_id=setup.project.id,
                close_milestone_id=setup.milestone.id,
            )
    assert message in refused.value.detail
    # Nothing was written: my own upload, listed first, is still unattached.
    assert (await _row(runtime, mine.id)).project_id is None


async def test_a_post_with_evidence_not_the_posters_is_not_posted(runtime, world, setup):
    theirs = await _upload(runtime, world.lead)
    with pytest.raises(Invalid, match="no such upload of yours"):
        await _post(runtime, setup, world.member, [theirs.id])
    async with runtime.read_sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ProgressUpdate)) == 0
    assert (await _row(runtime, theirs.id)).update_id is None


async def test_attach_needs_exactly_one_post_to_attach_to(runtime, world, setup):
    async with runtime.transaction() as session:
        with pytest.raises(ValueError):
            await service.attach(session, by=world.member, evidence_ids=[1], project_id=setup.project.id)


# --- reads ----------------------------------------------------------------------------------------------


async def test_evidence_of_updates_groups_in_order_with_one_query(runtime, world, setup):
    a, b, c = [await _upload(runtime, world.member, photo_bytes(colour=x)) for x in ("red", "green", "blue")]
    first = await _post(runtime, setup, world.member, [b.id, a.id])
    second = await _post(runtime, setup, world.member, [c.id])
    bare = await _post(runtime, setup, world.member, [])

    statements = []

    def count(*args):
        statements.append(args[2])

    engine = runtime.read_sessionmaker.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with runtime.read_sessionmaker() as session:
            grouped = await service.evidence_of_updates(session, [first.id, second.id, bare.id])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if "evidence" in s]) == 1
    assert {k: [e.id for e in v] for k, v in grouped.items()} == {first.id: [b.id, a.id], second.id: [c.id]}
    async with runtime.read_sessionmaker() as session:
        assert await service.evidence_of_updates(session, []) == {}
