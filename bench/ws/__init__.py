"""Live boards under load: Pantau against the floor that a raw `websockets` server sets, in one run.

`python -m bench ws [--quick]`. Everything runs on this machine and talks only to 127.0.0.1.

The servers are measured in turn:
- floor: a minimal `websockets` (asyncio API) server in its own process. For each line `post <key>`
  on a plain TCP control socket it broadcasts a ~300-byte JSON message carrying the next seq to every
  connected client (`websockets.broadcast`) and answers `201 <key>`. No framework, no database.
- embedded: one `pantau serve` on a SQLite file in a temporary directory, no Redis.
- scaled: two `pantau serve` on a fresh PostgreSQL database and Redis with a unique key prefix;
  board clients are spread over both processes and so are the posts.
- stack (a reference, at N = 100 only): the least an app on Pantau's stack does for a post, one FastAPI
  endpoint with one ORM insert and commit on SQLite, then the floor's broadcast (bench/ws/stack.py).

For N = 100 and N = 1,000 board clients (real `/ws/board/unit/{id}` connections with a leader's bearer
token, all on one unit board; the floor's clients connect to its one board) it measures:
- idle memory per board: RSS of the server process(es) with N idle boards minus RSS with none, over N
  (each N on freshly started server processes, after a warm-up, so that the pool and code are loaded);
- POST -> board latency at 20 posts/s, open loop: the send time is when the loader *scheduled* the
  request, the receive time is when the LAST of the N boards got the event (no coordinated omission);
- the highest post rate at which that p99 stays under 250 ms and every event reaches every board
  (steps of a few seconds at 20, 40, 80, ... posts/s, then two bisection steps);
- with one extra client that stops reading (4 KiB receive buffer, reading paused), the others' latency;
- POST throughput with no boards (closed loop, 8 requests in flight);
- `--quick` (about 2 minutes): shorter phases, steps of x4, no step search at N=1,000, scaled at N=100 only,
  printed only (bench/RESULTS.md keeps the last full run);
- in every phase: each client's seq must be consecutive, and the events seen must be exactly the
  posts that got 201 (none lost, none doubled, none extra).

How the two cores are shared: the server process(es) are pinned to CPU 0 (all their threads); the board
clients (one process, a minimal frame parser on asyncio), the poster (one process) and this orchestrator are
pinned to CPU 1. PostgreSQL and Redis are not ours and are left unpinned. Every client and server runs on
uvloop when it is installed (uvicorn picks it; the floor and the clients use it too).

Where things are: `cli` (the command line and the run), `measure` (the orchestrator's phases and step search),
`phase` (one phase's figures), `servers` (starting the floor and Pantau), `floor` (the floor server itself),
`stack` (the stack reference),
`board_client` and `board_loader` (the board clients and the process that holds them), `poster` (the process that
posts), `loader_process` (how the orchestrator drives those two processes), `machine` (pinning, limits, /proc),
`results` and `notes` (the Markdown written to bench/RESULTS.md)."""

from bench.ws.cli import main

__all__ = ["main"]
