"""Live boards over WebSocket: snapshot or replay first, then every event of the board in order."""

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
                return [
                    message for _, message in await events_after(session, board, since, position)
                ], position
    position, message = await runtime.hub.shared(
        board, lambda: _snapshot_message(runtime, kind, board_id, board)
    )
    return [message], position


async def _snapshot_message(runtime: Runtime, kind: str, board_id: int, board: str) -> tuple[int, str]:
    """The board's position and its snapshot message. The same for every viewer allowed to see the board
    (access is checked before), so boards opening together share one (`Hub.shared`)."""
    position, data = await board_view(runtime.read_sessionmaker, kind, board_id)
    snapshot = {"seq": position, "type": "snapshot", "scope": board, "at": encode(clock.now()), "data": data}
    return position, json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False)


@router.websocket("/ws/board/{kind}/{board_id}")
async def board_socket(websocket: WebSocket, kind: str, board_id: int, since: int | None = None) -> None:
    runtime: Runtime = websocket.app.state.runtime
    # Accept first: a close before accept reaches the client as a bare HTTP 403 that says nothing.
    await websocket.accept()
    refusal = await _refusal(websocket, runtime, kind, board_id)
    if refusal is not None:
        await websocket.close(*refusal)
        return
    board = f"{kind}:{board_id}"
    async with runtime.hub.subscribe(board) as subscriber:
        try:
            await _serve(websocket, runtime, subscriber, kind, board_id, board, since)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass


async def _refusal(
    websocket: WebSocket, runtime: Runtime, kind: str, board_id: int
) -> tuple[int, str] | None:
    """The close code and reason for a caller who may not open this board, or None.

    A function of its own so that the session and the user are freed once checked rather than held
    for as long as the board stays open (a wall screen stays open for days)."""
    async with runtime.read_sessionmaker() as session:
        user = await user_from_credentials(
            session, runtime, bearer_token=_bearer(websocket), cookie=websocket.cookies.get(SESSION_COOKIE)
        )
        if user is None:
            return CLOSE_UNAUTHENTICATED, "not authenticated"
        try:
            await check_board_access(session, user, kind, board_id)
        except NotFound:
            return CLOSE_NOT_FOUND, "board not found"
    return None


async def _send_opening(
    websocket: WebSocket, runtime: Runtime, kind: str, board_id: int, board: str, since: int | None
) -> int:
    """The snapshot or the replay; returns the last seq sent.

    A function of its own so that the snapshot text (hundreds of kilobytes on a large unit board) is
    freed once sent rather than held for as long as the connection lives."""
    opening, last = await _opening_messages(runtime, kind, board_id, board, since)
    for message in opening:
        await websocket.send_text(message)
    return last


async def _serve(
    websocket: WebSocket,
    runtime: Runtime,
    subscriber: Subscriber,
    kind: str,
    board_id: int,
    board: str,
    since: int | None,
) -> None:
    last = await _send_opening(websocket, runtime, kind, board_id, board, since)
    await subscriber.channel.ready.wait()
    # Events that reached this process while the opening was read and sent wait in the backlog.
    await subscriber.go_live(websocket.send_text, last)

    # From here the hub writes this board's events to the socket; the handler only waits for the
    # client to leave, or for the hub to say it fell too far behind.
    with anyio.CancelScope() as waiting:
        subscriber.on_overflow = waiting.cancel
        if subscriber.overflowed:
            waiting.cancel()
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    subscriber.on_overflow = None

    if subscriber.overflowed:
        log.info("board %s: closing a client that fell %d messages behind", board, subscriber.maxsize)
        with anyio.move_on_after(2):
            await websocket.close(CLOSE_TOO_SLOW, "too slow: reconnect with since")
