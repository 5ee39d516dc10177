"""The machine side of the bench: which core runs what, at what priority, with how many open files, and
the memory and CPU time that /proc reports for the processes under test."""

from __future__ import annotations

import asyncio
import os
import resource

HOST = "127.0.0.1"
SERVER_CORES = {0}
LOAD_CORES = {1}
FD_LIMIT = 16_384

NICE = -10


def pin(pid: int, cores: set[int]) -> None:
    """Pin every thread of a process to `cores` and raise its priority (new threads inherit both from the
    thread that creates them). The priority is for shared machines: other work then takes less of the
    bench's cores from the servers and loaders; PostgreSQL and Redis are left as they are."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        try:
            if (os.cpu_count() or 1) >= 2:
                os.sched_setaffinity(tid, cores)
            os.setpriority(os.PRIO_PROCESS, tid, NICE)
        except OSError:  # not permitted (not root): run at normal priority
            pass


def raise_fd_limit(want: int = FD_LIMIT) -> int:
    """Boards need a file descriptor each, on both ends; children (servers, loaders) inherit the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    target = want if hard == resource.RLIM_INFINITY or hard >= want else hard
    try:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (target, max(hard, target) if hard != resource.RLIM_INFINITY else hard)
        )
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def use_uvloop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            pass
    return total


def busy_seconds() -> float:
    """CPU time spent by everything on the machine (all cores), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
