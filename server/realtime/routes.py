"""Live boards over WebSocket: snapshot or replay first, then every event of the board in order."""

import asyncio
import json
import logging

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from server import clock
from server.deps import SESSION_COOKIE, user_from_credentials
from server.errors import NotFound
from server.jsonenc import encode
from server.projects.boards import board_view, check_board_access
from server.realtime.events import board_position, can_replay_from, events_after
from server.realtime.hub import Subscriber
from server.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter(tags=["realtime"])

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4008


def _bearer(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _opening_messages(
    runtime: Runtime, kind: str, board_id: int, board: str, since: int | None
) -> tuple[list[str], int]:
    """Either the events after `since` (when the log still has them all) or a fresh snapshot."""
    if since is not None:
        async with runtime.read_sessionmaker() as session:
            position = await board_position(session, board)
            if await can_replay_from(session, board, since, position):
                return [message for _, message in await events_after(session, board, since, position)], position
    position, data = await board_view(runtime.read_sessionmaker, kind, board_id)
    snapshot = {"seq": position, "type": "snapshot", "scope": board, "at": encode(clock.now()), "data": data}
    return [json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False)], position


@router.websocket("/ws/board/{kind}/{board_id}")
async def board_socket(websocket: WebSocket, kind: str, board_id: int, since: int | None = None) -> None:
    runtime: Runtime = websocket.app.state.runtime
    # Accept first: a close before accept reaches the client as a bare HTTP 403 that says nothing.
    await websocket.accept()
    async with runtime.read_sessionmaker() as session:
        user = await user_from_credentials(
            session, runtime, bearer_token=_bearer(websocket), cookie=websocket.cookies.get(SESSION_COOKIE)
        )
        if user is None:
            await websocket.close(CLOSE_UNAUTHENTICATED, "not authenticated")
            return
        try:
            await check_board_access(session, user, kind, board_id)
        except NotFound:
            await websocket.close(CLOSE_NOT_FOUND, "board not found")
            return
    board = f"{kind}:{board_id}"
    async with runtime.hub.subscribe(board) as subscriber:
        try:
            await _serve(websocket, runtime, subscriber, kind, board_id, board, since)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass


async def _serve(
    websocket: WebSocket, runtime: Runtime, subscriber: Subscriber, kind: str, board_id: int, board: str, since: int | None
) -> None:
    opening, last = await _opening_messages(runtime, kind, board_id, board, since)
    for message in opening:
        await websocket.send_text(message)
    await subscriber.channel.ready.wait()

    async def send_from(after: int, upto: int | None) -> int:
        for seq, message in await runtime.hub.load_events(board, after, upto):
            await websocket.send_text(message)
            after = seq
        return after

    # Events that reached this process while the snapshot was being read are already in the queue or the log.
    channel_position = subscriber.channel.position or 0
    if channel_position > last:
        last = await send_from(last, channel_position)

    async def pump() -> None:
        nonlocal last
        while True:
            seq, message = await subscriber.queue.get()
            if seq <= last:
                continue
            if seq > last + 1:
                last = await send_from(last, seq - 1)
            await websocket.send_text(message)
            last = seq

    async def drain_incoming() -> None:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                return

    too_slow = False

    async def watch_overflow() -> None:
        nonlocal too_slow
        await subscriber.overflowed.wait()
        too_slow = True

    async with anyio.create_task_group() as group:

        async def until_first_ends(job: "asyncio.Future[None] | object") -> None:
            try:
                await job()  # type: ignore[operator]
            finally:
                group.cancel_scope.cancel()

        for job in (pump, drain_incoming, watch_overflow):
            group.start_soon(until_first_ends, job)

    if too_slow:
        log.info("board %s: closing a client that fell %d messages behind", board, runtime.settings.board_queue_size)
        with anyio.move_on_after(2):
            await websocket.close(CLOSE_TOO_SLOW, "too slow: reconnect with since")
