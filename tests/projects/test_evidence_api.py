"""Evidence through the API: upload, then post or close with the ids; who may open a file; the lead hides
one; every update object carries its evidence (answers, events, snapshots)."""

import io
import json

from PIL import Image
from sqlalchemy import func, select

from server.audit import HistoryEntry
from server.evidence.models import Evidence
from server.projects.boards import project_snapshot, unit_snapshot
from server.projects.models import ProgressUpdate
from server.realtime.models import BoardEvent
from tests import factories
from tests.web import log_in

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
CACHE_FOREVER_PRIVATELY = "private, max-age=31536000, immutable"


def _photo(color: str = "green", size: tuple[int, int] = (800, 600), kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind)
    return out.getvalue()


async def _upload(client, world, user, data: bytes, *, name="foto.jpg", declared="image/jpeg", key=None):
    headers = world.auth(user) | ({"Idempotency-Key": key} if key else {})
    return await client.post("/api/v1/evidence", files={"file": (name, data, declared)}, headers=headers)


async def _uploaded(client, world, user, data: bytes | None = None, **kwargs) -> dict:
    response = await _upload(client, world, user, data if data is not None else _photo(), **kwargs)
    assert response.status_code == 201, response.text
    return response.json()


async def _post(client, world, setup, user, evidence_ids: list[int], *, key=None, pct=30):
    body = {"milestone_id": setup.milestone.id, "progress_pct": pct, "evidence_ids": evidence_ids}
    headers = world.auth(user) | ({"Idempotency-Key": key} if key else {})
    return await client.post(f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=headers)


async def _posted_item(client, world, setup, data: bytes | None = None) -> dict:
    """A photo (or `data`) of the member's, attached to an update of theirs."""
    item = await _uploaded(client, world, world.member, data)
    response = await _post(client, world, setup, world.member, [item["id"]])
    assert response.status_code == 201, response.text
    return response.json()["evidence"][0]


async def _events(runtime, board: str, kind: str) -> list[dict]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(BoardEvent.message).where(BoardEvent.board == board, BoardEvent.type == kind)
        )
        return [json.loads(message)["data"] for message in rows.all()]


async def _count(runtime, model) -> int:
    async with runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _status(client, world, user, path: str) -> int:
    return (await client.get(path, headers=world.auth(user))).status_code


async def test_an_update_carries_its_evidence_in_the_answer_the_event_the_list_and_the_snapshots(
    client, world, runtime, setup
):
    first = await _uploaded(client, world, world.member, _photo("red"), name="depan.jpg")
    second = await _uploaded(client, world, world.member, PDF, name="laporan.pdf", declared="application/pdf")
    assert first["update_id"] is None and first["kind"] == "photo" and second["kind"] == "document"

    response = await _post(client, world, setup, world.member, [second["id"], first["id"]])

    assert response.status_code == 201, response.text
    update = response.json()
    assert [e["id"] for e in update["evidence"]] == [second["id"], first["id"]]  # the order they were named
    assert all(e["update_id"] == update["id"] for e in update["evidence"])
    assert update["evidence"][1]["url"] == f"/api/v1/evidence/{first['id']}"
    assert update["evidence"][1]["thumbnail_url"] == f"/api/v1/evidence/{first['id']}/thumbnail"
    assert update["evidence"][0]["thumbnail_url"] is None
    for board in (f"project:{setup.project.id}", f"unit:{world.bidang.id}", f"unit:{world.dinas.id}"):
        (event,) = await _events(runtime, board, "progress.posted")
        assert event["update"] == update, board
    listed = await client.get(f"/api/v1/projects/{setup.project.id}/updates", headers=world.auth(world.lead))
    assert listed.json()[0] == update
    async with runtime.read_sessionmaker() as session:
        assert (await project_snapshot(session, setup.project.id))["updates"][0] == update
        assert (await unit_snapshot(session, world.bidang.id))["latest_updates"][
            str(setup.project.id)
        ] == update


async def test_an_update_without_evidence_says_so(client, world, setup):
    response = await _post(client, world, setup, world.member, [])
    assert response.status_code == 201 and response.json()["evidence"] == []


async def test_someone_elses_upload_is_refused_and_nothing_is_written(client, world, runtime, setup):
    own = await _uploaded(client, world, world.member)
    leads = await _uploaded(client, world, world.lead)

    response = await _post(client, world, setup, world.member, [own["id"], leads["id"]])

    assert response.status_code == 422, response.text
    assert str(leads["id"]) in json.dumps(response.json()["detail"])
    assert await _count(runtime, ProgressUpdate) == 0
    assert await _events(runtime, f"project:{setup.project.id}", "progress.posted") == []
    async with runtime.sessionmaker() as session:
        attached = await session.scalars(
            select(Evidence.project_id).where(Evidence.id.in_([own["id"], leads["id"]]))
        )
        assert list(attached.all()) == [None, None]
    # The member's own upload is still free for the next try.
    assert (await _post(client, world, setup, world.member, [own["id"]])).status_code == 201


async def test_an_item_goes_on_one_post_only(client, world, setup):
    item = await _posted_item(client, world, setup)
    assert (await _post(client, world, setup, world.member, [item["id"]], pct=40)).status_code == 422


async def test_a_retried_upload_with_the_same_key_stores_once(client, world, runtime):
    photo = _photo("blue")
    first = await _upload(client, world, world.member, photo, key="foto-1")
    again = await _upload(client, world, world.member, photo, key="foto-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert await _count(runtime, Evidence) == 1
    other = await _upload(client, world, world.member, _photo("yellow"), key="foto-1")
    assert other.status_code == 422 and await _count(runtime, Evidence) == 1


async def test_a_retried_post_with_evidence_writes_once(client, world, runtime, setup):
    item = await _uploaded(client, world, world.member)
    first = await _post(client, world, setup, world.member, [item["id"]], key="kirim-1")
    again = await _post(client, world, setup, world.member, [item["id"]], key="kirim-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["evidence"][0]["id"] == item["id"]
    assert await _count(runtime, ProgressUpdate) == 1
    assert len(await _events(runtime, f"project:{setup.project.id}", "progress.posted")) == 1


async def test_who_may_open_an_attached_file(client, world, runtime, setup):
    async with runtime.transaction() as db:
        elsewhere = await factories.make_user(db, unit=world.sibling)
    item = await _posted_item(client, world, setup)
    for path in (item["url"], item["thumbnail_url"]):
        for user in (world.member, world.lead, world.leader, world.admin):
            assert await _status(client, world, user, path) == 200, (user.name, path)
        for user in (world.outsider, world.sibling_leader, elsewhere):
            assert await _status(client, world, user, path) == 404, (user.name, path)
        assert (await client.get(path)).status_code == 401


async def test_a_file_is_kept_privately_for_good_and_never_sniffed(client, world, setup):
    item = await _posted_item(client, world, setup, _photo(size=(2400, 1200)))

    response = await client.get(item["url"], headers=world.auth(world.lead))

    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == CACHE_FOREVER_PRIVATELY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == 'inline; filename="foto.jpg"'
    assert Image.open(io.BytesIO(response.content)).size == (1600, 800)
    thumbnail = await client.get(item["thumbnail_url"], headers=world.auth(world.lead))
    assert thumbnail.headers["cache-control"] == CACHE_FOREVER_PRIVATELY
    assert Image.open(io.BytesIO(thumbnail.content)).size == (320, 160)
    # The address's content never changes: a client that has it is told so.
    etag = response.headers["etag"]
    cached = await client.get(item["url"], headers=world.auth(world.lead) | {"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""


async def test_a_pdf_opens_sandboxed_and_has_no_thumbnail(client, world, setup):
    item = await _posted_item(client, world, setup, PDF)
    response = await client.get(item["url"], headers=world.auth(world.member))
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-security-policy"] == "sandbox"
    assert await _status(client, world, world.member, f"/api/v1/evidence/{item['id']}/thumbnail") == 404


async def test_the_session_cookie_opens_a_file(client, world, setup):
    item = await _posted_item(client, world, setup)
    await log_in(client, world.leader)
    response = await client.get(item["thumbnail_url"])
    assert response.status_code == 200 and response.headers["cache-control"] == CACHE_FOREVER_PRIVATELY


async def test_an_unattached_upload_opens_for_its_uploader_only(client, world, setup):
    item = await _uploaded(client, world, world.member)
    assert await _status(client, world, world.member, item["url"]) == 200
    for user in (world.lead, world.leader, world.admin):
        assert await _status(client, world, user, item["url"]) == 404


async def test_a_hidden_file_opens_for_the_lead_admins_and_its_uploader(client, world, runtime, setup):
    async with runtime.transaction() as db:
        colleague = await factories.make_user(db, unit=world.bidang)
        await factories.add_member(db, project=setup.project, user=colleague, by=world.lead)
    item = await _posted_item(client, world, setup)
    hidden = await client.post(
        f"/api/v1/evidence/{item['id']}/hide",
        json={"reason": "Foto memuat data pribadi warga"},
        headers=world.auth(world.lead),
    )
    assert hidden.status_code == 200, hidden.text
    for path in (item["url"], item["thumbnail_url"]):
        for user in (world.lead, world.admin, world.member):
            assert await _status(client, world, user, path) == 200, (user.name, path)
        for user in (colleague, world.leader):
            assert await _status(client, world, user, path) == 404, (user.name, path)
    # The posts still show it, as hidden, to everyone who sees the project.
    listed = await client.get(f"/api/v1/projects/{setup.project.id}/updates", headers=world.auth(colleague))
    assert listed.json()[0]["evidence"][0]["hidden"] is True


async def test_the_lead_hides_an_item_with_a_reason_recorded_and_sent(client, world, runtime, setup):
    item = await _posted_item(client, world, setup)
    path = f"/api/v1/evidence/{item['id']}/hide"
    reason = {"reason": "Foto memuat data pribadi warga"}

    assert (
        await client.post(path, json={"reason": "buram"}, headers=world.auth(world.lead))
    ).status_code == 422
    assert (await client.post(path, json={}, headers=world.auth(world.lead))).status_code == 422
    for user in (world.member, world.leader):  # they see it, but may not hide it
        assert (await client.post(path, json=reason, headers=world.auth(user))).status_code == 403
    assert (await client.post(path, json=reason, headers=world.auth(world.outsider))).status_code == 404
    response = await client.post(path, json=reason, headers=world.auth(world.lead))

    assert response.status_code == 200, response.text
    hidden = response.json()
    assert hidden["hidden"] is True and hidden["hidden_by"] == world.lead.id
    assert hidden["hidden_reason"] == reason["reason"] and hidden["hidden_at"]
    async with runtime.sessionmaker() as session:
        entry = await session.scalar(select(HistoryEntry).where(HistoryEntry.entity == "evidence"))
    assert (entry.entity_id, entry.action, entry.actor_id) == (item["id"], "hidden", world.lead.id)
    assert entry.reason == reason["reason"] and entry.project_id == setup.project.id
    for board in (f"project:{setup.project.id}", f"unit:{world.bidang.id}", f"unit:{world.dinas.id}"):
        assert await _events(runtime, board, "evidence.hidden") == [{"evidence": hidden}], board
    assert (await client.post(path, json=reason, headers=world.auth(world.admin))).status_code == 409
    assert len(await _events(runtime, f"project:{setup.project.id}", "evidence.hidden")) == 1


async def test_an_admin_may_hide_an_item(client, world, setup):
    item = await _posted_item(client, world, setup)
    response = await client.post(
        f"/api/v1/evidence/{item['id']}/hide",
        json={"reason": "Dokumen salah unggah oleh pegawai"},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200 and response.json()["hidden_by"] == world.admin.id


async def test_a_file_over_five_megabytes_is_refused(client, world, runtime):
    # Over the request limit: refused before the body is read; just over 5 MB: refused by the check.
    for size in (6 * 1024 * 1024, 5 * 1024 * 1024 + 1):
        response = await _upload(client, world, world.member, b"%PDF-" + b"0" * size, name="besar.pdf")
        assert response.status_code == 413, (size, response.text)
    assert await _count(runtime, Evidence) == 0


async def test_a_file_is_judged_by_its_content_not_its_name(client, world, runtime):
    page = b"<html><script>alert(1)</script></html>"
    response = await _upload(client, world, world.member, page, name="foto.jpg", declared="image/jpeg")
    assert response.status_code == 415, response.text
    assert await _count(runtime, Evidence) == 0
    # A PNG named like a PDF is kept as the photo it is (as a JPEG).
    png = await _uploaded(
        client, world, world.member, _photo(kind="PNG"), name="scan.pdf", declared="application/pdf"
    )
    assert (png["kind"], png["content_type"]) == ("photo", "image/jpeg")


async def test_a_close_carries_its_evidence_and_the_project_lists_everything_in_order(client, world, setup):
    update_item = await _posted_item(client, world, setup)
    closing = await _uploaded(client, world, world.lead, _photo("white"), name="serah-terima.jpg")
    other_update = await _uploaded(client, world, world.member)
    body = {
        "milestone_id": setup.other_milestone.id,
        "progress_pct": 50,
        "evidence_ids": [other_update["id"]],
    }
    posted = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(world.member)
    )
    assert posted.status_code == 201

    response = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close",
        json={"quality": 4, "evidence_ids": [closing["id"]]},
        headers=world.auth(world.lead),
    )

    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["status"] == "closed"
    assert [(e["id"], e["close_milestone_id"]) for e in closed["evidence"]] == [
        (closing["id"], setup.milestone.id)
    ]
    url = f"/api/v1/projects/{setup.project.id}/evidence"
    everything = (await client.get(url, headers=world.auth(world.leader))).json()
    assert [e["id"] for e in everything] == [update_item["id"], other_update["id"], closing["id"]]
    one = await client.get(url, params={"milestone_id": setup.milestone.id}, headers=world.auth(world.member))
    assert [e["id"] for e in one.json()] == [update_item["id"], closing["id"]]
    assert await _status(client, world, world.outsider, url) == 404


async def test_a_close_with_someone_elses_upload_is_refused_and_stays_open(client, world, setup):
    members = await _uploaded(client, world, world.member)
    response = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close",
        json={"quality": 4, "evidence_ids": [members["id"]]},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 422
    project = await client.get(f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.lead))
    assert next(m for m in project.json()["milestones"] if m["id"] == setup.milestone.id)["status"] == "open"


async def test_an_item_of_an_archived_project_may_still_be_hidden(client, world, setup):
    # Archiving keeps the record as it was judged; taking a private photo out of sight must still be possible.
    item = await _posted_item(client, world, setup)
    archive = f"/api/v1/projects/{setup.project.id}/archive"
    assert (await client.post(archive, headers=world.auth(world.lead))).status_code == 200
    response = await client.post(
        f"/api/v1/evidence/{item['id']}/hide",
        json={"reason": "Foto memuat data pribadi warga"},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200 and response.json()["hidden"] is True
    assert await _status(client, world, world.leader, item["url"]) == 404
