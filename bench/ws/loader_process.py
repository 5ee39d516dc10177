"""Loader processes (the board clients, the poster): started with `spawn`, pinned to the load core, driven
by the orchestrator one command at a time over a pipe. `serve_pipe` is the child's side, `Worker` the
orchestrator's."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from typing import Any

from bench.ws.machine import LOAD_CORES, pin, raise_fd_limit, use_uvloop


def serve_pipe(conn: Any, handlers: dict[str, Any]) -> None:
    """Run a worker process: pinned to the load core, commands in over a pipe, one at a time."""
    pin(os.getpid(), LOAD_CORES)
    raise_fd_limit()
    use_uvloop()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        state = handlers["__init__"]()
        while True:
            # Read in a thread, not with add_reader: the event loop would make the pipe non-blocking, and a
            # large answer (a step's arrivals) would then fail to send with EAGAIN.
            command, args = await loop.run_in_executor(None, conn.recv)
            if command == "exit":
                conn.send(("ok", None))
                return
            try:
                result = handlers[command](state, *args)
                if asyncio.iscoroutine(result):
                    result = await result
                conn.send(("ok", result))
            except Exception as exc:  # reported to the orchestrator, which fails the run
                conn.send(("error", f"{type(exc).__name__}: {exc}"))

    asyncio.run(run())


class Worker:
    """The orchestrator's handle on a loader process. `target` must be a module-level function (such as
    `board_loader.client_worker`): with `spawn` the child imports it by name."""

    def __init__(self, target: Any, name: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=target, args=(child,), name=name, daemon=True)
        self.process.start()
        self.lock = asyncio.Lock()

    async def call(self, command: str, *args: Any, timeout: float = 120) -> Any:
        async with self.lock:
            self.conn.send((command, args))
            status, result = await asyncio.get_running_loop().run_in_executor(None, self._receive, timeout)
        if status != "ok":
            raise RuntimeError(f"{self.process.name} {command}: {result}")
        return result

    def _receive(self, timeout: float) -> Any:
        if not self.conn.poll(timeout):
            raise TimeoutError(f"{self.process.name} did not answer in {timeout:.0f} s")
        return self.conn.recv()

    async def stop(self) -> None:
        if self.process.is_alive():
            try:
                await self.call("exit", timeout=15)
            except Exception:
                pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
