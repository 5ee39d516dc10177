"""notify: one notification per reader, deduplicated, in the change's transaction, announced on the
reader's own board; and each person's choice of channel."""

import json

import pytest
from sqlalchemy import func, select

from server.accounts.models import User
from server.errors import Invalid
from server.notifications import service as notifications
from server.notifications.models import Notification, NotificationPreference, OutboxEmail
from server.realtime.events import board_position, events_after, user_board
from server.text import N_


async def test_notify_creates_one_per_reader_and_announces_it(runtime, world):
    async with runtime.transaction() as db:
        created = await notifications.notify(
            db,
            user_ids=[world.lead.id, world.member.id, world.lead.id],
            kind="blocker",
            message=N_("Kendala baru di %(project)s"),
            params={"project": "Proyek A"},
            url="/projects/1",
        )
    assert sorted(n.user_id for n in created) == sorted([world.lead.id, world.member.id])
    async with runtime.transaction() as db:
        assert await notifications.unread_count(db, world.lead.id) == 1
        events = await events_after(db, user_board(world.lead.id), 0)
        assert await board_position(db, user_board(world.outsider.id)) == 0
    assert len(events) == 1
    message = json.loads(events[0][1])
    assert message["type"] == "notification.created"
    assert message["data"]["unread"] == 1
    assert message["data"]["notification"]["text"] == "Kendala baru di Proyek A"
    assert message["data"]["notification"]["url"] == "/projects/1"


async def test_dedupe_key_tells_each_reader_once(runtime, world):
    for _ in range(2):
        async with runtime.transaction() as db:
            await notifications.notify(
                db, user_ids=[world.member.id], kind="stale", message="x", dedupe_key="stale:1:2026-12-01"
            )
    async with runtime.transaction() as db:
        await notifications.notify(
            db,
            user_ids=[world.member.id, world.lead.id],
            kind="stale",
            message="x",
            dedupe_key="stale:1:2026-12-01",
        )
        counts = dict(
            (
                await db.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id))
            ).all()
        )
    assert counts == {world.member.id: 1, world.lead.id: 1}


async def test_a_rolled_back_change_tells_no_one(runtime, world):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with runtime.transaction() as db:
            await notifications.notify(db, user_ids=[world.member.id], kind="dialog", message="x")
            raise Boom
    async with runtime.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(Notification)) == 0
        assert await board_position(db, user_board(world.member.id)) == 0


async def test_mark_read_some_or_all_and_only_ones_own(runtime, world):
    async with runtime.transaction() as db:
        mine = await notifications.notify(db, user_ids=[world.member.id], kind="dialog", message="a")
        await notifications.notify(db, user_ids=[world.member.id], kind="dialog", message="b")
        theirs = await notifications.notify(db, user_ids=[world.lead.id], kind="dialog", message="c")
    async with runtime.transaction() as db:
        changed = await notifications.mark_read(db, user_id=world.member.id, ids=[mine[0].id, theirs[0].id])
    assert changed == 1
    async with runtime.transaction() as db:
        assert await notifications.unread_count(db, world.member.id) == 1
        assert await notifications.unread_count(db, world.lead.id) == 1
        last = (await events_after(db, user_board(world.member.id), 0))[-1]
        assert json.loads(last[1])["type"] == "notification.read"
        assert json.loads(last[1])["data"] == {"unread": 1}
        assert await notifications.mark_read(db, user_id=world.member.id) == 1
        assert await notifications.unread_count(db, world.member.id) == 0


async def test_preferences_default_to_in_app_and_email_needs_an_address(runtime, world):
    async with runtime.transaction() as db:
        assert set((await notifications.preferences_of(db, world.member.id)).values()) == {"in_app"}
        member = await db.get(type(world.member), world.member.id)
        member.email = None
        with pytest.raises(Invalid):
            await notifications.set_preference(db, user=member, kind="blocker", channel="email")
        with pytest.raises(Invalid):
            await notifications.set_preference(db, user=member, kind="nonsense", channel="in_app")
        member.email = "anggota@example.go.id"
        await notifications.set_preference(db, user=member, kind="blocker", channel="digest")
        assert (await notifications.preferences_of(db, world.member.id))["blocker"] == "digest"
        await notifications.set_preference(db, user=member, kind="blocker", channel="in_app")
        assert await db.scalar(select(func.count()).select_from(NotificationPreference)) == 0


async def test_an_email_preference_queues_an_email_in_the_same_transaction(runtime, world):
    async with runtime.transaction() as db:
        member = await db.get(User, world.member.id)
        member.email = "anggota@example.go.id"
        lead = await db.get(User, world.lead.id)
        lead.email = "ketua@example.go.id"
        await notifications.set_preference(db, user=member, kind="blocker", channel="email")
        await notifications.set_preference(db, user=lead, kind="blocker", channel="digest")
    async with runtime.transaction() as db:
        await notifications.notify(
            db,
            user_ids=[world.member.id, world.lead.id],
            kind="blocker",
            message=N_("Kendala baru di %(project)s"),
            params={"project": "Proyek A"},
        )
        rows = (await db.scalars(select(OutboxEmail))).all()
    assert [(row.user_id, row.to_address) for row in rows] == [(world.member.id, "anggota@example.go.id")]
