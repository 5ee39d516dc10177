"""Pantau served by any ASGI server, not only `pantau serve`: `server.app:app` exists, importing it
opens nothing, and plain uvicorn serves the board sockets (through server/realtime/routes.py)."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.realtime.boards import close_code, open_board, receive
from tests.services import app_env, free_port


def test_importing_the_app_reads_no_settings_and_the_app_opens_nothing_before_it_starts(tmp_path: Path):
    database = tmp_path / "never-created.db"
    script = (
        "import sys, server.app as module\n"
        "assert 'app' not in vars(module), 'made at import'\n"
        "from server.app import app\n"
        "assert type(app).__name__ == 'FastAPI'\n"
        "assert module.app is app, 'made once'\n"
        "print('ok')\n"
    )
    env = app_env(f"sqlite:///{database}", "redis://127.0.0.1:1/0", "unused:")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert not database.exists(), "no database is created or opened before the app starts"


class Uvicorn:
    """`python -m uvicorn <target>` in another folder, as an operator runs it; stopped by its PID."""

    def __init__(self, env: dict[str, str], cwd: Path, *target: str) -> None:
        self.env, self.cwd, self.target = env, cwd, target
        self.port = free_port()
        self.output: list[str] = []

    async def __aenter__(self) -> str:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            *self.target,
            "--port",
            str(self.port),
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.output.append(raw.decode(errors="replace").rstrip())
            if "Uvicorn running on" in self.output[-1]:
                self._drain = asyncio.create_task(self._read_rest())
                return f"127.0.0.1:{self.port}"
        raise AssertionError("uvicorn exited:\n" + "\n".join(self.output[-30:]))

    async def _read_rest(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.output.append(raw.decode(errors="replace").rstrip())

    async def __aexit__(self, *_: object) -> None:
        os.kill(self.process.pid, 15)
        await asyncio.wait_for(self.process.wait(), 20)
        await self._drain


@pytest.mark.parametrize(
    "target", [["server.app:app"], ["--factory", "server.app:create_app"]], ids=["app", "factory"]
)
async def test_plain_uvicorn_serves_live_boards(target, settings, world, setup, tmp_path):
    env = app_env(settings.database_url, settings.redis_url, settings.redis_prefix)
    async with Uvicorn(env, tmp_path, *target) as server:
        async with open_board(server, "project", setup.project.id, world.auth(world.member)) as ws:
            snapshot = await receive(ws)
            assert snapshot["type"] == "snapshot" and snapshot["data"]["project"]["id"] == setup.project.id
            async with httpx.AsyncClient(base_url=f"http://{server}") as http:
                posted = await http.post(
                    f"/api/v1/projects/{setup.project.id}/updates",
                    json={"milestone_id": setup.milestone.id, "progress_pct": 60},
                    headers=world.auth(world.member),
                )
            assert posted.status_code == 201, posted.text
            event = await receive(ws)
            assert event["type"] == "progress.posted" and event["seq"] == snapshot["seq"] + 1
        async with open_board(server, "project", setup.project.id) as ws:
            assert await close_code(ws) == 4401
