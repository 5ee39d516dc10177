"""The short soak of issue 6, run in CI: two processes on PostgreSQL + Redis, 200 boards, 20 s of posts.
(The full run is `python -m bench soak`: 1,000 boards, 100 posts/s, 60 s; figures in bench/RESULTS.md.)"""

import pytest

from bench.soak import soak

pytestmark = pytest.mark.multiprocess


async def test_short_soak_loses_and_doubles_nothing_and_does_not_grow():
    result = await soak(boards=200, rate=20, seconds=20)
    assert result["posted"] >= 390 and result["failed_posts"] == 0
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["gaps"] == 0
    assert result["rss_growth_pct"] <= 10, result
    print(
        f"soak p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, RSS {result['rss_growth_pct']:+.1f}%"
    )
