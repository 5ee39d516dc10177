"""Open boards follow access: a board socket stays open only while the check its handshake ran would
still let its viewer in.

Every change that can take a board away from someone (signing out, a password change or reset, a
deactivation or reactivation, a role or unit change, removal from a project, a unit moved in the tree)
queues an AccessChanged notice in its own transaction (server/realtime/events.access_changed). Once the
change has committed, the broker hands the notice to this process's AccessWatch and, through Redis, to
every other process's. Each checks the open sockets of the users named, with the handshake's own check
(opening.BoardViewer), and closes those that fail it: 4401 when the credentials are gone, 4404 when the
board is no longer theirs to see.

A socket is watched from before its handshake check: a notice that arrives while that check runs (which
may have read the database as it was before the change) makes the socket check again once it is open."""

import asyncio
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the hub imports this module; it needs none of the event log's database code
    from server.realtime.events import AccessChanged


class Viewer(Protocol):
    """Who opened a board socket (server/realtime/opening.py's BoardViewer)."""

    @property
    def user_id(self) -> int | None:
        """The viewer's user, known once the handshake check has passed."""

    @property
    def session_hash(self) -> str | None:
        """The digest of the web session the socket was opened with (None for a bearer token)."""

    async def recheck(self) -> None:
        """Run the handshake's check again and close the socket if it fails now."""


class AccessWatch:
    """One per process (the hub's): the open board sockets by user, and their checks after a notice."""

    def __init__(self) -> None:
        self.by_user: dict[int, set[Viewer]] = {}
        # Sockets whose handshake check is running, and whether a notice arrived meanwhile.
        self.checking: dict[Viewer, bool] = {}
        self.rechecked = 0  # how many sockets were checked again: what the notices cost
        self._tasks: set[asyncio.Task[None]] = set()

    def checking_started(self, viewer: Viewer) -> None:
        self.checking[viewer] = False

    def admitted(self, viewer: Viewer) -> None:
        """The handshake check passed and the socket is open: watch it under its user."""
        stale = self.checking.pop(viewer, False)
        assert viewer.user_id is not None, "admitted before the check found the user"
        self.by_user.setdefault(viewer.user_id, set()).add(viewer)
        if stale:
            self._recheck([viewer])

    def forget(self, viewer: Viewer) -> None:
        self.checking.pop(viewer, None)
        if viewer.user_id is not None:
            viewers = self.by_user.get(viewer.user_id)
            if viewers is not None:
                viewers.discard(viewer)
                if not viewers:
                    del self.by_user[viewer.user_id]

    def changed(self, notice: "AccessChanged") -> None:
        """Check again, in the background, every open socket the notice is about."""
        for viewer in self.checking:
            self.checking[viewer] = True
        if notice.everyone:
            self.recheck_everyone()
            return
        affected = [
            viewer
            for user_id in notice.user_ids
            for viewer in self.by_user.get(user_id, ())
            if notice.session_hash is None or viewer.session_hash == notice.session_hash
        ]
        if affected:
            self._recheck(affected)

    def recheck_everyone(self) -> None:
        """Every open socket checks again: for a change that touches many (a unit moved), or after this
        process may have missed notices (its Redis subscription was lost)."""
        for viewer in self.checking:
            self.checking[viewer] = True
        everyone = [viewer for viewers in self.by_user.values() for viewer in viewers]
        if everyone:
            self._recheck(everyone)

    def _recheck(self, viewers: list[Viewer]) -> None:
        self.rechecked += len(viewers)
        task = asyncio.get_running_loop().create_task(self._rechecking(viewers))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _rechecking(self, viewers: list[Viewer]) -> None:
        # Each check takes one of the hub's opening turns, as a handshake's does: a notice about a
        # thousand wall screens costs the database a few checks at a time.
        await asyncio.gather(*(viewer.recheck() for viewer in viewers))

    async def settled(self) -> None:
        """Wait until the checks already started have finished (tests; shutting down)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
