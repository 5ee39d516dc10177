"""Who may open a live board, and what a board connection is sent first: the events after `since`
(a replay) or a fresh snapshot."""

import json

from starlette.requests import cookie_parser

from server import clock
from server.deps import SESSION_COOKIE, user_from_credentials
from server.errors import NotFound
from server.jsonenc import encode
from server.projects.boards import board_view, check_board_access
from server.realtime.events import board_position, can_replay_from, events_after
from server.runtime import Runtime

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


async def refusal(
    runtime: Runtime, kind: str, board_id: int, authorization: str | None, cookie: str | None
) -> tuple[int, str] | None:
    """The close code and reason for a caller who may not open this board, or None.

    Takes the request's Authorization and Cookie headers: the session and the user are freed once
    checked rather than held for as long as the board stays open (a wall screen stays open for days)."""
    scheme, _, token = (authorization or "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    async with runtime.read_sessionmaker() as session:
        user = await user_from_credentials(
            session, runtime, bearer_token=bearer, cookie=cookie_parser(cookie or "").get(SESSION_COOKIE)
        )
        if user is None:
            return CLOSE_UNAUTHENTICATED, "not authenticated"
        try:
            await check_board_access(session, user, kind, board_id)
        except NotFound:
            return CLOSE_NOT_FOUND, "board not found"
    return None


async def opening_messages(
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
        board, lambda: snapshot_message(runtime, kind, board_id, board)
    )
    return [message], position


async def snapshot_message(runtime: Runtime, kind: str, board_id: int, board: str) -> tuple[int, str]:
    """The board's position and its snapshot message. The same for every viewer allowed to see the board
    (access is checked before), so boards opening together share one (`Hub.shared`)."""
    position, data = await board_view(runtime.read_sessionmaker, kind, board_id)
    snapshot = {"seq": position, "type": "snapshot", "scope": board, "at": encode(clock.now()), "data": data}
    return position, json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False)
