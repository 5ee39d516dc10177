"""The per-user board (/ws/board/user/{id}): opened only by its owner, a snapshot of the bell, each new
notification live, and closed when its owner is deactivated."""

from server.notifications import service as notifications
from tests.realtime.boards import close_code, open_board, receive


async def _tell(runtime, user, message="Halo %(name)s"):
    async with runtime.transaction() as db:
        (made,) = await notifications.notify(
            db, user_ids=[user.id], kind="dialog", message=message, params={"name": "Anggota"}
        )
    return made


async def test_the_owner_gets_the_snapshot_and_each_new_notification(runtime, world, live_server):
    first = await _tell(runtime, world.member)
    async with open_board(live_server, "user", world.member.id, world.auth(world.member)) as ws:
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot"
        assert snapshot["scope"] == f"user:{world.member.id}"
        assert snapshot["data"]["unread"] == 1
        assert [n["id"] for n in snapshot["data"]["latest"]] == [first.id]
        second = await _tell(runtime, world.member)
        event = await receive(ws)
        assert event["type"] == "notification.created"
        assert event["data"]["unread"] == 2
        assert event["data"]["notification"]["id"] == second.id
        assert event["data"]["notification"]["text"] == "Halo Anggota"
        async with runtime.transaction() as db:
            await notifications.mark_read(db, user_id=world.member.id)
        event = await receive(ws)
        assert (event["type"], event["data"]) == ("notification.read", {"unread": 0})


async def test_nobody_else_opens_it_not_even_an_admin(world, live_server):
    for other in (world.lead, world.admin):
        async with open_board(live_server, "user", world.member.id, world.auth(other)) as ws:
            assert await close_code(ws) == 4404
    async with open_board(live_server, "user", world.member.id) as ws:
        assert await close_code(ws) == 4401


async def test_deactivation_closes_the_bell(client, world, live_server):
    async with open_board(live_server, "user", world.member.id, world.auth(world.member)) as ws:
        await receive(ws)
        response = await client.patch(
            f"/api/v1/users/{world.member.id}", json={"is_active": False}, headers=world.auth(world.admin)
        )
        assert response.status_code == 200, response.text
        assert await close_code(ws) == 4401
