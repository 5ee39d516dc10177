"""A board client: one WebSocket connection to a board, and the record of when each event arrived."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time


class Recorder:
    """Arrivals on one loader process: for each seq the first and last arrival and how many clients got it."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.count: dict[int, int] = {}
        self.keys: dict[int, int] = {}
        self.total = 0
        self.size = 0


class BoardClient(asyncio.Protocol):
    """A minimal WebSocket client: the handshake, then unmasked server frames parsed in place. It reads the
    seq from the front of each message (`{"seq":N,...` for both servers) and only the mapper client parses
    the JSON (to learn which post each seq belongs to), so 1,000 clients cost the load core little."""

    def __init__(
        self, request: bytes, recorder: Recorder | None, mapper: bool = False, stall: bool = False
    ) -> None:
        loop = asyncio.get_running_loop()
        self.request = request
        self.recorder = recorder
        self.mapper = mapper
        self.stall = stall
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = False
        self.paused = False
        self.close_sent = False
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int | None] = loop.create_future()
        self.close_code: int | None = None
        self.last: int | None = None
        self.gaps = 0
        self.repeats = 0
        self.received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))
        if not self.closed.done():
            self.closed.set_result(self.close_code)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if self.paused:
            return
        now = time.monotonic()
        if not self.handshaken:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end])
            del buf[: end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                if not self.opened.done():
                    self.opened.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                self.transport.close()  # type: ignore[union-attr]
                return
            self.handshaken = True
        pos, size = 0, len(buf)
        while size - pos >= 2:
            length, head = buf[pos + 1] & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = (buf[pos + 2] << 8) | buf[pos + 3], 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            end = pos + head + length
            if end > size:
                break
            opcode = buf[pos] & 0x0F
            start = pos + head
            pos = end
            if opcode == 1:
                self._text(buf, start, end, now)
                if self.paused:
                    break
            elif opcode == 9:
                self._send(0xA, bytes(buf[start:end]))
            elif opcode == 8:
                self.close_code = int.from_bytes(buf[start : start + 2], "big") if end - start >= 2 else 1005
                if not self.close_sent:
                    self._send(0x8, bytes(buf[start : start + 2]))
                    self.close_sent = True
                self.transport.close()  # type: ignore[union-attr]
                break
        if pos:
            del buf[:pos]

    def _text(self, buf: bytearray, start: int, end: int, now: float) -> None:
        seq = int(buf[start + 7 : buf.index(b",", start + 7, end)])
        self.received += 1
        if self.last is None:  # the snapshot (Pantau) or hello (floor): the board's position
            self.last = seq
            if not self.opened.done():
                self.opened.set_result(None)
            if self.stall:
                self.paused = True
                self.transport.pause_reading()  # type: ignore[union-attr]
            return
        if seq == self.last + 1:
            self.last = seq
        elif seq <= self.last:
            self.repeats += 1
            return
        else:
            self.gaps += seq - self.last - 1
            self.last = seq
        recorder = self.recorder
        if recorder is None:
            return
        recorder.total += 1
        count = recorder.count.get(seq)
        if count is None:
            recorder.count[seq] = 1
            recorder.first[seq] = now
        else:
            recorder.count[seq] = count + 1
        recorder.last[seq] = now
        if self.mapper:
            message = json.loads(bytes(buf[start:end]))
            data = message["data"]
            key = data["update"]["id"] if "update" in data else data["post"]
            recorder.keys[int(key)] = seq
            recorder.size = end - start

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def resume(self) -> None:
        self.paused = False
        self.transport.resume_reading()  # type: ignore[union-attr]
        self.data_received(b"")

    def close(self) -> None:
        if not self.close_sent:
            self._send(0x8, (1000).to_bytes(2, "big"))
            self.close_sent = True


Target = tuple[str, int, str, str]  # host, port, path, bearer token ("" for none)


async def open_board(
    target: Target, recorder: Recorder | None, mapper: bool = False, stall: bool = False
) -> BoardClient:
    loop = asyncio.get_running_loop()
    host, port, path, token = target
    key = base64.b64encode(os.urandom(16)).decode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{auth}\r\n"
    ).encode()

    def factory() -> BoardClient:
        return BoardClient(request, recorder, mapper, stall)

    if stall:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, (host, port))
        _, client = await loop.create_connection(factory, sock=sock)
    else:
        _, client = await loop.create_connection(factory, host, port)
    await asyncio.wait_for(client.opened, 60)
    return client
