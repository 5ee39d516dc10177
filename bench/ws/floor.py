"""The floor: a minimal `websockets` server that sets the bar Pantau is measured against.

It runs in its own process (`python -m bench.ws floor-server`, see `servers.start_floor`); for each line
`post <key>` on a plain TCP control socket it broadcasts one message to every connected board."""

from __future__ import annotations

import asyncio
import json
import time

from bench.ws.machine import HOST, use_uvloop


def floor_message(seq: int, key: int, type_: str = "progress.posted") -> str:
    """About 300 bytes, shaped like a Pantau event."""
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000Z"
    data = {"post": key, "project_id": 7, "milestone_id": 12, "progress_pct": key % 101, "note": "n" * 150}
    return json.dumps(
        {"seq": seq, "type": type_, "scope": "unit:1", "at": at, "data": data}, separators=(",", ":")
    )


def floor_server_main(board_port: int, control_port: int) -> None:
    """`python -m bench.ws floor-server BOARD_PORT CONTROL_PORT`."""
    use_uvloop()
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    clients: set[ServerConnection] = set()
    position = 0

    async def board(ws: ServerConnection) -> None:
        # Synchronous hello-then-join, so no broadcast can slip in between (the client's first message
        # is its position, like Pantau's snapshot).
        broadcast([ws], floor_message(position, 0, "snapshot"))
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal position
        while line := await reader.readline():
            key = int(line.split()[1])
            position += 1
            broadcast(clients, floor_message(position, key))
            writer.write(b"201 %d\n" % key)

    async def run() -> None:
        async with serve(board, HOST, board_port, compression=None, ping_interval=20, ping_timeout=20):
            server = await asyncio.start_server(control, HOST, control_port)
            async with server:
                print("floor ready", flush=True)
                await asyncio.Event().wait()

    asyncio.run(run())
