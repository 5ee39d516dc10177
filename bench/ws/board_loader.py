"""The board loader process: holds the N board clients, connects and reconnects them, and hands their
arrivals to the orchestrator after each phase."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.ws.board_client import BoardClient, Recorder, Target, open_board
from bench.ws.loader_process import serve_pipe


class ClientWorker:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.clients: list[tuple[Target, BoardClient]] = []
        self.stalled: BoardClient | None = None

    async def connect(self, targets: list[Target], concurrency: int) -> dict[str, Any]:
        started = time.monotonic()
        gate = asyncio.Semaphore(concurrency)
        have_mapper = any(c.mapper and not c.closed.done() for _, c in self.clients)

        async def one(n: int, target: Target) -> tuple[Target, BoardClient]:
            async with gate:
                return target, await open_board(target, self.recorder, mapper=(n == 0 and not have_mapper))

        opened = await asyncio.gather(*(one(n, t) for n, t in enumerate(targets)))
        self.clients.extend(opened)
        return {"connected": len(opened), "seconds": time.monotonic() - started}

    async def ensure(self) -> int:
        """Reconnect clients that the server closed (e.g. 4008 after an overloaded step)."""
        closed = [(n, t) for n, (t, c) in enumerate(self.clients) if c.closed.done()]
        has_mapper = any(c.mapper and not c.closed.done() for _, c in self.clients)
        for n, target in closed:
            self.clients[n] = (target, await open_board(target, self.recorder, mapper=not has_mapper))
            has_mapper = True
        return len(closed)

    def reset(self) -> None:
        self.recorder.reset()
        for _, client in self.clients:
            client.gaps = client.repeats = 0

    async def settle(self, expected: int, limit: float) -> int:
        """Wait until `expected` arrivals were recorded (or `limit` seconds), then a short quiet period
        so that any doubled or extra event would still be counted."""
        deadline = time.monotonic() + limit
        while self.recorder.total < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        return self.recorder.total

    def collect(self) -> dict[str, Any]:
        r = self.recorder
        codes: dict[str, int] = {}
        for _, c in self.clients:
            if c.closed.done():
                codes[str(c.close_code)] = codes.get(str(c.close_code), 0) + 1
        return {
            "first": r.first,
            "last": r.last,
            "count": r.count,
            "keys": r.keys,
            "size": r.size,
            "clients": len(self.clients),
            "open": sum(1 for _, c in self.clients if not c.closed.done()),
            "closed_codes": codes,
            "gaps": sum(c.gaps for _, c in self.clients),
            "repeats": sum(c.repeats for _, c in self.clients),
        }

    async def stall(self, target: Target) -> None:
        self.stalled = await open_board(target, None, stall=True)

    async def unstall(self, wait: float) -> dict[str, Any]:
        client = self.stalled
        assert client is not None
        self.stalled = None
        before = client.received
        closed_while_stalled = client.transport is not None and client.transport.is_closing()
        unread = len(client.buffer)
        client.resume()
        # Until the server closed it, or it has read everything it was sent (nothing new for half a second).
        deadline, seen, quiet_since = time.monotonic() + wait, -1, time.monotonic()
        while not client.closed.done() and time.monotonic() < deadline:
            if client.received != seen:
                seen, quiet_since = client.received, time.monotonic()
            elif time.monotonic() - quiet_since > 0.5:
                break
            await asyncio.sleep(0.05)
        result = {
            "received_while_stalled": before,
            "unread_bytes_in_client_buffer": unread,
            "close_code": client.close_code,
            "closed_while_stalled": closed_while_stalled,
            "received_after_resume": client.received - before,
            "gaps": client.gaps,
            "repeats": client.repeats,
        }
        await self._close([client])
        return result

    async def _close(self, clients: list[BoardClient]) -> None:
        for client in clients:
            client.close()
        pending = [c.closed for c in clients if not c.closed.done()]
        if pending:
            await asyncio.wait(pending, timeout=10)
        for client in clients:
            if not client.closed.done() and client.transport is not None:
                client.transport.abort()

    async def close_all(self) -> int:
        clients = [c for _, c in self.clients]
        self.clients = []
        await self._close(clients)
        return len(clients)


CLIENT_COMMANDS: dict[str, Any] = {
    "__init__": ClientWorker,
    "connect": ClientWorker.connect,
    "ensure": ClientWorker.ensure,
    "reset": ClientWorker.reset,
    "settle": ClientWorker.settle,
    "collect": ClientWorker.collect,
    "stall": ClientWorker.stall,
    "unstall": ClientWorker.unstall,
    "close_all": ClientWorker.close_all,
}


def client_worker(conn: Any) -> None:
    serve_pipe(conn, CLIENT_COMMANDS)
