"""Request body limits: a route refuses a body over its limit with 413 {"detail": ...} before parsing
it, so no client can make a process hold a huge body. (FastAPI's own max_body_size answers with a
plain-text body, which breaks the API's error shape.)"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from server.errors import PantauError

# JSON bodies of the API are a few hundred bytes; this leaves room for long notes and lists.
API_BODY_LIMIT = 256 * 1024
# Spreadsheets of staff: 20,000 rows fit comfortably.
UPLOAD_BODY_LIMIT = 5 * 1024 * 1024


class BodyTooLarge(PantauError):
    status_code = 413


def body_limited_route(max_bytes: int) -> type[APIRoute]:
    """A route class whose routes read at most `max_bytes` of request body."""

    class BodyLimitedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def limited(request: Request) -> Response:
                body = await _read_at_most(request, max_bytes)
                replayed = False

                async def replay() -> Message:
                    nonlocal replayed
                    if replayed:
                        return await request.receive()  # the client's disconnect, as usual
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}

                return await handler(Request(request.scope, replay))

            return limited

    return BodyLimitedRoute


async def _read_at_most(request: Request, max_bytes: int) -> bytes:
    too_large = BodyTooLarge(f"The request body is over the limit of {max_bytes // 1024} KB")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:  # "²".isdigit() too
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
