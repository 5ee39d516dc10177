"""One OS process checking the daily jobs, for tests/notifications/test_scheduler.py: it connects, says
"ready", waits for a line on stdin (so that two start their check at the same moment), runs
`run_due_jobs` at the moment given as its argument and prints the jobs it ran."""

import asyncio
import sys
from datetime import datetime

from server import scheduler
from server.config import Settings
from server.runtime import Runtime


async def main(moment: datetime) -> None:
    runtime = Runtime.create(Settings())
    try:
        async with runtime.sessionmaker() as session:  # connected before the start signal
            await session.connection()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        ran = await scheduler.run_due_jobs(runtime, now=moment)
        print("ran " + ",".join(ran), flush=True)
    finally:
        await runtime.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(datetime.fromisoformat(sys.argv[1])))
