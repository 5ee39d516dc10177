"""Open boards follow access on every process: two real app processes on PostgreSQL + Redis; a change
made through process A closes the affected board sockets open on process B."""

import asyncio
import re

import httpx
import pytest

from tests.realtime.boards import close_code, open_board, receive
from tests.realtime.scenario import arrange, created, token
from tests.services import REDIS_URL, AppProcess, app_env, free_port, postgres_database, redis_prefix

pytestmark = pytest.mark.multiprocess


@pytest.fixture
async def two_processes():
    with postgres_database() as url:
        env = app_env(url, REDIS_URL, redis_prefix(), PANTAU_BOOTSTRAP_ADMIN="admin:admin-password")
        processes = [AppProcess(env, free_port()), AppProcess(env, free_port())]
        try:
            await asyncio.gather(*(p.start() for p in processes))
            yield processes
        finally:
            await asyncio.gather(*(p.stop() for p in processes))


async def _member(http: httpx.AsyncClient, world: dict) -> tuple[dict, dict[str, str]]:
    """A staff member of the world's project, and their bearer token."""
    admin = await token(http, "admin", "admin-password")
    body = {
        "username": "anggota",
        "password": "kata-sandi-1",
        "name": "Anggota",
        "nip": "199505052019031003",
        "role": "staff",
        "unit_id": world["unit"]["id"],
    }
    member = created(await http.post("/api/v1/users", json=body, headers=admin))
    added = await http.post(
        f"/api/v1/projects/{world['project']['id']}/members", json={"user_id": member["id"]}, headers=admin
    )
    assert added.status_code in (200, 201), added.text
    return member, await token(http, "anggota", "kata-sandi-1")


async def test_removal_through_one_process_closes_the_board_on_another(two_processes):
    a, b = two_processes
    async with httpx.AsyncClient(base_url=f"http://{a.address}", timeout=20) as via_a:
        world = await arrange(via_a)
        member, member_token = await _member(via_a, world)
        project_id = world["project"]["id"]
        async with (
            open_board(b.address, "project", project_id, member_token) as removed,
            open_board(b.address, "project", project_id, world["staff"]) as lead,
        ):
            await receive(removed), await receive(lead)
            response = await via_a.delete(
                f"/api/v1/projects/{project_id}/members/{member['id']}", headers=world["staff"]
            )
            assert response.status_code == 204, response.text
            assert await close_code(removed) == 4404
            assert (await receive(lead))["type"] == "project.updated"


async def test_deactivation_through_one_process_closes_the_boards_on_another(two_processes):
    a, b = two_processes
    async with httpx.AsyncClient(base_url=f"http://{a.address}", timeout=20) as via_a:
        world = await arrange(via_a)
        admin = await token(via_a, "admin", "admin-password")
        me = (await via_a.get("/api/v1/me", headers=world["leader"])).json()
        async with open_board(b.address, "unit", world["unit"]["id"], world["leader"]) as board:
            await receive(board)
            response = await via_a.patch(
                f"/api/v1/users/{me['id']}", json={"is_active": False}, headers=admin
            )
            assert response.status_code == 200, response.text
            assert await close_code(board) == 4401


async def test_signing_out_on_one_process_closes_that_sessions_board_on_another(two_processes):
    a, b = two_processes
    async with httpx.AsyncClient(base_url=f"http://{a.address}", timeout=20) as via_a:
        world = await arrange(via_a)
        login = await via_a.get("/login")
        login_token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        form = {"username": "kadis", "password": "kata-sandi-1", "next": "/", "csrf_token": login_token}
        assert (await via_a.post("/login", data=form)).status_code == 303
        cookie = {"Cookie": f"pantau_session={via_a.cookies['pantau_session']}"}
        async with (
            open_board(b.address, "unit", world["unit"]["id"], cookie) as signed_out,
            open_board(b.address, "unit", world["unit"]["id"], world["leader"]) as with_token,
        ):
            await receive(signed_out), await receive(with_token)
            page = await via_a.get("/account/password")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            assert (await via_a.post("/logout", data={"csrf_token": csrf})).status_code == 303
            assert await close_code(signed_out) == 4401
            body = {"milestone_id": world["milestone"]["id"], "progress_pct": 10}
            posted = await via_a.post(
                f"/api/v1/projects/{world['project']['id']}/updates", json=body, headers=world["staff"]
            )
            assert posted.status_code == 201, posted.text
            assert (await receive(with_token))["type"] == "progress.posted"
