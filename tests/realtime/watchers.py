"""Board clients and posters that survive faults, for the fault and soak tests.

A watcher keeps one board open, reconnecting with `since=<last seq>` to whichever server is up, and
records every event it receives. A poster posts updates with an Idempotency-Key and retries a request
whose outcome it did not learn, so a 201 is counted once however often it had to ask."""

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field

import httpx
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.realtime.boards import open_board, receive


@dataclass
class Watcher:
    servers: list[str]
    board: tuple[str, int]
    headers: dict[str, str]
    since: int | None = None
    seqs: list[int] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    reconnects: int = 0
    snapshots_after_start: int = 0
    # Set once the opening snapshot is in: updates posted after it must all arrive as events.
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        servers = itertools.cycle(self.servers)
        server = next(servers)
        while not stop.is_set():
            try:
                async with open_board(server, *self.board, self.headers, since=self.since) as ws:
                    while not stop.is_set():
                        message = await receive(ws)
                        if message["type"] == "snapshot":
                            if self.since is not None:
                                self.snapshots_after_start += 1
                        else:
                            self.seqs.append(message["seq"])
                            if message["type"] == "progress.posted":
                                self.updates.append(message["data"]["update"]["id"])
                        self.since = message["seq"]
                        self.ready.set()
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
                self.reconnects += 1
                server = next(servers)
                await asyncio.sleep(0.05)  # reconnect back-off, not synchronisation

    @staticmethod
    async def start_all(watchers: list["Watcher"], stop: asyncio.Event) -> list[asyncio.Task[None]]:
        tasks = [asyncio.create_task(w.run(stop)) for w in watchers]
        await asyncio.wait_for(asyncio.gather(*(w.ready.wait() for w in watchers)), 30)
        return tasks

    def consecutive(self) -> bool:
        return self.seqs == list(range(self.seqs[0], self.seqs[0] + len(self.seqs))) if self.seqs else True


@dataclass
class Poster:
    servers: list[str]
    url: str
    headers: dict[str, str]
    milestone_id: int
    created: list[int] = field(default_factory=list)
    failures: int = 0

    async def post(self, n: int) -> None:
        key = str(uuid.uuid4())
        body = {"milestone_id": self.milestone_id, "progress_pct": n % 100, "note": f"pembaruan {n}"}
        for attempt in range(200):
            server = self.servers[(n + attempt) % len(self.servers)]
            try:
                async with httpx.AsyncClient(base_url=f"http://{server}", timeout=10) as http:
                    response = await http.post(
                        self.url, json=body, headers=self.headers | {"Idempotency-Key": key}
                    )
            except httpx.TransportError:
                self.failures += 1
                await asyncio.sleep(0.05)
                continue
            if response.status_code == 201:
                self.created.append(response.json()["id"])
                return
            self.failures += 1
            await asyncio.sleep(0.05)
        raise AssertionError(f"update {n} was never accepted")
