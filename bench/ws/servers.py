"""Starting and stopping the servers under test: the floor, and Pantau embedded (one process on SQLite)
or scaled (two processes on PostgreSQL and Redis), with the unit, users and projects the bench needs."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench.ws.board_client import Target
from bench.ws.machine import HOST, SERVER_CORES, pin


@dataclass
class System:
    """One server configuration under test, started and stopped per N."""

    name: str
    pids: list[int] = field(default_factory=list)
    boards: list[Target] = field(default_factory=list)  # one per server process; clients round-robin
    post_spec: dict[str, Any] = field(default_factory=dict)
    stop_callbacks: list[Any] = field(default_factory=list)

    async def stop(self) -> None:
        for callback in reversed(self.stop_callbacks):
            try:
                await callback()
            except Exception:
                pass
        self.stop_callbacks = []
        self.pids = []


async def start_floor() -> System:
    from tests.services import free_port

    board_port, control_port = free_port(), free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.ws",
        "floor-server",
        str(board_port),
        str(control_port),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if b"floor ready" not in line:
        raise RuntimeError(f"floor server did not start: {line!r}")
    pin(process.pid, SERVER_CORES)

    async def stop() -> None:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()

    system = System(
        "floor",
        [process.pid],
        [(HOST, board_port, "/board", "")],
        {"kind": "line", "servers": [(HOST, control_port)]},
    )
    system.stop_callbacks.append(stop)
    return system


@dataclass
class PantauWorld:
    unit_id: int
    leader_token: str
    staff_token: str
    projects: list[tuple[int, int]]


async def arrange_pantau(address: str, projects: int = 10) -> PantauWorld:
    """Through the API, like tests/realtime/test_multiprocess.py: a unit, a leader, a staff member who leads
    `projects` projects with one milestone each."""
    import httpx

    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http:

        async def token(username: str, password: str) -> str:
            response = await http.post(
                "/api/v1/auth/token", data={"username": username, "password": password}
            )
            response.raise_for_status()
            return str(response.json()["access_token"])

        async def post(url: str, body: dict[str, Any], auth: str) -> dict[str, Any]:
            response = await http.post(url, json=body, headers={"Authorization": f"Bearer {auth}"})
            assert response.status_code == 201, response.text
            return dict(response.json())

        admin = await token("admin", "admin-password")
        unit = await post("/api/v1/units", {"name": "Dinas Bench"}, admin)
        people = {}
        for username, role, nip in (
            ("kadis", "leader", "197001012000031001"),
            ("asn", "staff", "199203042018012002"),
        ):
            people[username] = await post(
                "/api/v1/users",
                {
                    "username": username,
                    "password": "kata-sandi-1",
                    "name": username,
                    "nip": nip,
                    "role": role,
                    "unit_id": unit["id"],
                },
                admin,
            )
        staff = await token("asn", "kata-sandi-1")
        made = []
        for n in range(projects):
            project = await post(
                "/api/v1/projects",
                {
                    "name": f"Proyek {n}",
                    "unit_id": unit["id"],
                    "lead_id": people["asn"]["id"],
                    "start_date": time.strftime("%Y-%m-%d"),
                    "due_date": "2030-06-30",
                },
                admin,
            )
            milestone = await post(
                f"/api/v1/projects/{project['id']}/milestones",
                {"title": f"Tahap {n}", "due_date": "2030-01-31", "assignee_ids": [people["asn"]["id"]]},
                staff,
            )
            made.append((int(project["id"]), int(milestone["id"])))
        return PantauWorld(unit["id"], await token("kadis", "kata-sandi-1"), staff, made)


async def start_pantau(
    name: str, env: dict[str, str], count: int, world: PantauWorld | None
) -> tuple[System, PantauWorld]:
    from tests.services import AppProcess, free_port

    processes = [AppProcess(env, free_port()) for _ in range(count)]
    system = System(name)

    async def stop() -> None:
        await asyncio.gather(*(p.stop() for p in processes), return_exceptions=True)

    system.stop_callbacks.append(stop)
    try:
        await asyncio.gather(*(p.start(timeout=120) for p in processes))
    except BaseException:
        await system.stop()
        raise
    for process in processes:
        assert process.process is not None
        pin(process.process.pid, SERVER_CORES)
        system.pids.append(process.process.pid)
    if world is None:
        world = await arrange_pantau(processes[0].address)
    path = f"/ws/board/unit/{world.unit_id}"
    system.boards = [(HOST, p.port, path, world.leader_token) for p in processes]
    system.post_spec = {
        "kind": "http",
        "servers": [(HOST, p.port) for p in processes],
        "token": world.staff_token,
        "projects": world.projects,
    }
    return system, world
