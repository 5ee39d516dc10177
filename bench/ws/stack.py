"""The stack reference: the least an app built on Pantau's stack does for one post, with the floor's fan-out,
measured like the others so that the cost of the stack itself shows apart from Pantau's own work.

One FastAPI endpoint: a pydantic body, one ORM insert in a SQLite write transaction through Pantau's own
engine set-up (`server.db.make_engine`: the same driver, pragmas and BEGIN IMMEDIATE, and the same
background checkpoint every second), then the floor's ~300-byte message broadcast to every board
(`floor.FloorBoards`), the row as JSON. No sign-in, no access checks, no stored events, no replay.
It runs in its own process (`python -m bench.ws stack-server PORT BOARD_PORT DATABASE_URL`, see
`servers.start_stack`)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel

from bench.ws.floor import FloorBoards
from bench.ws.machine import HOST
from server.db import checkpoint, make_engine

CHECKPOINT_SECONDS = 1.0  # as server/runtime.py


class StackPost(SQLModel, table=True):
    __tablename__ = "stack_post"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int
    milestone_id: int
    progress_pct: int
    note: str | None = None


class PostBody(BaseModel):
    milestone_id: int
    progress_pct: int
    note: str | None = None


def stack_server_main(port: int, board_port: int, database_url: str) -> None:
    """`python -m bench.ws stack-server PORT BOARD_PORT DATABASE_URL`."""
    engine = make_engine(database_url)
    boards = FloorBoards()
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    async def checkpoints() -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            await checkpoint(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: StackPost.__table__.create(sync, checkfirst=True))
        task = asyncio.create_task(checkpoints())
        async with boards.serve(board_port):
            yield
        task.cancel()
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/api/v1/projects/{project_id}/updates", status_code=201)
    async def post(project_id: int, body: PostBody) -> dict[str, object]:
        async with sessions() as session:
            row = StackPost(project_id=project_id, **body.model_dump())
            session.add(row)
            await session.commit()
        boards.publish(row.id or 0)
        return row.model_dump()

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            print("stack ready", flush=True)  # listening now; the lifespan runs before the socket is bound

    Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning", access_log=False)).run()
