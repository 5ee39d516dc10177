"""A real `websockets` client for board tests."""

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TIMEOUT = 10


def board_url(server: str, kind: str, board_id: int, since: int | None = None) -> str:
    query = f"?since={since}" if since is not None else ""
    return f"ws://{server}/ws/board/{kind}/{board_id}{query}"


def open_board(
    server: str, kind: str, board_id: int, headers: dict[str, str] | None = None, since: int | None = None
):
    return connect(
        board_url(server, kind, board_id, since), additional_headers=headers or {}, open_timeout=TIMEOUT
    )


async def receive(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def receive_until(ws: ClientConnection, seq: int) -> list[dict[str, Any]]:
    """Every message up to and including board position `seq`."""
    messages = []
    while not messages or messages[-1]["seq"] < seq:
        messages.append(await receive(ws))
    return messages


async def close_code(ws: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
