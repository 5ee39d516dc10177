"""Dialog kinerja (API and service): the ASN and their rater write, the rater's chain and admins read,
anyone else gets 404; an edit keeps the previous text; a locked period refuses; an action needs a due
date; the other party is notified. On a fixed date: 20 November 2026 (WIB)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server import clock
from server.audit import HistoryEntry
from server.calendar.models import PeriodLock
from server.calendar.periods import parse_period
from server.notifications.models import Notification
from server.performance import dialog
from tests import factories

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
PERIOD = "2026-11"


@pytest.fixture
def frozen():
    clock.freeze(NOW)


def _note(text="Perbaiki format laporan bulanan", **extra):
    return {"period": PERIOD, "kind": "note", "text": text, **extra}


async def _post(client, world, who, body, subject=None):
    subject = subject or world.member
    return await client.post(f"/api/v1/users/{subject.id}/dialog", json=body, headers=world.auth(who))


async def _read(client, world, who, subject=None):
    subject = subject or world.member
    return await client.get(
        f"/api/v1/users/{subject.id}/dialog", params={"period": PERIOD}, headers=world.auth(who)
    )


async def _notifications(runtime, user):
    async with runtime.sessionmaker() as db:
        rows = await db.scalars(select(Notification).where(Notification.user_id == user.id))
        return list(rows.all())


async def test_rater_note_and_asn_reply_make_one_thread_oldest_first(frozen, client, world):
    note = await _post(client, world, world.lead, _note())
    assert note.status_code == 201, note.text
    reply = await _post(
        client,
        world,
        world.member,
        {"period": PERIOD, "kind": "reply", "text": "Siap, minggu depan", "reply_to": note.json()["id"]},
    )
    assert reply.status_code == 201, reply.text

    for who in (world.member, world.lead):
        read = (await _read(client, world, who)).json()
        assert [(e["kind"], e["author_id"]) for e in read["entries"]] == [
            ("note", world.lead.id),
            ("reply", world.member.id),
        ]
        assert read["entries"][1]["reply_to"] == note.json()["id"]
    assert (await _read(client, world, world.lead)).json()["may_write"] == ["note", "action"]
    assert (await _read(client, world, world.member)).json()["may_write"] == ["reply"]


async def test_rater_chain_and_admin_read_but_do_not_write(frozen, client, world):
    await _post(client, world, world.lead, _note())
    for reader in (world.leader, world.admin):
        read = await _read(client, world, reader)
        assert read.status_code == 200
        assert len(read.json()["entries"]) == 1
        assert read.json()["may_write"] == []
        refused = await _post(client, world, reader, _note("Catatan dari atas"))
        assert refused.status_code == 403, refused.text
    assert len((await _read(client, world, world.lead)).json()["entries"]) == 1


async def test_outsiders_get_404_for_the_dialog_and_its_entries(frozen, client, world):
    created = (await _post(client, world, world.lead, _note())).json()
    for outsider in (world.outsider, world.sibling_leader):
        assert (await _read(client, world, outsider)).status_code == 404
        assert (await _post(client, world, outsider, _note())).status_code == 404
        edited = await client.patch(
            f"/api/v1/dialog/{created['id']}", json={"text": "Diubah"}, headers=world.auth(outsider)
        )
        assert edited.status_code == 404


async def test_the_asn_replies_but_writes_no_note(frozen, client, world):
    refused = await _post(client, world, world.member, _note())
    assert refused.status_code == 403
    assert (await _read(client, world, world.member)).json()["entries"] == []


async def test_an_action_needs_a_due_date_today_or_later(frozen, client, world):
    action = {"period": PERIOD, "kind": "action", "text": "Lengkapi data kependudukan"}
    assert (await _post(client, world, world.lead, action)).status_code == 422
    past = await _post(client, world, world.lead, action | {"due_date": "2026-11-19"})
    assert past.status_code == 422
    assert "today or later" in past.json()["detail"]
    today = await _post(client, world, world.lead, action | {"due_date": "2026-11-20"})
    assert today.status_code == 201
    assert today.json()["due_date"] == "2026-11-20"
    note_with_date = await _post(client, world, world.lead, _note(due_date="2026-11-30"))
    assert note_with_date.status_code == 422


async def test_blank_text_is_refused(frozen, client, world):
    assert (await _post(client, world, world.lead, _note("   \n "))).status_code == 422


async def test_an_edit_keeps_the_previous_text_in_revisions_and_history(frozen, client, world, runtime):
    created = (await _post(client, world, world.lead, _note("Teks pertama"))).json()
    edited = await client.patch(
        f"/api/v1/dialog/{created['id']}", json={"text": "Teks kedua"}, headers=world.auth(world.lead)
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["text"] == "Teks kedua"
    assert edited.json()["edited_at"] is not None
    entry = (await _read(client, world, world.member)).json()["entries"][0]
    assert entry["text"] == "Teks kedua"
    assert [r["text"] for r in entry["revisions"]] == ["Teks pertama"]
    assert entry["revisions"][0]["replaced_by"] == world.lead.id
    async with runtime.sessionmaker() as db:
        history = (await db.scalars(select(HistoryEntry).where(HistoryEntry.entity == "dialog_entry"))).all()
    assert [(h.action, h.subject_user_id, h.period) for h in history] == [
        ("created", world.member.id, PERIOD),
        ("edited", world.member.id, PERIOD),
    ]
    assert history[1].before["text"] == "Teks pertama"


async def test_only_the_author_edits(frozen, client, world):
    created = (await _post(client, world, world.lead, _note())).json()
    for who in (world.member, world.leader, world.admin):
        refused = await client.patch(
            f"/api/v1/dialog/{created['id']}", json={"text": "Bukan milik saya"}, headers=world.auth(who)
        )
        assert refused.status_code == 403
    assert (await _read(client, world, world.lead)).json()["entries"][0]["revisions"] == []


async def test_a_locked_period_refuses_new_entries_and_edits(frozen, client, world, runtime):
    created = (await _post(client, world, world.lead, _note())).json()
    async with runtime.transaction() as db:
        db.add(PeriodLock(period=PERIOD, locked=True, locked_at=clock.now(), locked_by=world.admin.id))
    assert (await _post(client, world, world.lead, _note("Lagi"))).status_code == 409
    edited = await client.patch(
        f"/api/v1/dialog/{created['id']}", json={"text": "Diubah"}, headers=world.auth(world.lead)
    )
    assert edited.status_code == 409
    read = (await _read(client, world, world.lead)).json()
    assert read["locked"] is True and read["may_write"] == []
    assert [e["text"] for e in read["entries"]] == ["Perbaiki format laporan bulanan"]


async def test_each_new_entry_notifies_the_other_party(frozen, client, world, runtime):
    note = (await _post(client, world, world.lead, _note())).json()
    told = await _notifications(runtime, world.member)
    assert [(n.kind, n.url) for n in told] == [
        ("dialog", f"/people/{world.member.id}?period={PERIOD}#dialog")
    ]
    assert await _notifications(runtime, world.lead) == []

    await _post(
        client,
        world,
        world.member,
        {"period": PERIOD, "kind": "reply", "text": "Siap", "reply_to": note["id"]},
    )
    told = await _notifications(runtime, world.lead)
    assert [(n.kind, n.url) for n in told] == [
        ("dialog", f"/people/{world.member.id}/evaluation?period={PERIOD}#dialog")
    ]
    assert len(await _notifications(runtime, world.member)) == 1


async def test_a_reply_to_an_entry_of_another_dialog_is_refused(frozen, client, world, runtime):
    async with runtime.transaction() as db:
        other = await factories.make_user(db, unit=world.bidang, supervisor_id=world.lead.id)
    foreign = (await _post(client, world, world.lead, _note(), subject=other)).json()
    reply = {"period": PERIOD, "kind": "reply", "text": "Siap", "reply_to": foreign["id"]}
    assert (await _post(client, world, world.member, reply)).status_code == 422


async def test_service_dialog_of_refuses_an_outsider(frozen, world, runtime):
    async with runtime.transaction() as db:
        member = await db.get(type(world.member), world.member.id)
        outsider = await db.get(type(world.outsider), world.outsider.id)
        with pytest.raises(dialog.NotFound):
            await dialog.dialog_of(db, viewer=outsider, subject=member, period=parse_period(PERIOD))


async def test_a_reply_to_nothing_in_particular_notifies_the_rater(frozen, client, world, runtime):
    reply = await _post(
        client, world, world.member, {"period": PERIOD, "kind": "reply", "text": "Laporan terlampir"}
    )
    assert reply.status_code == 201
    assert [n.kind for n in await _notifications(runtime, world.lead)] == ["dialog"]
    assert await _notifications(runtime, world.member) == []
