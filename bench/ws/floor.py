"""The floor: a minimal `websockets` server that sets the bar Pantau is measured against.

It runs in its own process (`python -m bench.ws floor-server`, see `servers.start_floor`); for each line
`post <key>` on a plain TCP control socket it broadcasts one message to every connected board."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from websockets.asyncio.server import broadcast, serve

from bench.ws.machine import HOST, use_uvloop


def floor_message(seq: int, key: int, type_: str = "progress.posted") -> str:
    """About 300 bytes, shaped like a Pantau event."""
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000Z"
    data = {"post": key, "project_id": 7, "milestone_id": 12, "progress_pct": key % 101, "note": "n" * 150}
    return json.dumps(
        {"seq": seq, "type": type_, "scope": "unit:1", "at": at, "data": data}, separators=(",", ":")
    )


class FloorBoards:
    """The floor's boards: each gets a hello with the current position, then every message broadcast
    (`websockets.broadcast`, compression off). The stack reference fans out the same way."""

    def __init__(self) -> None:
        self.clients: set[Any] = set()
        self.position = 0

    async def board(self, ws: Any) -> None:
        # Synchronous hello-then-join, so no broadcast can slip in between (the client's first message
        # is its position, like Pantau's snapshot).
        broadcast([ws], floor_message(self.position, 0, "snapshot"))
        self.clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            self.clients.discard(ws)

    def publish(self, key: int) -> None:
        self.position += 1
        broadcast(self.clients, floor_message(self.position, key))

    def serve(self, port: int) -> Any:
        return serve(self.board, HOST, port, compression=None, ping_interval=20, ping_timeout=20)


def floor_server_main(board_port: int, control_port: int) -> None:
    """`python -m bench.ws floor-server BOARD_PORT CONTROL_PORT`."""
    use_uvloop()
    boards = FloorBoards()

    async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            key = int(line.split()[1])
            boards.publish(key)
            writer.write(b"201 %d\n" % key)

    async def run() -> None:
        async with boards.serve(board_port):
            server = await asyncio.start_server(control, HOST, control_port)
            async with server:
                print("floor ready", flush=True)
                await asyncio.Event().wait()

    asyncio.run(run())
