"""Measuring one system: the orchestrator's `Bench` (phases, step search, stalled client) and
`measure_system`, which runs the plans for each N on freshly started servers."""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass
from typing import Any

from bench.ws.board_loader import client_worker
from bench.ws.loader_process import Worker
from bench.ws.machine import busy_seconds, cpu_seconds, rss_kib
from bench.ws.phase import LATENCY_RATE, Phase
from bench.ws.poster import poster_worker
from bench.ws.servers import System


class Bench:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.latency_seconds = 5.0 if quick else 15.0
        self.step_seconds = 2.0 if quick else 4.0
        self.bisections = 1 if quick else 2
        self.growth = 4 if quick else 2  # quick: 20, 80, 320, ... posts/s
        self.throughput_seconds = 2.0 if quick else 5.0
        self.stall_seconds = 5.0 if quick else 12.0
        # Bounded in time whatever happens: past this, step searches and stall phases are skipped.
        self.deadline = time.monotonic() + (150 if quick else 720)
        self.clients = Worker(client_worker, "bench-boards")
        self.poster = Worker(poster_worker, "bench-poster")
        self.system: System | None = None
        self.n = 0

    async def close(self) -> None:
        await asyncio.gather(self.clients.stop(), self.poster.stop())

    @property
    def load_pids(self) -> list[int]:
        pids = [os.getpid()]
        for worker in (self.clients, self.poster):
            if worker.process.pid:
                pids.append(worker.process.pid)
        return pids

    async def use(self, system: System) -> None:
        self.system = system
        await self.poster.call("configure", system.post_spec)

    async def connect(self, n: int) -> float:
        assert self.system is not None
        boards = self.system.boards
        targets = [boards[k % len(boards)] for k in range(n)]
        result = await self.clients.call("connect", targets, 50, timeout=300)
        self.n += n
        return float(result["seconds"])

    async def close_boards(self) -> None:
        await self.clients.call("close_all", timeout=60)
        self.n = 0

    async def warm_up(self) -> None:
        """Exercise the code paths and fill the database pool before the baseline RSS is taken. Only a
        few boards: after opening and closing N, the next N reuse their freed memory and cost nothing."""
        await self.poster.call("closed_loop", 8, 0.5 if self.quick else 1.0)
        await self.connect(40)
        await self.phase(LATENCY_RATE, 0.5 if self.quick else 1.0)
        await self.close_boards()
        await asyncio.sleep(0.5)

    async def phase(self, rate: float, seconds: float) -> Phase:
        assert self.system is not None
        await self.clients.call("reset")
        pids = self.system.pids
        cpu_server, cpu_load, cpu_all = cpu_seconds(pids), cpu_seconds(self.load_pids), busy_seconds()
        started = time.monotonic()
        posted = await self.poster.call("open_loop", rate, seconds, 15.0, timeout=seconds + 60)
        ok = [r for r in posted["results"] if r[2] == 201]
        await self.clients.call("settle", len(ok) * self.n, 10.0, timeout=30)
        elapsed = time.monotonic() - started
        server_cpu = (cpu_seconds(pids) - cpu_server) / elapsed
        load_cpu = (cpu_seconds(self.load_pids) - cpu_load) / elapsed
        other_cpu = max(0.0, (busy_seconds() - cpu_all) / elapsed - server_cpu - load_cpu)
        seen = await self.clients.call("collect", timeout=60)
        latencies, answered, lost = [], [], 0
        mapped = set()
        for key, scheduled, _, done in ok:
            answered.append(done - scheduled)
            seq = seen["keys"].get(key)
            if seq is not None:
                mapped.add(seq)
            if seq is None or seen["count"].get(seq, 0) < self.n:
                lost += 1
                continue
            latencies.append(seen["last"][seq] - scheduled)
        extra = len(set(seen["count"]) - mapped)
        return Phase(
            rate=rate,
            posted=posted["fired"],
            ok=len(ok),
            errors=len(posted["results"]) - len(ok),
            unfinished=posted["unfinished"],
            aborted=posted["aborted"],
            latencies=latencies,
            answered=answered,
            lost=lost,
            gaps=seen["gaps"],
            repeats=seen["repeats"],
            extra=extra,
            closed=seen["closed_codes"],
            server_cpu=server_cpu,
            load_cpu=load_cpu,
            other_cpu=other_cpu,
            size=seen["size"],
        )

    async def recover(self) -> None:
        """After an overloaded step: let the server finish, bring back clients it dropped."""
        await asyncio.sleep(0.5)
        await self.clients.call("ensure", timeout=300)

    async def step(self, log: Any, rate: float) -> Phase:
        step = await self.phase(rate, self.step_seconds)
        log(
            f"    step {rate:>7.0f}/s: p99 {step.ms(0.99)} ms, {step.check()}, "
            f"CPU server {step.server_cpu:.0%} load {step.load_cpu:.0%} other {step.other_cpu:.0%}"
        )
        await self.recover()
        return step

    async def throughput(self, log: Any, name: str) -> dict[str, Any]:
        """POST throughput with no boards: 8 requests in flight, closed loop, after a short warm-up."""
        await self.poster.call("closed_loop", 8, 0.5 if self.quick else 1.0)
        result = await self.poster.call("closed_loop", 8, self.throughput_seconds)
        rate = result["ok"] / result["seconds"]
        log(f"  {name}: {rate:.0f} posts/s with no boards ({result['errors']} errors)")
        return {"throughput": rate, "throughput_errors": result["errors"]}

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    async def step_search(self, log: Any, limit: float) -> tuple[float, list[Phase]]:
        """20, 40, 80, ... posts/s (x4 when quick) until a step fails, then bisect; 10 and 5 when 20 fails."""
        steps: list[Phase] = []
        best, failed, rate = 0.0, None, 20.0
        while rate <= limit and not self.out_of_time():
            steps.append(await self.step(log, rate))
            if not steps[-1].sustained:
                failed = rate
                break
            best, rate = rate, rate * self.growth
        if failed is not None and best:
            for _ in range(self.bisections):
                rate = round((best + failed) / 2)
                steps.append(await self.step(log, rate))
                best, failed = (rate, failed) if steps[-1].sustained else (best, rate)
        elif failed is not None:
            for rate in (10.0, 5.0):
                steps.append(await self.step(log, rate))
                if steps[-1].sustained:
                    best = rate
                    break
        return best, steps

    async def stall_phase(self) -> tuple[Phase, dict[str, Any]]:
        assert self.system is not None
        await self.clients.call("stall", self.system.boards[0])
        phase = await self.phase(LATENCY_RATE, self.stall_seconds)
        stalled = await self.clients.call("unstall", 10.0, timeout=30)
        return phase, stalled


@dataclass
class Row:
    system: str
    n: int
    memory_kib: float
    connect_seconds: float
    latency: Phase
    best_rate: float
    steps: list[Phase]
    stall: tuple[Phase, dict[str, Any]] | None = None


@dataclass
class Plan:
    n: int
    steps: bool = True
    stall: bool = False
    # Another run of the latency phase only, on freshly started servers with N boards freshly connected:
    # its phase goes to the system's extras ("repeats", by N), not to the rows (see cli `--p99-runs`).
    repeat: bool = False


async def measure_system(
    bench: Bench, name: str, start: Any, plans: list[Plan], log: Any, rate_limit: float
) -> tuple[list[Row], dict[str, Any]]:
    rows: list[Row] = []
    extra: dict[str, Any] = {}
    for plan in plans:
        n = plan.n
        system = await start()
        try:
            await bench.use(system)
            if "throughput" not in extra:
                extra.update(await bench.throughput(log, name))
            await bench.warm_up()
            before = rss_kib(system.pids)
            connect_seconds = await bench.connect(n)
            await asyncio.sleep(1.5 if bench.quick else 3.0)
            memory = (rss_kib(system.pids) - before) / n
            log(f"  {name} N={n}: connected in {connect_seconds:.1f} s, {memory:.1f} KiB per idle board")
            latency = await bench.phase(LATENCY_RATE, bench.latency_seconds)
            log(
                f"    20 posts/s: p50 {latency.ms(0.5)} p99 {latency.ms(0.99)} max {latency.ms(2)} ms, {latency.check()}"
            )
            if plan.repeat:
                extra.setdefault("repeats", {}).setdefault(n, []).append(latency)
                await bench.close_boards()
                continue
            await bench.recover()
            stalled = None
            if plan.stall and not bench.out_of_time():
                stalled = await bench.stall_phase()
                log(
                    f"    with a stalled client: p99 {stalled[0].ms(0.99)} ms, {stalled[0].check()}; stalled: {stalled[1]}"
                )
                await bench.recover()
            searched = plan.steps and not bench.out_of_time()
            best, steps = await bench.step_search(log, rate_limit) if searched else (math.nan, [])
            rows.append(Row(name, n, memory, connect_seconds, latency, best, steps, stalled))
            await bench.close_boards()
        finally:
            await system.stop()
    return rows, extra
