"""Every board protocol test in this folder runs against both ways of serving board sockets
(tests/realtime/serving.py): `live_server` is parametrised over them."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tests.realtime.pausing import PausingProxy
from tests.realtime.serving import WAYS, served
from tests.services import RedisProcess, free_port


@pytest.fixture(scope="session")
async def pantau_serve_server(app: FastAPI) -> AsyncIterator[str]:
    async with served(app, **WAYS["pantau-serve"]) as address:
        yield address


@pytest.fixture(scope="session")
async def plain_uvicorn_server(app: FastAPI) -> AsyncIterator[str]:
    async with served(app, **WAYS["plain-uvicorn"]) as address:
        yield address


@pytest.fixture(params=list(WAYS))
def live_server(request: pytest.FixtureRequest) -> str:
    """The app served by a real uvicorn: once as `pantau serve` serves it, once as plain uvicorn does."""
    return str(request.getfixturevalue(f"{request.param.replace('-', '_')}_server"))


@pytest.fixture
async def paused_redis() -> AsyncIterator[PausingProxy]:
    """A private redis-server behind a proxy that the test pauses and resumes."""
    redis_server = await RedisProcess(free_port()).start()
    proxy = await PausingProxy(free_port(), ("127.0.0.1", redis_server.port)).start()
    try:
        yield proxy
    finally:
        await proxy.stop()
        await redis_server.stop()
