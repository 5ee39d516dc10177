"""The board socket at the protocol level: what a raw client sees of the handshake, keepalive pings
and refusals, served by `pantau serve`'s protocol (server/realtime/socket.py) and through ASGI
(server/realtime/routes.py)."""

import asyncio

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from tests.realtime.boards import close_code, open_board, receive
from tests.realtime.serving import WAYS, served


class RawClient:
    """A WebSocket client that does nothing by itself (no automatic pong, no reading in the background),
    so a test sees exactly what the server sends."""

    def __init__(self, server: str, path: str, headers: dict[str, str]) -> None:
        self.server, self.path, self.headers = server, path, headers
        self.protocol = ClientProtocol(parse_uri(f"ws://{server}{path}"))
        self.events: list[object] = []

    async def connect(self) -> Response:
        host, port = self.server.split(":")
        self.reader, self.writer = await asyncio.open_connection(host, int(port))
        request = self.protocol.connect()
        for name, value in self.headers.items():
            request.headers[name] = value
        self.protocol.send_request(request)
        self._flush()
        event = await self.next_event()
        assert isinstance(event, Response)
        return event

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.writer.write(data)

    async def next_event(self, timeout: float = 10) -> object:
        while not self.events:
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                self.protocol.receive_eof()
            else:
                self.protocol.receive_data(data)
            self.events.extend(self.protocol.events_received())
            if not data and not self.events:
                return None
        return self.events.pop(0)

    async def next_frame(self, timeout: float = 10) -> Frame | None:
        event = await self.next_event(timeout)
        assert event is None or isinstance(event, Frame), event
        return event

    def close(self) -> None:
        self.writer.close()


@pytest.fixture(params=list(WAYS))
async def quick_ping_server(app, request) -> str:
    """The same app on a second uvicorn, served each way (tests/realtime/serving.py), whose board sockets
    ping every 0.2 s and wait 0.5 s for the pong."""
    options = {**WAYS[request.param], "ws_ping_interval": 0.2, "ws_ping_timeout": 0.5}
    async with served(app, **options) as address:
        yield address


async def test_a_board_is_pinged_and_closed_when_it_stops_answering(world, setup, quick_ping_server):
    client = RawClient(quick_ping_server, f"/ws/board/project/{setup.project.id}", world.auth(world.member))
    response = await client.connect()
    assert response.status_code == 101
    assert "Sec-WebSocket-Extensions" not in response.headers, "no per-message compression"
    try:
        frames = []
        while True:  # this client never answers a ping (its ClientProtocol queues pongs it never sends)
            frame = await client.next_frame(timeout=5)
            assert frame is not None, "the server closes with a close frame, not just by hanging up"
            if frame.opcode is Opcode.CLOSE:
                break
            frames.append(frame.opcode)
        assert frames[0] is Opcode.TEXT, "the snapshot first"
        assert Opcode.PING in frames
        assert Close.parse(frame.data).code == 1011, "closed for not answering the ping"
    finally:
        client.close()


async def test_a_board_that_answers_pings_stays_open(world, setup, quick_ping_server):
    async with open_board(quick_ping_server, "project", setup.project.id, world.auth(world.member)) as ws:
        assert (await receive(ws))["type"] == "snapshot"
        await asyncio.sleep(1.5)  # several ping intervals and pong timeouts: the websockets client answers
        pong = await ws.ping()
        await asyncio.wait_for(pong, 5)
        assert ws.close_code is None


async def test_compression_offered_by_the_client_is_not_taken(world, setup, pantau_serve_server):
    """`pantau serve`'s own protocol never keeps a zlib context per board (plain uvicorn negotiates
    compression unless told `--ws-per-message-deflate false`; that costs memory, not correctness)."""
    async with open_board(pantau_serve_server, "project", setup.project.id, world.auth(world.member)) as ws:
        assert ws.protocol.extensions == []
        assert (await receive(ws))["type"] == "snapshot"


async def test_any_other_socket_path_is_refused_with_404(world, live_server):
    client = RawClient(live_server, "/ws/elsewhere", world.auth(world.member))
    try:
        assert (await client.connect()).status_code == 404
    finally:
        client.close()


# "²" and "٣" are digits to str.isdigit() that int() cannot read or reads as 3: both are refused.
@pytest.mark.parametrize("since", ["abc", "-1", "1&since=2", "%C2%B2", "%D9%A3", "1" * 19])
async def test_a_malformed_since_is_refused_with_1008(world, setup, live_server, since):
    from websockets.asyncio.client import connect

    from tests.realtime.boards import board_url

    url = board_url(live_server, "project", setup.project.id) + f"?since={since}"
    async with connect(url, additional_headers=world.auth(world.member)) as ws:
        assert await close_code(ws) == 1008
