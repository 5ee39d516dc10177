"""The deployed topology: nginx (configured from deploy/nginx.conf.template) in front of two app processes
on PostgreSQL + Redis. Posts and boards both go through nginx; a board that drops and comes back with
`since` gets exactly what it missed, wherever nginx sends it."""

import asyncio
from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.realtime.boards import open_board, receive
from tests.services import (
    NGINX,
    REDIS_URL,
    AppProcess,
    NginxProcess,
    app_env,
    free_port,
    postgres_database,
    redis_prefix,
)

pytestmark = pytest.mark.multiprocess


@pytest.fixture
async def behind_nginx(tmp_path: Path):
    if not Path(NGINX).exists():
        pytest.fail(f"nginx is not installed at {NGINX}: this test needs it (apt-get install -y nginx)")
    with postgres_database() as url:
        env = app_env(url, REDIS_URL, redis_prefix(), PANTAU_BOOTSTRAP_ADMIN="admin:admin-password")
        apps = [AppProcess(env, free_port()), AppProcess(env, free_port())]
        nginx = NginxProcess(tmp_path / "nginx", free_port(), [app.address for app in apps])
        try:
            await asyncio.gather(*(app.start() for app in apps))
            await nginx.start()
            yield nginx, apps
        finally:
            await nginx.stop()
            await asyncio.gather(*(app.stop() for app in apps))


async def _token(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


async def test_board_through_nginx_resumes_with_since_and_gets_exactly_what_it_missed(behind_nginx):
    nginx, apps = behind_nginx
    async with httpx.AsyncClient(base_url=f"http://{nginx.address}", timeout=20) as http:
        admin = await _token(http, "admin", "admin-password")
        unit = await _created(await http.post("/api/v1/units", json={"name": "Dinas PUPR"}, headers=admin))
        people = {}
        for username, role, nip in (
            ("kadis", "leader", "197001012000031001"),
            ("asn", "staff", "199203042018012002"),
        ):
            body = {
                "username": username,
                "password": "kata-sandi-1",
                "name": username,
                "nip": nip,
                "role": role,
                "unit_id": unit["id"],
            }
            people[username] = await _created(await http.post("/api/v1/users", json=body, headers=admin))
        project = await _created(
            await http.post(
                "/api/v1/projects",
                json={
                    "name": "Jalan Desa",
                    "unit_id": unit["id"],
                    "lead_id": people["asn"]["id"],
                    "start_date": date.today().isoformat(),
                    "due_date": "2030-06-30",
                },
                headers=admin,
            )
        )
        staff = await _token(http, "asn", "kata-sandi-1")
        leader = await _token(http, "kadis", "kata-sandi-1")
        milestone = await _created(
            await http.post(
                f"/api/v1/projects/{project['id']}/milestones",
                json={"title": "Survei", "due_date": "2030-01-31", "assignee_ids": [people["asn"]["id"]]},
                headers=staff,
            )
        )

        async def post(pct: int) -> int:
            body = {"milestone_id": milestone["id"], "progress_pct": pct, "note": "lewat nginx"}
            return int(
                (
                    await _created(
                        await http.post(f"/api/v1/projects/{project['id']}/updates", json=body, headers=staff)
                    )
                )["id"]
            )

        nginx_board = nginx.address
        async with open_board(nginx_board, "unit", unit["id"], leader) as board:
            snapshot = await receive(board)
            assert snapshot["type"] == "snapshot"
            first = await post(10)
            event = await receive(board)
            assert event["type"] == "progress.posted" and event["seq"] == snapshot["seq"] + 1
            assert event["data"]["update"]["id"] == first
            seen = event["seq"]

        missed = [await post(pct) for pct in (20, 30, 40, 50)]
        async with open_board(nginx_board, "unit", unit["id"], leader, since=seen) as board:
            replayed = [await receive(board) for _ in missed]
            assert [m["type"] for m in replayed] == ["progress.posted"] * len(missed), (
                "a replay, not a snapshot"
            )
            assert [m["seq"] for m in replayed] == list(range(seen + 1, seen + 1 + len(missed)))
            assert [m["data"]["update"]["id"] for m in replayed] == missed
            live = await post(60)
            after = await receive(board)
            assert after["seq"] == seen + len(missed) + 1 and after["data"]["update"]["id"] == live, (
                "nothing twice"
            )

    # nginx spread the work over both processes (no sticky sessions), so the events crossed Redis.
    for app in apps:
        assert any(f"/api/v1/projects/{project['id']}/updates" in line for line in app.output), app.address
