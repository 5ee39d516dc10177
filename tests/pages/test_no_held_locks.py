"""No request holds the database on someone else's behalf: a browser sending its form slowly holds no lock
while it does (the body is read before the request's first statement), and a write that cannot get a lock
in time is told to try again (503: JSON for the API, the error page for a page), never a plain-text 500."""

import asyncio
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from server import clock
from server.accounts.models import Unit
from server.app import create_app
from server.performance.models import Rating
from tests.services import free_port
from tests.web import csrf_of, log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
ASGIApp = Callable[..., Awaitable[None]]


@pytest.fixture
def frozen():
    clock.freeze(NOW)


def asking_for_body(app: FastAPI, path: str, asked: asyncio.Event) -> ASGIApp:
    """The app, noting (in `asked`) when a request to `path` first asks the server for its body."""

    async def watched_app(scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != path:
            return await app(scope, receive, send)

        async def watched_receive():
            asked.set()
            return await receive()

        return await app(scope, watched_receive, send)

    return watched_app


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[int]:
    """`app` behind a real uvicorn (the runtime is the session app's, already started); yields the port."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@pytest.mark.timing
async def test_a_slow_form_body_does_not_delay_another_users_post(frozen, app, client, world, runtime, setup):
    path = f"/people/{world.member.id}/behaviour"
    await log_in(client, world.lead)  # the member's rater
    token = csrf_of((await client.get(f"/people/{world.member.id}/evaluation?period=2026-11")).text)
    body = urlencode({"csrf_token": token, "rating": "meets", "note": "Sigap melayani. " * 200}).encode()
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    asked = asyncio.Event()
    async with serving(asking_for_body(app, path, asked)) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"POST {path}?period=2026-11 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookies}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        await writer.drain()
        await asyncio.wait_for(asked.wait(), 5)  # the slow request is in the app, its body half sent
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as other:
            started = time.perf_counter()
            posted = await asyncio.wait_for(
                other.post(
                    f"/api/v1/projects/{setup.project.id}/updates",
                    json={"milestone_id": setup.milestone.id, "progress_pct": 40, "note": "Draf selesai"},
                    headers=world.auth(world.member),
                ),
                5,
            )
            took = time.perf_counter() - started
        assert posted.status_code == 201 and took < 1, f"the other post took {took:.2f} s"
        writer.write(body[len(body) // 2 :])  # the rest of the slow body: that request completes too
        await writer.drain()
        answer = (await asyncio.wait_for(reader.read(), 5)).decode()
        writer.close()
    assert answer.startswith("HTTP/1.1 303"), answer[:300]
    async with runtime.read_sessionmaker() as session:
        rating = await session.scalar(select(Rating).where(Rating.user_id == world.member.id))
    assert rating is not None and rating.perilaku == "meets"


# --- a lock wait past its limit ------------------------------------------------------------------------


@pytest.fixture
async def impatient_app(settings) -> AsyncIterator[FastAPI]:
    """The app on the same database, waiting only 0.3 s for a lock another transaction holds."""
    application = create_app(settings.model_copy(update={"database_lock_wait_seconds": 0.3}))
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def units_locked(runtime) -> AsyncIterator[None]:
    """Another program holds the lock that adding a unit needs: on SQLite the write lock itself, on
    PostgreSQL the unit table against writers (readers still read it)."""
    if runtime.engine.dialect.name == "sqlite":
        with closing(sqlite3.connect(make_url(runtime.settings.database_url).database)) as other:
            other.isolation_level = None
            other.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                other.execute("ROLLBACK")
    else:
        async with runtime.engine.connect() as other:
            await other.execute(text("LOCK TABLE unit IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                await other.rollback()


async def _units(runtime) -> int:
    async with runtime.read_sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Unit))


@pytest.mark.timing
async def test_a_lock_wait_past_its_limit_is_a_json_503_for_the_api(impatient_app, world, runtime):
    before = await _units(runtime)
    transport = httpx.ASGITransport(app=impatient_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        async with units_locked(runtime):
            started = time.perf_counter()
            response = await http.post(
                "/api/v1/units", json={"name": "Bidang Baru"}, headers=world.auth(world.admin)
            )
            took = time.perf_counter() - started
        assert response.status_code == 503 and response.headers["content-type"] == "application/json"
        assert response.json() == {"detail": "The database is busy with other changes; try again shortly"}
        assert 0.3 <= took < 5  # it waited its 0.3 s, then gave up
        retried = await http.post(
            "/api/v1/units", json={"name": "Bidang Baru"}, headers=world.auth(world.admin)
        )
        assert retried.status_code == 201  # once the lock is free the same request goes through
    assert await _units(runtime) == before + 1


async def test_a_lock_wait_past_its_limit_is_the_error_page_for_a_page(impatient_app, world, runtime):
    before = await _units(runtime)
    transport = httpx.ASGITransport(app=impatient_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        await log_in(http, world.admin)
        token = csrf_of((await http.get("/admin/units")).text)
        async with units_locked(runtime):
            response = await http.post("/admin/units", data={"csrf_token": token, "name": "Bidang Baru"})
    assert response.status_code == 503 and response.headers["content-type"].startswith("text/html")
    assert re.search(r"<html", response.text) and "Internal Server Error" not in response.text
    assert await _units(runtime) == before
