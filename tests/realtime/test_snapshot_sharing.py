"""Boards that open together on one board share its snapshot: a restart's reconnect storm costs the
database one snapshot build (or a few), not one per wall screen."""

import asyncio
import time

from tests.realtime.boards import open_board, receive

BOARDS = 1000


async def test_a_thousand_boards_opening_together_build_the_snapshot_a_handful_of_times(
    world, setup, runtime, live_server
):
    headers = world.auth(world.member)
    builds_before = runtime.hub.builds
    started = time.monotonic()

    async def board() -> dict:
        async with open_board(live_server, "project", setup.project.id, headers) as ws:
            return await receive(ws)

    snapshots = await asyncio.gather(*(board() for _ in range(BOARDS)))
    builds = runtime.hub.builds - builds_before
    print(f"{BOARDS} boards: {builds} builds, {time.monotonic() - started:.1f} s")
    assert all(s["type"] == "snapshot" and s["data"]["project"]["id"] == setup.project.id for s in snapshots)
    assert 1 <= builds <= 5
