"""The two ways a board socket is served, for running the board protocol tests against both:
`pantau serve`'s own protocol (server/realtime/socket.py, installed as uvicorn's `ws`) and the ASGI
route (server/realtime/routes.py) that plain uvicorn, gunicorn's uvicorn workers or any other ASGI
server reach, here uvicorn with its default WebSocket implementation and options."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from server.cli import UVICORN_WEBSOCKET_OPTIONS
from tests.services import free_port

WAYS = {
    "pantau-serve": UVICORN_WEBSOCKET_OPTIONS,
    "plain-uvicorn": {},  # what `uvicorn server.app:app` does
}


@asynccontextmanager
async def served(app: FastAPI, **options: Any) -> AsyncIterator[str]:
    """`app` (and its running runtime) on a real uvicorn on a free port; yields host:port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", **options)
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
