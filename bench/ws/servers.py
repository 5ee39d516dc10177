"""Starting and stopping the servers under test: the floor, and Pantau embedded (one process on SQLite)
or scaled (two processes on PostgreSQL and Redis), with the unit, users and projects the bench needs."""

from __future__ import annotations

import asyncio
import sys
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


async def _server_process(ready: bytes, *args: str) -> tuple[int, Any]:
    """`python -m bench.ws <args>` pinned to the server core once it prints `ready`; its pid and its stop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.ws", *args, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if ready not in line:
        raise RuntimeError(f"{args[0]} did not start: {line!r}")
    pin(process.pid, SERVER_CORES)

    async def stop() -> None:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()

    return process.pid, stop


async def start_floor() -> System:
    from tests.services import free_port

    board_port, control_port = free_port(), free_port()
    pid, stop = await _server_process(b"floor ready", "floor-server", str(board_port), str(control_port))
    system = System(
        "floor",
        [pid],
        [(HOST, board_port, "/board", "")],
        {"kind": "line", "servers": [(HOST, control_port)]},
    )
    system.stop_callbacks.append(stop)
    return system


async def start_stack(database_url: str) -> System:
    """The stack reference (bench/ws/stack.py): Pantau's stack doing the least for a post, the floor's boards."""
    from tests.services import free_port

    port, board_port = free_port(), free_port()
    pid, stop = await _server_process(
        b"stack ready", "stack-server", str(port), str(board_port), database_url
    )
    system = System(
        "stack",
        [pid],
        [(HOST, board_port, "/board", "")],
        {"kind": "http", "servers": [(HOST, port)], "token": "-", "projects": [(1, 1)]},
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
    """Through the API, as the multi-process tests do (tests/realtime/scenario.py): a unit, a leader, a
    staff member who leads `projects` projects with one milestone each."""
    import httpx

    from tests.realtime.scenario import arrange

    def bearer(headers: dict[str, str]) -> str:
        return headers["Authorization"].removeprefix("Bearer ")

    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http:
        world = await arrange(http, projects)
    return PantauWorld(
        world["unit"]["id"],
        bearer(world["leader"]),
        bearer(world["staff"]),
        [(int(project["id"]), int(milestone["id"])) for project, milestone in world["projects"]],
    )


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


def pantau_starter(name: str, env: dict[str, str], processes: int) -> Any:
    """A start function for `measure_system`: Pantau afresh for each N, on the organisation arranged at the
    first start."""
    world: list[PantauWorld] = []

    async def start() -> System:
        system, made = await start_pantau(name, env, processes, world[0] if world else None)
        world[:] = [made]
        return system

    return start
