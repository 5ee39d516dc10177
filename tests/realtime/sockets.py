"""A stand-in for a client's socket in hub tests (what server/realtime/socket.py's BoardConnection
offers the hub)."""

import asyncio


def frame_text(frame: bytes) -> str:
    """The text of an unmasked WebSocket frame, as the server writes them."""
    length = frame[1] & 0x7F
    start = 2 if length < 126 else 4 if length == 126 else 10
    return frame[start:].decode()


class RecordingSocket:
    """Records the text of every frame written to it. `fill()` makes it report a full send buffer,
    as a slow client's socket does, until `drain()`."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.full = False
        self.closed_too_slow = False
        self.subscriber = None  # set by the test, so that `drain()` can tell it, as the real socket does
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()

    def write(self, frame: bytes) -> None:
        self.messages.append(frame_text(frame))
        self._arrived.set()

    async def send(self, frame: bytes) -> None:
        self.write(frame)
        while self.full:
            self._room.clear()
            await self._room.wait()

    def close_too_slow(self) -> None:
        self.closed_too_slow = True

    def fill(self) -> None:
        self.full = True

    def drain(self) -> None:
        self.full = False
        self._room.set()
        if self.subscriber is not None:
            self.subscriber.socket_has_room()

    async def received(self, count: int, timeout: float = 5) -> list[str]:
        """The first `count` messages, once they have arrived."""
        while len(self.messages) < count:
            self._arrived.clear()
            await asyncio.wait_for(self._arrived.wait(), timeout)
        return self.messages[:count]


class RecordingViewer:
    """A board socket's viewer for access-watch tests (server/realtime/access.py's Viewer): counts its
    checks; `allowed = False` makes the next one fail and close it."""

    def __init__(self, user_id: int, session_hash: str | None = None) -> None:
        self.user_id = user_id
        self.session_hash = session_hash
        self.allowed = True
        self.checks = 0
        self.closed = False

    async def recheck(self) -> None:
        self.checks += 1
        if not self.allowed:
            self.closed = True
