"""The deployed topology: nginx (configured from deploy/nginx.conf.template) in front of two app processes
on PostgreSQL + Redis. Posts and boards both go through nginx; a board that drops and comes back with
`since` gets exactly what it missed, wherever nginx sends it."""

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.realtime.boards import open_board, receive
from tests.realtime.scenario import arrange, created
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
        # With their access logs, which show that nginx spread the posts over both processes.
        env = app_env(
            url,
            REDIS_URL,
            redis_prefix(),
            PANTAU_BOOTSTRAP_ADMIN="admin:admin-password",
            PANTAU_ACCESS_LOG="true",
        )
        apps = [AppProcess(env, free_port()), AppProcess(env, free_port())]
        nginx = NginxProcess(tmp_path / "nginx", free_port(), [app.address for app in apps])
        try:
            await asyncio.gather(*(app.start() for app in apps))
            await nginx.start()
            yield nginx, apps
        finally:
            await nginx.stop()
            await asyncio.gather(*(app.stop() for app in apps))


async def test_board_through_nginx_resumes_with_since_and_gets_exactly_what_it_missed(behind_nginx):
    nginx, apps = behind_nginx
    async with httpx.AsyncClient(base_url=f"http://{nginx.address}", timeout=20) as http:
        world = await arrange(http)
        unit, project, milestone = world["unit"], world["project"], world["milestone"]
        staff, leader = world["staff"], world["leader"]

        async def post(pct: int) -> int:
            body = {"milestone_id": milestone["id"], "progress_pct": pct, "note": "lewat nginx"}
            return int(
                (
                    created(
                        await http.post(f"/api/v1/projects/{project['id']}/updates", json=body, headers=staff)
                    )
                )["id"]
            )

        nginx_board = nginx.address
        # As a browser opens it, from a page of the site: nginx passes on the Host the Origin names.
        from_the_site = {**leader, "Origin": f"http://{nginx_board}"}
        async with open_board(nginx_board, "unit", unit["id"], from_the_site) as board:
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
