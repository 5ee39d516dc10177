"""Board WebSockets, served by uvicorn without the ASGI stack.

A wall screen keeps its board open for days and a regency runs a thousand of them, so what one open
board costs is what the server pays most: through ASGI every connection holds a task and a dozen
framework frames, queues and exit stacks (about 35 KiB), and every event is encoded once per client.
Here a board is one small protocol object: uvicorn hands it the upgrade request (`pantau serve` sets it
as uvicorn's `ws` protocol), the websockets library's sans-I/O `ServerProtocol` does the handshake and
the framing, and once its opening messages are out, the hub writes each event's frame, built once per
board, straight to the socket. Board sockets are the only WebSockets Pantau serves; any other path is
refused with 404. Under another ASGI server, server/realtime/routes.py serves the same protocol through
ASGI; both open boards with server/realtime/opening.py (close codes there)."""

import asyncio
import logging
import random
import struct
from typing import Any
from urllib.parse import urlsplit

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

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

MAX_INCOMING_BYTES = 4096  # a board only ever sends control frames
CLOSE_TIMEOUT = 10.0  # how long a closing client has to answer before the connection is dropped


def _runtime_of(app: Any) -> Runtime:
    """The application's runtime. uvicorn may wrap the app in middleware (proxy headers, logging),
    each keeping the next one as `.app`."""
    while not hasattr(getattr(app, "state", None), "runtime"):
        app = app.app
    return app.state.runtime  # type: ignore[no-any-return]


class BoardConnection(asyncio.Protocol):
    __slots__ = (
        "config",
        "server_state",
        "loop",
        "transport",
        "protocol",
        "subscriber",
        "full",
        "_room",
        "_opening",
        "_ping_timer",
        "_pong_timer",
        "_close_timer",
        "_ping_payload",
    )

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any], _loop: Any = None) -> None:
        self.config = config
        self.server_state = server_state
        self.loop = _loop or asyncio.get_event_loop()
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.protocol = ServerProtocol(max_size=MAX_INCOMING_BYTES, logger=log)
        self.subscriber: Subscriber | None = None
        self.full = False  # the hub reads it: True while the send buffer is over its limit
        self._room: asyncio.Event | None = None  # made only while the opening waits for room
        self._opening: asyncio.Task[None] | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._ping_payload: bytes | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server_state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        if self.protocol.handshake_exc is not None:  # not a WebSocket request uvicorn could have passed on
            output = b"".join(self.protocol.data_to_send())
            self.transport.write(
                output or self.protocol.reject(400, "Invalid WebSocket request.\n").serialize()
            )
            self.transport.close()
            return
        for event in self.protocol.events_received():
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, Frame) and event.opcode == Opcode.PONG:
                self._pong(bytes(event.data))
            # Pings are answered and closes echoed by ServerProtocol itself; anything else is ignored.
        self._flush_protocol()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._flush_protocol()
        return None

    def pause_writing(self) -> None:
        self.full = True

    def resume_writing(self) -> None:
        self.full = False
        if self._room is not None:
            self._room.set()
        if self.subscriber is not None:
            self.subscriber.socket_has_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        for timer in (self._ping_timer, self._pong_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        if self._opening is not None:
            self._opening.cancel()
        if self.subscriber is not None:
            self.subscriber.channel.hub.unsubscribe(self.subscriber)
            self.subscriber = None

    # what the hub uses (hub.ClientSocket)

    def write(self, frame: bytes) -> None:
        if self.protocol.state is State.OPEN:  # no data frame may follow a close frame
            self.transport.write(frame)

    async def send(self, frame: bytes) -> None:
        self.write(frame)
        while self.full and self.protocol.state is State.OPEN:
            self._room = self._room or asyncio.Event()
            self._room.clear()
            await self._room.wait()

    def close_too_slow(self) -> None:
        log.info("a board client fell too far behind: closing it with %d", CLOSE_TOO_SLOW)
        self.close(CLOSE_TOO_SLOW, TOO_SLOW_REASON)

    # uvicorn calls this on every open connection when the server stops
    def shutdown(self) -> None:
        self.close(1012, "server restarting")

    def close(self, code: int, reason: str) -> None:
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(code, reason)
            self._flush_protocol()
            self._close_timer = self.loop.call_later(CLOSE_TIMEOUT, self.transport.abort)
        elif self.protocol.state is not State.CLOSED:
            self.transport.close()

    # the connection's life

    def _handshake(self, request: Request) -> None:
        url = urlsplit(request.path)
        match = BOARD_PATH.fullmatch(url.path)
        if match is None:
            self.protocol.send_response(self.protocol.reject(404, "No such board socket.\n"))
            self._flush_protocol()
            self.transport.close()
            return
        response = self.protocol.accept(request)
        self.protocol.send_response(response)
        self._flush_protocol()
        if response.status_code != 101:
            self.transport.close()
            return
        # A fresh protocol for the open connection: the handshake's keeps the request and its headers
        # alive in its parser for as long as the connection lives (a few KiB a board). A client sends
        # no frame before it has the 101, so nothing is left in the old one.
        self.protocol = ServerProtocol(state=State.OPEN, max_size=MAX_INCOMING_BYTES, logger=log)
        self._schedule_ping()
        self._opening = self.loop.create_task(
            self._open(
                kind=match["kind"],
                board_id=int(match["board_id"]),
                query=url.query,
                authorization=request.headers.get("Authorization"),
                cookie=request.headers.get("Cookie"),
                origin=one_header(request.headers.get_all("Origin")),
                host=one_header(request.headers.get_all("Host")),
            )
        )
        self.server_state.tasks.add(self._opening)
        self._opening.add_done_callback(self._opened)

    async def _open(self, **request: Any) -> None:
        await open_board(_runtime_of(self.config.loaded_app), self, **request)

    def _opened(self, task: "asyncio.Task[None]") -> None:
        self.server_state.tasks.discard(task)
        self._opening = None
        if not task.cancelled() and task.exception() is not None:
            log.error("board socket failed while opening", exc_info=task.exception())
            self.close(CLOSE_SERVER_ERROR, "server error")

    def _flush_protocol(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                if not self.transport.is_closing():
                    self.transport.write(data)
            else:  # ServerProtocol's signal that the closing handshake is done: end the connection
                self.transport.close()

    # keepalive: a protocol ping every interval; no pong within the timeout closes the connection

    def _schedule_ping(self) -> None:
        interval = self.config.ws_ping_interval
        if interval:
            self._ping_timer = self.loop.call_later(interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        if self.protocol.state is not State.OPEN:
            return
        self._ping_payload = struct.pack("!I", random.getrandbits(32))
        self.protocol.send_ping(self._ping_payload)
        self._flush_protocol()
        if self.config.ws_ping_timeout:
            self._pong_timer = self.loop.call_later(self.config.ws_ping_timeout, self._ping_timed_out)
        else:
            self._schedule_ping()

    def _pong(self, payload: bytes) -> None:
        if payload != self._ping_payload:
            return
        self._ping_payload = None
        if self._pong_timer is not None:
            self._pong_timer.cancel()
            self._pong_timer = None
            self._schedule_ping()

    def _ping_timed_out(self) -> None:
        self._pong_timer = None
        self.protocol.fail(1011, "keepalive ping timeout")
        self._flush_protocol()
        self.transport.close()
