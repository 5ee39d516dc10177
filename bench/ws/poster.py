"""The poster process: sends the posts (Pantau) or triggers (floor), open loop at a rate or closed loop."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bench.ws.loader_process import serve_pipe


class Conn:
    """One keep-alive connection: HTTP/1.1 to Pantau, or the floor's line protocol."""

    def __init__(self, kind: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.kind = kind
        self.reader = reader
        self.writer = writer
        self.used = time.monotonic()

    async def request(self, data: bytes) -> tuple[int, bytes, bool]:
        self.writer.write(data)
        if self.kind == "line":
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("control socket closed")
            return int(line.split()[0]), line, True
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, keep = 0, True
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                keep = False
        body = await self.reader.readexactly(length) if length else b""
        self.used = time.monotonic()
        return status, body, keep

    def close(self) -> None:
        self.writer.close()


class Pool:
    def __init__(self, kind: str, host: str, port: int, limit: int = 128) -> None:
        self.kind, self.host, self.port = kind, host, port
        self.idle: list[Conn] = []
        self.gate = asyncio.Semaphore(limit)

    async def request(self, data: bytes) -> tuple[int, bytes]:
        async with self.gate:
            conn = None
            while self.idle:
                candidate = self.idle.pop()
                # uvicorn closes keep-alive connections idle for 5 s: never reuse one near that age.
                if time.monotonic() - candidate.used < 2.0:
                    conn = candidate
                    break
                candidate.close()
            if conn is None:
                conn = Conn(self.kind, *await asyncio.open_connection(self.host, self.port))
            try:
                status, body, keep = await conn.request(data)
            except BaseException:
                conn.close()
                raise
            if keep:
                self.idle.append(conn)
            else:
                conn.close()
            return status, body

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle = []


class Poster:
    """Posts progress updates (Pantau) or triggers (floor). Keys: the update id, or the trigger number."""

    def __init__(self) -> None:
        self.serial = 0
        self.pools: list[Pool] = []
        self.spec: dict[str, Any] = {}

    def configure(self, spec: dict[str, Any]) -> None:
        for pool in self.pools:
            pool.close()
        self.spec = spec
        self.pools = [Pool(spec["kind"], host, port) for host, port in spec["servers"]]

    def _build(self, n: int) -> tuple[Pool, bytes]:
        spec = self.spec
        pool = self.pools[n % len(self.pools)]
        if spec["kind"] == "line":
            return pool, b"post %d\n" % n
        project_id, milestone_id = spec["projects"][n % len(spec["projects"])]
        body = json.dumps(
            {"milestone_id": milestone_id, "progress_pct": n % 101, "note": f"bench {n}"}
        ).encode()
        head = (
            f"POST /api/v1/projects/{project_id}/updates HTTP/1.1\r\nHost: {pool.host}:{pool.port}\r\n"
            f"Authorization: Bearer {spec['token']}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        return pool, head + body

    async def _one(self, n: int) -> tuple[int | None, int]:
        pool, data = self._build(n)
        status, body = await pool.request(data)
        if status != 201:
            return None, status
        return (n if self.spec["kind"] == "line" else int(json.loads(body)["id"])), status

    async def open_loop(self, rate: float, duration: float, drain: float) -> dict[str, Any]:
        """Requests fired at their scheduled times whatever happened to the earlier ones."""
        total = max(1, round(rate * duration))
        results: list[tuple[int | None, float, int, float]] = []
        outstanding = 0
        max_outstanding = max(100, int(rate * 2))

        async def one(n: int, scheduled: float) -> None:
            nonlocal outstanding
            outstanding += 1
            try:
                key, status = await self._one(n)
            except Exception:
                key, status = None, 0
            finally:
                outstanding -= 1
            results.append((key, scheduled, status, time.monotonic()))

        tasks = []
        start = time.monotonic() + 0.02
        fired, aborted = 0, False
        while fired < total:
            now = time.monotonic()
            while fired < total and start + fired / rate <= now:
                tasks.append(asyncio.create_task(one(self.serial, start + fired / rate)))
                self.serial += 1
                fired += 1
            if outstanding > max_outstanding:  # hopelessly behind: the step has failed, stop piling on
                aborted = True
                break
            if fired < total:
                await asyncio.sleep(max(0.0, start + fired / rate - time.monotonic()))
        unfinished = 0
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=drain)
            unfinished = len(pending)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        return {
            "results": results,
            "fired": fired,
            "planned": total,
            "aborted": aborted,
            "unfinished": unfinished,
            "started": start,
        }

    async def closed_loop(self, concurrency: int, duration: float) -> dict[str, Any]:
        deadline = time.monotonic() + duration
        counts = {"ok": 0, "errors": 0}

        async def worker() -> None:
            while time.monotonic() < deadline:
                n = self.serial
                self.serial += 1
                try:
                    key, _ = await self._one(n)
                except Exception:
                    key = None
                counts["ok" if key is not None else "errors"] += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return {**counts, "seconds": time.monotonic() - started}


POSTER_COMMANDS: dict[str, Any] = {
    "__init__": Poster,
    "configure": Poster.configure,
    "open_loop": Poster.open_loop,
    "closed_loop": Poster.closed_loop,
}


def poster_worker(conn: Any) -> None:
    serve_pipe(conn, POSTER_COMMANDS)
