"""Soak: two app processes on PostgreSQL + Redis, many boards, a steady stream of posts.

`python -m bench soak [--boards 1000 --rate 100 --seconds 60]` (the full run; CI runs a short one from
tests/realtime/test_soak.py). Checks, per board, that every update that got a 201 arrived exactly once
and in sequence order, reports the POST -> board p99 latency (send time taken when the post was
scheduled), and compares the servers' memory at the end with their memory after warm-up.

Board clients run in two worker processes (separate from the servers and from the poster); everything
talks to 127.0.0.1 only, and every loop is bounded in time."""

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from itertools import pairwise
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.report import table, write_section
from tests.realtime.scenario import arrange
from tests.services import REDIS_URL, AppProcess, app_env, free_port, postgres_database, redis_prefix

WARMUP_SECONDS = 3


DRAIN_SECONDS = 180


def _boards_worker(
    servers: list[str], unit_id: int, token: str, count: int, seconds: float, pipe: Any
) -> None:
    """Open `count` boards spread over the servers; reconnect with since when dropped; report what arrived.
    After the posting ends, each board listens until it has the last update or the drain time is over."""
    last_update: list[int] = []

    def finished(arrivals: dict[int, float], stop: float) -> bool:
        return time.time() >= stop or bool(last_update and last_update[0] in arrivals)

    async def board(n: int, results: dict[str, Any], stop: float) -> None:
        since: int | None = None
        seqs: list[int] = []
        arrivals: dict[int, float] = {}
        while not finished(arrivals, stop):
            url = f"ws://{servers[n % len(servers)]}/ws/board/unit/{unit_id}" + (
                f"?since={since}" if since is not None else ""
            )
            try:
                async with connect(
                    url, additional_headers={"Authorization": token}, open_timeout=30, max_queue=None
                ) as ws:
                    while not finished(arrivals, stop):
                        raw = await asyncio.wait_for(ws.recv(), 1.0)
                        message = json.loads(raw)
                        if message["type"] == "progress.posted":
                            seqs.append(message["seq"])
                            arrivals[message["data"]["update"]["id"]] = time.time()
                        if since is None:  # this board's opening snapshot: it now hears every later post
                            results["opened"] = results.get("opened", 0) + 1
                            if results["opened"] == count:
                                pipe.send(("ready", None))
                        since = message["seq"]
            except TimeoutError:
                continue  # quiet for a second: look at the finish line again, then keep listening
            except (ConnectionClosed, OSError):
                await asyncio.sleep(0.05)
        results[n] = (seqs, arrivals)

    async def main() -> None:
        results: dict[str, Any] = {}
        stop = time.time() + seconds + DRAIN_SECONDS

        async def await_last_update() -> None:
            kind, value = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
            last_update.append(value)

        waiter = asyncio.create_task(await_last_update())
        await asyncio.gather(*(board(n, results, stop) for n in range(count)))
        waiter.cancel()
        pipe.send(("done", [results[n] for n in range(count)]))

    asyncio.run(main())


async def soak(boards: int, rate: float, seconds: float) -> dict[str, Any]:
    with postgres_database() as url:
        env = app_env(url, REDIS_URL, redis_prefix(), PANTAU_BOOTSTRAP_ADMIN="admin:admin-password")
        processes = [AppProcess(env, free_port()), AppProcess(env, free_port())]
        await asyncio.gather(*(p.start() for p in processes))
        try:
            return await _run(processes, boards, rate, seconds)
        finally:
            await asyncio.gather(*(p.stop() for p in processes))


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def _run(processes: list[AppProcess], boards: int, rate: float, seconds: float) -> dict[str, Any]:
    servers = [p.address for p in processes]
    async with httpx.AsyncClient(base_url=f"http://{servers[0]}", timeout=30) as http:
        world = await arrange(http)
    listen_for = WARMUP_SECONDS + seconds
    pipes, workers = [], []
    for half in (boards // 2, boards - boards // 2):
        parent, child = multiprocessing.Pipe()
        worker = multiprocessing.get_context("spawn").Process(
            target=_boards_worker,
            args=(servers, world["unit"]["id"], world["leader"]["Authorization"], half, listen_for, child),
        )
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    for pipe in pipes:
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # each worker's first board is open
    sent: dict[int, float] = {}
    failures = 0
    limits = httpx.Limits(max_connections=64)
    timeout = httpx.Timeout(
        60, pool=300
    )  # open loop: posts the servers cannot take yet wait, and are counted late
    clients = [httpx.AsyncClient(base_url=f"http://{s}", limits=limits, timeout=timeout) for s in servers]
    url = f"/api/v1/projects/{world['project']['id']}/updates"

    async def post(n: int, scheduled: float) -> None:
        nonlocal failures
        body = {"milestone_id": world["milestone"]["id"], "progress_pct": n % 100, "note": f"soak {n}"}
        response = await clients[n % 2].post(url, json=body, headers=world["staff"])
        if response.status_code == 201:
            sent[response.json()["id"]] = scheduled
        else:
            failures += 1

    start = time.time()
    baseline: int | None = None
    tasks = []
    n = 0
    while (elapsed := time.time() - start) < WARMUP_SECONDS + seconds:
        if baseline is None and elapsed >= WARMUP_SECONDS:
            baseline = sum(_rss_kib(p.process.pid) for p in processes)
        scheduled = start + n / rate
        if scheduled > time.time():
            await asyncio.sleep(scheduled - time.time())
        tasks.append(asyncio.create_task(post(n, scheduled)))
        n += 1
    await asyncio.gather(*tasks)
    for pipe in pipes:
        pipe.send(("last", max(sent)))
    end_rss = sum(_rss_kib(p.process.pid) for p in processes)
    reports = []
    for pipe in pipes:
        kind, data = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        reports.extend(data)
    for worker in workers:
        worker.join(30)
    for client in clients:
        await client.aclose()
    expected = set(sent)
    lost = duplicated = gaps = 0
    latencies = []
    for seqs, arrivals in reports:
        ids = set(int(k) for k in arrivals)
        lost += len(expected - ids)
        duplicated += len(seqs) - len(set(seqs))
        gaps += sum(1 for a, b in pairwise(seqs) if b != a + 1)
    for update_id, scheduled in sent.items():
        last = max((arrivals.get(update_id, 0.0) for _, arrivals in reports), default=0.0)
        if last:
            latencies.append((last - scheduled) * 1000)
    latencies.sort()
    return {
        "boards": boards,
        "rate": rate,
        "seconds": seconds,
        "posted": len(sent),
        "failed_posts": failures,
        "lost": lost,
        "duplicated": duplicated,
        "gaps": gaps,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
        "rss_after_warmup_kib": baseline,
        "rss_end_kib": end_rss,
        "rss_growth_pct": 100 * (end_rss - baseline) / baseline if baseline else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench soak")
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    result = asyncio.run(soak(args.boards, args.rate, args.seconds))
    body = table(
        ["boards", "posts/s", "s", "posted", "lost", "doubled", "seq gaps", "p50 ms", "p99 ms", "RSS growth"],
        [
            [
                result["boards"],
                result["rate"],
                result["seconds"],
                result["posted"],
                result["lost"],
                result["duplicated"],
                result["gaps"],
                f"{result['p50_ms']:.0f}",
                f"{result['p99_ms']:.0f}",
                f"{result['rss_growth_pct']:+.1f}%",
            ]
        ],
    )
    print(body)
    write_section("soak", "## Soak: two processes on PostgreSQL + Redis\n\n" + body)


if __name__ == "__main__":
    main()
