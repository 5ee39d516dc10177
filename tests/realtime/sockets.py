"""A stand-in for a client's socket in hub tests."""

import asyncio


class RecordingSocket:
    """Records every message sent to it. `fill()` makes sends wait, as a client's full socket does,
    until `drain()`; `break_()` makes them fail, as a vanished client's do."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._room = asyncio.Event()
        self._room.set()
        self._arrived = asyncio.Event()
        self._broken = False

    async def send(self, message: str) -> None:
        if self._broken:
            raise OSError("client went away")
        await self._room.wait()
        self.messages.append(message)
        self._arrived.set()

    def fill(self) -> None:
        self._room.clear()

    def drain(self) -> None:
        self._room.set()

    def break_(self) -> None:
        self._broken = True

    async def received(self, count: int, timeout: float = 5) -> list[str]:
        """The first `count` messages, once they have arrived."""
        while len(self.messages) < count:
            self._arrived.clear()
            await asyncio.wait_for(self._arrived.wait(), timeout)
        return self.messages[:count]
