"""The shipped topology: a real `pantau serve` behind nginx (deploy/nginx.conf.template), with
PANTAU_TRUSTED_PROXIES naming nginx only. A script that rotates X-Forwarded-For is still one client."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.services import (
    NGINX,
    REDIS_URL,
    AppProcess,
    NginxProcess,
    app_env,
    backend,
    free_port,
    postgres_database,
    redis_prefix,
    sqlite_database,
)

pytestmark = pytest.mark.multiprocess
ANSWERS_PER_10_MINUTES = 60


@pytest.fixture
async def topology(tmp_path: Path) -> AsyncIterator[tuple[NginxProcess, AppProcess]]:
    if not Path(NGINX).exists():
        pytest.fail(f"nginx is not installed at {NGINX}: this test needs it (apt-get install -y nginx)")
    database = postgres_database() if backend() == "postgres" else sqlite_database(tmp_path)
    with database as url:
        env = app_env(
            url,
            REDIS_URL if backend() == "postgres" else None,
            redis_prefix(),
            PANTAU_BOOTSTRAP_ADMIN="admin:admin-password",
            # nginx runs on this machine, so its address is 127.0.0.1; clients come from 127.0.0.2 and up.
            PANTAU_TRUSTED_PROXIES="127.0.0.1",
            # What docker-compose.yml used to set: uvicorn must no longer listen to it.
            FORWARDED_ALLOW_IPS="*",
        )
        app = AppProcess(env, free_port())
        nginx = NginxProcess(tmp_path / "nginx", free_port(), [app.address])
        try:
            await app.start()
            await nginx.start()
            yield nginx, app
        finally:
            await nginx.stop()
            await app.stop()


@asynccontextmanager
async def client(server: str, source: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connections come from `source` (any 127.x address reaches this machine)."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{server}", timeout=20) as http:
        yield http


async def answer(http: httpx.AsyncClient, unit_id: int, forged: str, employee_id: int | None = None) -> int:
    headers = {"X-Forwarded-For": forged}
    token = await http.get("/api/v1/feedback/token", params={"unit_id": unit_id}, headers=headers)
    if token.status_code != 200:
        return token.status_code
    body = {
        "unit_id": unit_id,
        "answers": [4] * 9,
        "token": token.json()["token"],
        "employee_id": employee_id,
    }
    return (await http.post("/api/v1/feedback", json=body, headers=headers)).status_code


async def test_rotating_x_forwarded_for_behind_nginx_is_still_one_client(topology):
    nginx, app = topology
    async with client(nginx.address, "127.0.0.2") as script:
        login = {"username": "admin", "password": "admin-password"}
        token = (await script.post("/api/v1/auth/token", data=login)).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        unit = (await script.post("/api/v1/units", json={"name": "Dinas Uji"}, headers=admin)).json()
        codes = [
            await answer(script, unit["id"], f"203.0.113.{i}") for i in range(ANSWERS_PER_10_MINUTES + 1)
        ]
        assert codes == [201] * ANSWERS_PER_10_MINUTES + [429]

        async with client(nginx.address, "127.0.0.3") as neighbour:
            assert (
                await answer(neighbour, unit["id"], "203.0.113.1") == 201
            )  # a different client, not limited
        async with client(app.address, "127.0.0.2") as direct:
            # Straight to the app, not through a trusted proxy: the header is not read at all.
            assert await answer(direct, unit["id"], "203.0.113.200") == 429
        async with client(app.address, "127.0.0.4") as direct:
            assert await answer(direct, unit["id"], "127.0.0.2") == 201

        listed = await script.get("/api/v1/feedback/answers", params={"status": "all"}, headers=admin)
        assert listed.status_code == 200 and len(listed.json()) == ANSWERS_PER_10_MINUTES + 2
