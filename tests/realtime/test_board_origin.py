"""The board handshake checks `Origin` (server/realtime/opening.origin_allowed): a page of another site
cannot open a board with the visitor's cookie. Refused with close code 4403 after the accept, the same
under both ways of serving boards."""

from server.accounts.service import start_web_session
from tests.realtime.boards import close_code, open_board, receive


async def _cookie(runtime, user) -> dict[str, str]:
    async with runtime.transaction() as session:
        token, _ = await start_web_session(session, user=user, hours=1)
    return {"Cookie": f"pantau_session={token}"}


async def test_a_page_of_another_site_cannot_open_a_board(world, runtime, live_server):
    headers = await _cookie(runtime, world.leader) | {"Origin": "https://evil.example"}
    async with open_board(live_server, "unit", world.dinas.id, headers) as ws:
        assert await close_code(ws) == 4403


async def test_a_page_of_this_site_opens_the_board(world, runtime, live_server):
    headers = await _cookie(runtime, world.leader) | {"Origin": f"http://{live_server}"}
    async with open_board(live_server, "unit", world.dinas.id, headers) as ws:
        assert (await receive(ws))["type"] == "snapshot"


async def test_another_port_of_the_same_host_is_another_site(world, runtime, live_server):
    host = live_server.split(":")[0]
    headers = await _cookie(runtime, world.leader) | {"Origin": f"http://{host}:1"}
    async with open_board(live_server, "unit", world.dinas.id, headers) as ws:
        assert await close_code(ws) == 4403


async def test_with_a_public_url_only_that_site_may_open_boards(world, runtime, live_server, monkeypatch):
    monkeypatch.setattr(runtime.settings, "public_url", "https://pantau.example.go.id")
    headers = await _cookie(runtime, world.leader)
    async with open_board(
        live_server, "unit", world.dinas.id, headers | {"Origin": "https://pantau.example.go.id"}
    ) as ws:
        assert (await receive(ws))["type"] == "snapshot"
    async with open_board(
        live_server, "unit", world.dinas.id, headers | {"Origin": f"http://{live_server}"}
    ) as ws:
        assert await close_code(ws) == 4403
