"""The poster process of `python -m bench photos`: updates with (or without) one photo each, open loop, and a
cheap `GET /healthz` probe beside them, both fired at their scheduled times whatever happened to earlier ones.

It reuses bench/ws's keep-alive HTTP pool and pipe protocol; the orchestrator is bench/photos.py."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from bench.ws.loader_process import serve_pipe
from bench.ws.poster import Pool


def multipart_file(field: str, filename: str, content_type: str, data: bytes) -> tuple[str, bytes]:
    """A multipart/form-data body with one file, as a browser sends it: its Content-Type and its bytes."""
    boundary = f"----pantau-bench-{uuid.uuid4().hex}"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return f"multipart/form-data; boundary={boundary}", head + data + f"\r\n--{boundary}--\r\n".encode()


# Probes beside the posts: one database read (/healthz, a hop to a reading connection's thread), and an
# unknown API address, answered 404 by the router on the event loop alone: its delay is the loop's.
PROBES = ("/healthz", "/api/v1/bench-loop-probe")


class PhotoPoster:
    """Each post: (with a photo) `POST /api/v1/evidence`, then `POST /api/v1/projects/{id}/updates` with its
    id. Both carry an Idempotency-Key, as the offline client sends them."""

    def __init__(self) -> None:
        self.serial = 0
        self.run_id = uuid.uuid4().hex[:8]  # keys never repeat across runs on one database
        self.spec: dict[str, Any] = {}
        self.photos: list[bytes] = []
        self.pool: Pool | None = None
        self.health: Pool | None = None

    def configure(self, spec: dict[str, Any], photos: list[bytes]) -> None:
        self.spec, self.photos = spec, photos
        host, port = spec["servers"][0]
        self.pool = Pool("http", host, port)
        self.health = Pool("http", host, port, limit=16)  # own connections: never queued behind an upload

    def _request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "", key: str = ""
    ) -> bytes:
        assert self.pool is not None
        headers = f"{method} {path} HTTP/1.1\r\nHost: {self.pool.host}:{self.pool.port}\r\n"
        if method == "POST":
            headers += f"Authorization: Bearer {self.spec['token']}\r\nContent-Type: {content_type}\r\n"
            headers += f"Content-Length: {len(body)}\r\n"
        if key:
            headers += f"Idempotency-Key: {key}\r\n"
        return (headers + "\r\n").encode() + body

    async def _post(self, n: int, scheduled: float, with_photo: bool) -> dict[str, Any]:
        assert self.pool is not None
        record: dict[str, Any] = {"n": n, "scheduled": scheduled, "update_id": None, "error": None}
        evidence_ids: list[int] = []
        try:
            if with_photo:
                content_type, body = multipart_file(
                    "file", f"IMG_{n:05d}.jpg", "image/jpeg", self.photos[n % len(self.photos)]
                )
                record["upload_sent"] = time.monotonic()
                status, answer = await self.pool.request(
                    self._request(
                        "POST", "/api/v1/evidence", body, content_type, f"bench-{self.run_id}-{n}-file-0"
                    )
                )
                record["upload_done"], record["upload_status"] = time.monotonic(), status
                if status != 201:
                    record["error"] = f"upload {status}: {answer[:200].decode(errors='replace')}"
                    return record
                evidence_ids = [int(json.loads(answer)["id"])]
            project_id, milestone_id = self.spec["projects"][n % len(self.spec["projects"])]
            update = {
                "milestone_id": milestone_id,
                "progress_pct": n % 101,
                "note": f"bench {n}",
                "evidence_ids": evidence_ids,
            }
            record["post_sent"] = time.monotonic()
            status, answer = await self.pool.request(
                self._request(
                    "POST",
                    f"/api/v1/projects/{project_id}/updates",
                    json.dumps(update).encode(),
                    "application/json",
                    f"bench-{self.run_id}-{n}",
                )
            )
            record["post_done"], record["post_status"] = time.monotonic(), status
            if status != 201:
                record["error"] = f"update {status}: {answer[:200].decode(errors='replace')}"
                return record
            made = json.loads(answer)
            record["update_id"] = int(made["id"])
            record["evidence_in_answer"] = len(made.get("evidence") or [])
        except Exception as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
        return record

    async def _probe(self, path: str, scheduled: float) -> tuple[str, float, float, int]:
        assert self.health is not None
        try:
            status, _ = await self.health.request(self._request("GET", path))
        except Exception:
            status = 0
        return path, scheduled, time.monotonic(), status

    async def run(
        self, rate: float, seconds: float, drain: float, with_photo: bool, probe_rate: float
    ) -> dict[str, Any]:
        """Posts at `rate` and probes at `probe_rate` for `seconds`, each at its scheduled time; then up to
        `drain` seconds for the last answers."""
        start = time.monotonic() + 0.05
        end = start + seconds
        posts: list[asyncio.Task[dict[str, Any]]] = []
        probes: list[asyncio.Task[tuple[float, float, int]]] = []

        async def fire(times: float, action: Any, into: list[Any]) -> None:
            k = 0
            while (at := start + k / times) < end:
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                into.append(asyncio.create_task(action(at)))
                k += 1

        def post_at(at: float) -> Any:
            self.serial += 1
            return self._post(self.serial, at, with_photo)

        def probe(path: str) -> Any:
            return lambda at: self._probe(path, at)

        await asyncio.gather(
            fire(rate, post_at, posts), *(fire(probe_rate, probe(path), probes) for path in PROBES)
        )
        _, pending = await asyncio.wait(posts + probes, timeout=drain)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
        return {
            "records": [t.result() for t in posts if t.done() and not t.cancelled()],
            "probes": [t.result() for t in probes if t.done() and not t.cancelled()],
            "fired": len(posts),
            "unfinished": sum(1 for t in posts if t.cancelled()),
        }


POSTER_COMMANDS: dict[str, Any] = {
    "__init__": PhotoPoster,
    "configure": PhotoPoster.configure,
    "run": PhotoPoster.run,
}


def photo_poster_worker(conn: Any) -> None:
    serve_pipe(conn, POSTER_COMMANDS)
