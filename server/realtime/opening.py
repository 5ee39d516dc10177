"""Opening a live board, the same for both ways of serving it (server/realtime/socket.py under
`pantau serve`, server/realtime/routes.py under any other ASGI server): who may open it, and what a
board connection is sent first - the events after `since` (a replay) or a fresh snapshot - before the
hub writes it every new event.

Close codes: 4401 not signed in, 4403 a page of another site opened it (see `origin_allowed`), 4404 no
such board (or not yours to see), 4008 too slow (reconnect with `since`), 1008 a malformed `since`, 1011 a
server error, 1012 the server is restarting. An open board that its viewer may no longer see (signed out,
deactivated, removed from the project...) is closed with 4401 or 4404 too (server/realtime/access.py)."""

import logging
import re
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from starlette.requests import cookie_parser

from server import clock
from server.accounts.security import token_digest
from server.deps import SESSION_COOKIE, user_from_credentials
from server.errors import NotFound
from server.jsonenc import dumps
from server.projects.boards import board_view, check_board_access
from server.realtime.events import board_position, can_replay_from, envelope, events_after
from server.realtime.hub import ClientSocket, Subscriber, text_frame
from server.runtime import Runtime

log = logging.getLogger(__name__)

BOARD_PATH = re.compile(r"/ws/board/(?P<kind>[a-z]+)/(?P<board_id>[0-9]{1,18})")
SINCE = re.compile(r"[0-9]{1,18}")
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FOREIGN_ORIGIN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4008
CLOSE_BAD_REQUEST = 1008
CLOSE_SERVER_ERROR = 1011
TOO_SLOW_REASON = "too slow: reconnect with since"


class BoardSocket(ClientSocket, Protocol):
    """A board connection as `open_board` drives it; `subscriber` is set once the hub has it."""

    subscriber: Subscriber | None

    def close(self, code: int, reason: str) -> None:
        """Send a close frame with this code (once; later calls do nothing)."""


async def open_board(
    runtime: Runtime,
    socket: BoardSocket,
    *,
    kind: str,
    board_id: int,
    query: str,
    authorization: str | None,
    cookie: str | None,
    origin: str | None,
    host: str | None,
) -> None:
    """Check the caller, send the snapshot or the replay, then hand the socket to the hub.
    The connection is already accepted: a refusal is a close code, not an HTTP status (a foreign
    `Origin` too: 4403, said the same way by both ways of serving, which a page's script can read).
    `origin` and `host` are the request's headers ("" when one was sent more than once)."""
    if not origin_allowed(origin, host=host, public_url=runtime.settings.public_url):
        socket.close(CLOSE_FOREIGN_ORIGIN, "origin not allowed")
        return
    since_values = parse_qs(query).get("since", [])
    since: int | None = None
    if since_values:
        # ASCII digits only: str.isdigit() also accepts "²" and other digits int() cannot read.
        if len(since_values) > 1 or not SINCE.fullmatch(since_values[0]):
            socket.close(CLOSE_BAD_REQUEST, "since must be a board position (a whole number)")
            return
        since = int(since_values[0])
    viewer = BoardViewer(runtime, socket, kind, board_id, authorization=authorization, cookie=cookie)
    # Watched from before the check, so that a change of access committed while it runs is not missed.
    runtime.hub.access.checking_started(viewer)
    try:
        async with runtime.hub.opening_turns:
            refused = await viewer.refusal()
    except BaseException:
        runtime.hub.access.forget(viewer)
        raise
    if refused is not None:
        runtime.hub.access.forget(viewer)
        socket.close(*refused)
        return
    board = f"{kind}:{board_id}"
    subscriber = socket.subscriber = runtime.hub.subscribe(board, socket, viewer)
    last = await _send_opening(runtime, socket, kind, board_id, board, since)
    await subscriber.channel.ready.wait()
    await subscriber.go_live(last)


async def _send_opening(
    runtime: Runtime, socket: BoardSocket, kind: str, board_id: int, board: str, since: int | None
) -> int:
    """A function of its own so that the snapshot text (hundreds of kilobytes on a large unit
    board) is freed once sent rather than held for as long as the connection lives."""
    messages, last = await opening_messages(runtime, kind, board_id, board, since)
    for message in messages:
        await socket.send(text_frame(message))
    return last


class BoardViewer:
    """Who opened a board socket, with what they showed at the handshake, so that the same check can run
    again whenever their access changes (server/realtime/access.py). Keeps the credentials (a token, a
    session cookie's value), not the request's headers: the session and the user are read afresh for
    each check and freed after it, rather than held for as long as the board stays open (a wall screen
    stays open for days)."""

    __slots__ = ("runtime", "socket", "kind", "board_id", "bearer", "session_token", "user_id")

    def __init__(
        self,
        runtime: Runtime,
        socket: BoardSocket,
        kind: str,
        board_id: int,
        *,
        authorization: str | None,
        cookie: str | None,
    ) -> None:
        self.runtime = runtime
        self.socket = socket
        self.kind = kind
        self.board_id = board_id
        scheme, _, token = (authorization or "").partition(" ")
        # A bearer token first, else the page session's cookie, as for the API (user_from_credentials).
        self.bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
        self.session_token = None if self.bearer else cookie_parser(cookie or "").get(SESSION_COOKIE)
        self.user_id: int | None = None

    @property
    def session_hash(self) -> str | None:
        return token_digest(self.session_token) if self.session_token else None

    async def refusal(self) -> tuple[int, str] | None:
        """The close code and reason if the viewer may not (or may no longer) see this board, or None."""
        async with self.runtime.read_sessionmaker() as session:
            user = await user_from_credentials(
                session, self.runtime, bearer_token=self.bearer, cookie=self.session_token
            )
            if user is None:
                return CLOSE_UNAUTHENTICATED, "not authenticated"
            self.user_id = user.id
            try:
                await check_board_access(session, user, self.kind, self.board_id)
            except NotFound:
                return CLOSE_NOT_FOUND, "board not found"
        return None

    async def recheck(self) -> None:
        """The handshake's check again; a socket that fails it now is closed. One that cannot be checked
        (the database is away) is closed too, with 1011: the client reconnects and is checked then."""
        try:
            async with self.runtime.hub.opening_turns:
                refused = await self.refusal()
        except Exception:
            log.warning("could not check an open board's access again: closing it", exc_info=True)
            refused = CLOSE_SERVER_ERROR, "server error: reconnect"
        if refused is not None:
            self.socket.close(*refused)


def one_header(values: list[str]) -> str | None:
    """A header's value; None when it was not sent, "" (which no check accepts) when sent twice."""
    return None if not values else values[0] if len(values) == 1 else ""


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _site(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL or origin, with the scheme's default port filled in."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def origin_allowed(origin: str | None, *, host: str | None, public_url: str | None) -> bool:
    """Whether a board may be opened from the page that names itself in `Origin`.

    A browser sends the cookie of this site with a socket that any other site's page opens, and tells
    the server which page that is in `Origin`: only this site's own pages may open a board with it. The
    site is PANTAU_PUBLIC_URL when set, else the Host the request came to (with the page's scheme, the
    Host's port or, without one, the scheme's default). No Origin at all is a client that is not a
    browser (a script with a token, a wall screen's kiosk program): nothing is borrowed then, so it is
    allowed. "null" (a sandboxed page, a file) and anything unreadable are refused."""
    if origin is None:
        return True
    seen = _site(origin)
    if seen is None:
        return False
    if public_url:
        return seen == _site(public_url)
    return bool(host) and seen == _site(f"{seen[0]}://{(host or '').strip()}")


async def opening_messages(
    runtime: Runtime, kind: str, board_id: int, board: str, since: int | None
) -> tuple[list[str], int]:
    """Either the events after `since` (when the log still has them all) or a fresh snapshot.

    Only the database work takes one of the hub's opening turns: a board waiting for a snapshot that
    another board is already building holds none, so every board opening in the meantime shares
    that one build rather than the few that had a turn."""
    if since is not None:
        async with runtime.hub.opening_turns, runtime.read_sessionmaker() as session:
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
    async with runtime.hub.opening_turns:
        position, data = await board_view(runtime.read_sessionmaker, kind, board_id)
    return position, envelope(
        seq=position, type="snapshot", scope=board, at=clock.now(), data_json=dumps(data)
    )
