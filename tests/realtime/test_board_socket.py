import asyncio
import secrets

from server.accounts.security import new_token
from server.accounts.service import start_web_session
from tests.realtime.boards import close_code, open_board, receive


async def _post(client, world, setup, pct, user=None):
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates",
        json={"milestone_id": setup.milestone.id, "progress_pct": pct, "note": "catatan"},
        headers=world.auth(user or world.member),
    )
    assert response.status_code == 201
    return response.json()


async def test_snapshot_first_then_live_progress_event(client, world, setup, live_server):
    async with open_board(live_server, "unit", world.dinas.id, world.auth(world.leader)) as ws:
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot" and snapshot["scope"] == f"unit:{world.dinas.id}"
        assert [p["id"] for p in snapshot["data"]["projects"]] == [setup.project.id]
        update = await _post(client, world, setup, 40)
        event = await receive(ws)
        assert event["type"] == "progress.posted" and event["seq"] == snapshot["seq"] + 1
        assert event["scope"] == f"unit:{world.dinas.id}" and event["at"].endswith("Z")
        assert event["data"]["update"]["id"] == update["id"]
        assert event["data"]["milestone"]["progress_pct"] == 40
        assert event["data"]["project"]["progress_pct"] == 30.0 and event["data"]["project"]["health"]


async def test_project_board_gets_milestone_events(client, world, setup, live_server):
    async with open_board(live_server, "project", setup.project.id, world.auth(world.member)) as ws:
        snapshot = await receive(ws)
        assert snapshot["data"]["project"]["id"] == setup.project.id
        closed = await client.post(
            f"/api/v1/milestones/{setup.milestone.id}/close",
            json={"quality": 4},
            headers=world.auth(world.lead),
        )
        assert closed.status_code == 200, closed.text
        event = await receive(ws)
        assert event["type"] == "milestone.closed" and event["seq"] == snapshot["seq"] + 1
        assert (
            event["data"]["milestone"]["status"] == "closed"
            and event["data"]["project"]["id"] == setup.project.id
        )


async def test_reconnect_with_since_replays_missed_events_exactly_once(client, world, setup, live_server):
    headers = world.auth(world.leader)
    async with open_board(live_server, "unit", world.bidang.id, headers) as ws:
        seen = (await receive(ws))["seq"]
    missed = [await _post(client, world, setup, pct) for pct in (10, 20, 30)]
    async with open_board(live_server, "unit", world.bidang.id, headers, since=seen) as ws:
        replayed = [await receive(ws) for _ in missed]
        assert [m["seq"] for m in replayed] == [seen + 1, seen + 2, seen + 3]
        assert [m["data"]["update"]["id"] for m in replayed] == [u["id"] for u in missed]
        live = await _post(client, world, setup, 40)
        event = await receive(ws)
        assert event["seq"] == seen + 4 and event["data"]["update"]["id"] == live["id"]


async def test_since_beyond_the_board_position_gets_a_snapshot(client, world, setup, live_server):
    async with open_board(live_server, "unit", world.bidang.id, world.auth(world.leader), since=10_000) as ws:
        first = await receive(ws)
        assert first["type"] == "snapshot"


async def test_since_at_the_position_goes_straight_to_live(client, world, setup, live_server):
    headers = world.auth(world.leader)
    async with open_board(live_server, "unit", world.bidang.id, headers) as ws:
        position = (await receive(ws))["seq"]
    async with open_board(live_server, "unit", world.bidang.id, headers, since=position) as ws:
        await _post(client, world, setup, 15)
        event = await receive(ws)
        assert event["type"] == "progress.posted" and event["seq"] == position + 1


async def test_unauthenticated_viewer_is_closed_with_4401(world, setup, live_server):
    async with open_board(live_server, "unit", world.dinas.id) as ws:
        assert await close_code(ws) == 4401
    async with open_board(live_server, "unit", world.dinas.id, {"Authorization": "Bearer forged"}) as ws:
        assert await close_code(ws) == 4401


async def test_viewer_who_may_not_see_the_board_is_closed_with_4404(world, setup, live_server):
    async with open_board(live_server, "unit", world.dinas.id, world.auth(world.member)) as ws:
        assert await close_code(ws) == 4404
    async with open_board(live_server, "unit", world.dinas.id, world.auth(world.sibling_leader)) as ws:
        assert await close_code(ws) == 4404
    async with open_board(live_server, "project", setup.project.id, world.auth(world.outsider)) as ws:
        assert await close_code(ws) == 4404
    async with open_board(live_server, "project", 99999, world.auth(world.admin)) as ws:
        assert await close_code(ws) == 4404


async def test_session_cookie_opens_the_board(world, setup, live_server, runtime):
    async with runtime.transaction() as session:
        token, _ = await start_web_session(session, user=world.leader, hours=1)
    async with open_board(live_server, "unit", world.dinas.id, {"Cookie": f"pantau_session={token}"}) as ws:
        assert (await receive(ws))["type"] == "snapshot"
    async with open_board(
        live_server, "unit", world.dinas.id, {"Cookie": f"pantau_session={new_token()}"}
    ) as ws:
        assert await close_code(ws) == 4401


async def test_unit_board_covers_sub_units_and_sibling_does_not_see_it(client, world, setup, live_server):
    async with open_board(live_server, "unit", world.dinas.id, world.auth(world.leader)) as parent_ws:
        snapshot = await receive(parent_ws)
        await client.post(
            "/api/v1/projects",
            json={
                "name": "Baru",
                "unit_id": world.bidang.id,
                "lead_id": world.lead.id,
                "start_date": "2026-11-01",
                "due_date": "2026-12-31",
            },
            headers=world.auth(world.leader),
        )
        created = await receive(parent_ws)
        assert created["type"] == "project.created" and created["seq"] == snapshot["seq"] + 1


async def test_client_that_stops_reading_is_dropped_with_4008_and_others_get_everything(
    world, setup, live_server, runtime
):
    """Real TCP back-pressure: the stalled client's socket fills, its bounded queue overflows, and it is
    closed with 4008, while a client that reads receives every event in order."""
    import socket

    from websockets.asyncio.client import connect

    from tests.realtime.boards import board_url

    board = f"project:{setup.project.id}"
    runtime.hub.queue_size = 8
    stalled_socket = socket.socket()
    stalled_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled_socket.connect(tuple(live_server.split(":")[:1] + [int(live_server.split(":")[1])]))
    try:
        async with (
            open_board(live_server, "project", setup.project.id, world.auth(world.member)) as reader,
            connect(
                board_url(live_server, "project", setup.project.id),
                sock=stalled_socket,
                max_queue=1,
                additional_headers=world.auth(world.lead),
            ) as stalled,
        ):
            position = (await receive(reader))["seq"]
            await receive(stalled)
            channel = runtime.hub.channels[board]
            await asyncio.wait_for(channel.ready.wait(), 5)
            subscribers = list(channel.subscribers)
            received: list[int] = []
            arrived = asyncio.Event()

            async def read_all() -> None:
                while len(received) < 100:
                    received.append((await receive(reader))["seq"])
                    arrived.set()

            reading = asyncio.create_task(read_all())
            # 100,000 characters that per-message compression (plain uvicorn's default) cannot shrink.
            big = secrets.token_urlsafe(75_000)
            for seq in range(position + 1, position + 101):
                runtime.hub.deliver(board, seq, f'{{"seq":{seq},"type":"test","data":"{big}"}}')
                # A steady stream a healthy client keeps up with: at most four events in flight.
                while seq - position - len(received) > 4:
                    arrived.clear()
                    await asyncio.wait_for(arrived.wait(), 10)
            await asyncio.wait_for(reading, 30)
            assert received == list(range(position + 1, position + 101))
            assert [s.overflowed for s in subscribers].count(True) == 1, "only the stalled client"
            assert await close_code(stalled) == 4008
    finally:
        runtime.hub.queue_size = 512
