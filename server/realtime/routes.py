"""Board WebSockets through ASGI, for when Pantau is served by anything but `pantau serve`: plain
`uvicorn server.app:app`, gunicorn with uvicorn workers, another ASGI server.

`pantau serve` installs server/realtime/socket.py as uvicorn's WebSocket protocol, so a board
handshake never reaches these routes there. Elsewhere the same protocol is served here, through the
same opening (server/realtime/opening.py: authentication, close codes, snapshot or replay) and the
same hub: correct, but each board holds a few tasks and the server frames every event once per
client. The server's own keepalive pings the client (uvicorn: every 20 s by default, `--ws-ping-interval`).

A board connection is three coroutines: the opening, the sender and the receiver; when the sender
or the receiver ends (closed either way), the others are cancelled."""

import asyncio
import logging
from collections import deque

from fastapi import APIRouter, WebSocket
from fastapi.responses import PlainTextResponse

from server.realtime.hub import Subscriber
from server.realtime.opening import (
    BOARD_PATH,
    CLOSE_SERVER_ERROR,
    CLOSE_TOO_SLOW,
    TOO_SLOW_REASON,
    one_header,
    open_board,
)
from server.runtime import Runtime

log = logging.getLogger(__name__)

router = APIRouter()


class AsgiBoardSocket:
    """What the hub writes to (hub.ClientSocket), over an ASGI WebSocket.

    The hub writes a frame here only while none is on its way (`full` otherwise); the sender hands it
    to the server, whose `send` waits while the client's TCP buffer is full, and then asks the
    subscriber for the next. Meanwhile events wait in the subscriber's bounded backlog, so a client
    that stops reading is closed with 4008 here too."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.subscriber: Subscriber | None = None
        self.outbox: deque[bytes] = deque()
        self.closing: tuple[int, str] | None = None
        self._wake = asyncio.Event()
        self._sent = asyncio.Event()

    @property
    def full(self) -> bool:
        return bool(self.outbox) or self.closing is not None

    def write(self, frame: bytes) -> None:
        if self.closing is None:
            self.outbox.append(frame)
            self._wake.set()

    async def send(self, frame: bytes) -> None:
        self.write(frame)
        while self.outbox and self.closing is None:
            self._sent.clear()
            await self._sent.wait()

    def close_too_slow(self) -> None:
        log.info("a board client fell too far behind: closing it with %d", CLOSE_TOO_SLOW)
        self.close(CLOSE_TOO_SLOW, TOO_SLOW_REASON)

    def close(self, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self._wake.set()
            self._sent.set()

    async def sending(self) -> None:
        """Send what the hub and the opening write, in order, until the connection is to close."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.outbox and self.closing is None:
                await self.websocket.send_text(frame_text(self.outbox[0]))
                self.outbox.popleft()
                self._sent.set()
                if self.subscriber is not None:
                    self.subscriber.socket_has_room()
            if self.closing is not None:
                self.outbox.clear()
                await self.websocket.close(*self.closing)
                return


_last_frame: tuple[bytes, str] = (b"", "")


def frame_text(frame: bytes) -> str:
    """The text of a frame the hub built (server frames are unmasked). The hub hands one frame object
    to every client of a board, so the last one's text is kept: decoded once per event, not per client."""
    global _last_frame
    if _last_frame[0] is not frame:
        length = frame[1] & 0x7F
        start = 2 if length < 126 else 4 if length == 126 else 10
        _last_frame = (frame, frame[start:].decode())
    return _last_frame[1]


@router.websocket("/ws/board/{kind}/{board_id}")
async def board(websocket: WebSocket, kind: str, board_id: str) -> None:
    if BOARD_PATH.fullmatch(f"/ws/board/{kind}/{board_id}") is None:
        await refuse_unknown_socket(websocket)
        return
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    socket = AsgiBoardSocket(websocket)
    opening = asyncio.create_task(
        open_board(
            runtime,
            socket,
            kind=kind,
            board_id=int(board_id),
            query=websocket.scope.get("query_string", b"").decode("latin-1"),
            authorization=websocket.headers.get("authorization"),
            cookie=websocket.headers.get("cookie"),
            origin=one_header(websocket.headers.getlist("origin")),
            host=one_header(websocket.headers.getlist("host")),
        )
    )
    opening.add_done_callback(lambda task: _opened(task, socket))
    sender = asyncio.create_task(socket.sending())
    receiver = asyncio.create_task(_until_disconnected(websocket))
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (opening, sender, receiver):
            task.cancel()
        await asyncio.gather(opening, sender, receiver, return_exceptions=True)
        if socket.subscriber is not None:
            runtime.hub.unsubscribe(socket.subscriber)
            socket.subscriber = None


def _opened(task: "asyncio.Task[None]", socket: AsgiBoardSocket) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("board socket failed while opening", exc_info=task.exception())
        socket.close(CLOSE_SERVER_ERROR, "server error")


async def _until_disconnected(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it is gone: a board only listens."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


@router.websocket("/{path:path}")
async def refuse_unknown_socket(websocket: WebSocket) -> None:
    """Board sockets are the only WebSockets Pantau serves: anything else is a 404, as under
    `pantau serve` (not the bare 403 a server answers for a socket nobody accepted)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(PlainTextResponse("No such board socket.\n", status_code=404))
    else:
        await websocket.close()
