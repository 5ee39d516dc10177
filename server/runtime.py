"""What one app process owns while it runs: the engine, the broker and the board hub."""

import asyncio
import logging
import secrets
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server import housekeeping, scheduler
from server.accounts.models import AppSetting
from server.config import Settings
from server.db import checkpoint, is_sqlite, make_engine, make_sessionmaker, transaction
from server.errors import Conflict
from server.notifications.outbox import PENDING_KEY, SmtpTarget
from server.ratelimit import Limiter
from server.realtime.broker import MemoryBroker, make_broker
from server.realtime.events import (
    board_position,
    board_positions,
    events_after,
    take_pending,
)
from server.realtime.hub import Hub

log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 1.0
# How often the open boards' positions are compared with the database's (Hub.check_positions): an event
# whose publish was lost reaches a quiet board within about this long (plus the gap wait).
BOARD_CHECK_SECONDS = 1.0


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # For work that only reads (GET requests, board snapshots). On SQLite a second engine whose
    # transactions do not take the write lock; on PostgreSQL the same engine.
    read_engine: AsyncEngine
    read_sessionmaker: async_sessionmaker[AsyncSession]
    hub: Hub
    broker: MemoryBroker
    # Rate-limit counters: this process's memory, or Redis shared by every process when configured.
    limiter: Limiter
    secret_key: str = ""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Set after a commit that wrote e-mail to the outbox: the worker sends it now rather than at its next look.
    outbox_wake: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def create(cls, settings: Settings) -> "Runtime":
        lock_wait = settings.database_lock_wait_seconds
        engine = make_engine(settings.database_url, lock_wait=lock_wait)
        sessionmaker = make_sessionmaker(engine)
        read_engine = (
            make_engine(settings.database_url, writes=False, lock_wait=lock_wait)
            if is_sqlite(settings.database_url)
            else engine
        )
        read_sessionmaker = make_sessionmaker(read_engine)

        async def load_events(board: str, after: int, upto: int | None) -> list[tuple[int, str]]:
            async with read_sessionmaker() as session:
                return await events_after(session, board, after, upto)

        async def load_position(board: str) -> int:
            async with read_sessionmaker() as session:
                return await board_position(session, board)

        async def load_positions(boards: list[str]) -> dict[str, int]:
            async with read_sessionmaker() as session:
                return await board_positions(session, boards)

        hub = Hub(
            load_events=load_events,
            load_position=load_position,
            load_positions=load_positions,
            queue_size=settings.board_queue_size,
            gap_wait=settings.board_gap_wait_seconds,
        )
        broker = make_broker(hub, settings.redis_url, settings.redis_prefix)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            read_engine=read_engine,
            read_sessionmaker=read_sessionmaker,
            hub=hub,
            broker=broker,
            limiter=Limiter.from_settings(settings),
        )

    async def start(self) -> None:
        self.secret_key = self.settings.secret_key or await self._shared_secret()
        await self.broker.start()
        self._tasks.append(asyncio.get_running_loop().create_task(self._housekeeping()))
        self._tasks.append(
            asyncio.get_running_loop().create_task(self.hub.watch_positions(BOARD_CHECK_SECONDS))
        )
        if is_sqlite(self.settings.database_url):
            self._tasks.append(asyncio.get_running_loop().create_task(self._checkpointing()))
        if self.settings.scheduler:
            self._tasks.append(asyncio.get_running_loop().create_task(scheduler.scheduler_loop(self)))
        if self.settings.smtp_url and self.settings.smtp_from:
            worker = scheduler.outbox_loop(
                self,
                target=SmtpTarget.from_url(self.settings.smtp_url),
                sender=self.settings.smtp_from,
                wake=self.outbox_wake,
            )
            self._tasks.append(asyncio.get_running_loop().create_task(worker))
        else:
            log.info("PANTAU_SMTP_URL is not set: e-mails are kept in the outbox, none is sent")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.hub.access.stop()
        await self.broker.stop()
        await self.limiter.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()

    async def publish_pending(self, session: AsyncSession) -> None:
        if session.info.pop(PENDING_KEY, False):
            self.outbox_wake.set()
        events = take_pending(session)
        if events:
            await self.broker.publish(events)

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A unit of work outside a request (CLI, demo loader, WebSocket), publishing after commit."""
        return transaction(self.sessionmaker, after_commit=self.publish_pending)

    async def _shared_secret(self) -> str:
        """Generated once and kept in the database, so every process sharing it signs alike."""
        query = select(AppSetting.value).where(AppSetting.key == "secret_key")
        try:
            async with transaction(self.sessionmaker) as session:
                stored = await session.scalar(query)
                if stored:
                    return stored
                candidate = secrets.token_urlsafe(48)
                session.add(AppSetting(key="secret_key", value=candidate))
            return candidate
        except Conflict:
            # Another process starting at the same moment stored its key first: use that one.
            async with self.sessionmaker() as session:
                return str(await session.scalar(query))

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(3600)
            await housekeeping.prune(self.sessionmaker, self.settings)

    async def _checkpointing(self) -> None:
        """SQLite's log checkpoints, taken out of the requests (server/db.py) and run here."""
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            try:
                await checkpoint(self.read_engine)
            except Exception:
                log.warning("checkpoint failed; will retry", exc_info=True)
