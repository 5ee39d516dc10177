"""Test set-up: one migrated database and one app per run, the tables emptied after every test.

PANTAU_TEST_BACKEND=sqlite (default): a SQLite file and the in-process broker.
PANTAU_TEST_BACKEND=postgres: a fresh PostgreSQL database and Redis with a run-unique prefix."""

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts import security
from server.accounts.models import Role, Unit, User
from server.app import create_app
from server.cli import UVICORN_WEBSOCKET_OPTIONS
from server.config import Settings, get_settings
from server.db import metadata
from server.migrate import upgrade
from server.models import __all__ as _all_tables  # noqa: F401  (every table on the metadata)
from server.projects.reads import MilestoneRead, ProjectRead
from server.runtime import Runtime
from tests import factories
from tests.services import REDIS_URL, backend, free_port, postgres_database, redis_prefix, sqlite_database

# Real argon2, with the cheapest parameters: the tests create many users and do not test hash strength.
security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend() == "postgres":
        with postgres_database() as url:
            yield url
    else:
        with sqlite_database(tmp_path_factory.mktemp("db")) as url:
            yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    upgrade(database_url)
    redis_url = REDIS_URL if backend() == "postgres" else None
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix(),
        board_gap_wait_seconds=0.05,
        # The daily jobs run only when a test runs them (tests/notifications), with the clock it chose.
        scheduler=False,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def runtime(app: FastAPI) -> Runtime:
    return app.state.runtime


@pytest.fixture(autouse=True)
def media_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test's evidence files in a folder of its own (made on the first save). The media folder is
    read from get_settings() (server/evidence/storage.py), so the cached settings are rebuilt around it."""
    folder = tmp_path_factory.getbasetemp() / "media" / str(next(_media_dirs))
    monkeypatch.setenv("PANTAU_MEDIA_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


_media_dirs = itertools.count()


@pytest.fixture(autouse=True)
async def clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    clock.freeze(None)
    if "runtime" not in request.fixturenames:
        return
    runtime: Runtime = request.getfixturevalue("runtime")
    await runtime.limiter.reset()
    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name != "app_setting"]
    async with runtime.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """A session for arranging data; committed (and its events published) at the end of the block."""
    async with runtime.transaction() as db:
        yield db


@dataclass
class World:
    """A small regency: a dinas with one bidang, a sibling dinas, and people in each relationship."""

    dinas: Unit
    bidang: Unit
    sibling: Unit
    admin: User
    leader: User
    sibling_leader: User
    lead: User
    member: User
    outsider: User
    secret: str

    def auth(self, user: User) -> dict[str, str]:
        return factories.auth(user, self.secret)


@pytest.fixture
async def world(runtime: Runtime) -> World:
    async with runtime.transaction() as db:
        dinas = await factories.make_unit(db, name="Dinas Kependudukan dan Pencatatan Sipil", population=1000)
        bidang = await factories.make_unit(db, name="Bidang Pelayanan", parent_id=dinas.id)
        sibling = await factories.make_unit(db, name="Dinas Kesehatan")
        admin = await factories.make_user(db, unit=dinas, role=Role.admin)
        leader = await factories.make_user(db, unit=dinas, role=Role.leader, name="Kepala Dinas")
        sibling_leader = await factories.make_user(db, unit=sibling, role=Role.leader)
        lead = await factories.make_user(db, unit=bidang, supervisor_id=leader.id, name="Ketua Tim")
        member = await factories.make_user(db, unit=bidang, supervisor_id=lead.id, name="Anggota Tim")
        outsider = await factories.make_user(db, unit=bidang)
    return World(
        dinas, bidang, sibling, admin, leader, sibling_leader, lead, member, outsider, runtime.secret_key
    )


@dataclass
class Setup:
    project: ProjectRead
    milestone: MilestoneRead
    other_milestone: MilestoneRead


@pytest.fixture
async def setup(world, runtime) -> Setup:
    """A bidang project led by `lead`, with `member` as member and assignee of two milestones."""
    async with runtime.transaction() as db:
        project = await factories.make_project(db, by=world.admin, unit=world.bidang, lead=world.lead)
        await factories.add_member(db, project=project, user=world.member, by=world.lead)
        first = await factories.make_milestone(
            db, project=project, lead=world.lead, weight=3, assignee_ids=[world.member.id]
        )
        second = await factories.make_milestone(
            db, project=project, lead=world.lead, weight=1, assignee_ids=[world.member.id]
        )
    return Setup(project, first, second)


@pytest.fixture(scope="session")
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """The same app (and runtime) served by a real uvicorn, for real WebSocket clients."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", **UVICORN_WEBSOCKET_OPTIONS
    )
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def tmp_output(request: pytest.FixtureRequest) -> Path:
    folder = Path("test-output") / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
