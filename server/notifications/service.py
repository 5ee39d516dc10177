"""Telling people things: the bell's notifications, written in the transaction of the change that causes
them, each announced live on its reader's own board ("user:{id}"), and each person's choice per kind of
whether an e-mail goes too.

A notification keeps an Indonesian message id and its parameters, not a rendered text: it is rendered in
the reader's language where it is shown (the pages, the e-mail). The live event carries the Indonesian
rendering, which the bell shows until the page is next loaded."""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import User
from server.errors import Invalid
from server.notifications.models import Notification, NotificationPreference
from server.notifications.outbox import enqueue_notification
from server.realtime.events import record_event, user_board
from server.text import N_

KINDS = (
    "blocker",
    "milestone_reported",
    "milestone_due",
    "milestone_overdue",
    "update_response",
    "evaluation_confirmed",
    "dialog",
    "stale",
)
CHANNELS = ("in_app", "email", "digest")
DEFAULT_CHANNEL = "in_app"

# What each kind is called where a person chooses its channel (rendered by the pages).
KIND_LABELS = {
    "blocker": N_("Kendala pada proyek yang Anda pimpin"),
    "milestone_reported": N_("Tonggak dilaporkan selesai oleh anggota"),
    "milestone_due": N_("Tonggak jatuh tempo dalam 3 hari kerja"),
    "milestone_overdue": N_("Tonggak melewati tenggat"),
    "update_response": N_("Pembaruan Anda ditanggapi"),
    "evaluation_confirmed": N_("Penilaian dikonfirmasi"),
    "dialog": N_("Catatan dialog kinerja"),
    "stale": N_("Belum ada pembaruan"),
}


def params_of(notification: Notification) -> dict[str, Any]:
    try:
        value = json.loads(notification.params or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def render(message: str, params: dict[str, Any]) -> str:
    """`message % params`, or the message alone when its placeholders do not match (a stored message is
    never worth a failed page)."""
    try:
        return message % params if params else message
    except (KeyError, TypeError, ValueError):
        return message


def describe(notification: Notification, *, text: str | None = None) -> dict[str, Any]:
    """A notification as the API and the live event show it; `text` rendered in Indonesian unless given."""
    return {
        "id": notification.id,
        "kind": notification.kind,
        "text": text if text is not None else render(notification.message, params_of(notification)),
        "url": notification.url,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


async def unread_count(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
    )
    return int(count or 0)


async def latest(
    session: AsyncSession, user_id: int, *, limit: int = 20, unread_only: bool = False
) -> list[Notification]:
    query = select(Notification).where(col(Notification.user_id) == user_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    query = query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def preferences_of(session: AsyncSession, user_id: int) -> dict[str, str]:
    """Every kind's channel for this person (a kind they never chose is "in_app")."""
    rows = await session.scalars(
        select(NotificationPreference).where(col(NotificationPreference.user_id) == user_id)
    )
    chosen = {row.kind: row.channel for row in rows.all()}
    return {kind: chosen.get(kind, DEFAULT_CHANNEL) for kind in KINDS}


async def set_preference(session: AsyncSession, *, user: User, kind: str, channel: str) -> None:
    """Choose how `user` hears of `kind`. E-mail (at once or as a digest) needs an e-mail address."""
    if kind not in KINDS:
        raise Invalid("Unknown notification kind")
    if channel not in CHANNELS:
        raise Invalid("Channel must be in_app, email or digest")
    if channel != DEFAULT_CHANNEL and not user.email:
        raise Invalid("An e-mail channel needs an e-mail address on the account")
    assert user.id is not None
    row = await session.get(NotificationPreference, (user.id, kind))
    if channel == DEFAULT_CHANNEL:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(NotificationPreference(user_id=user.id, kind=kind, channel=channel))
    else:
        row.channel = channel
    await session.flush()


async def _already_told(session: AsyncSession, user_ids: list[int], dedupe_key: str) -> set[int]:
    rows = await session.scalars(
        select(col(Notification.user_id)).where(
            col(Notification.user_id).in_(user_ids), col(Notification.dedupe_key) == dedupe_key
        )
    )
    return set(rows.all())


async def _email_recipients(session: AsyncSession, user_ids: list[int], kind: str) -> dict[int, User]:
    """The users among these who chose e-mail at once for this kind and have an address (and are active)."""
    rows = await session.scalars(
        select(User)
        .join(NotificationPreference, col(NotificationPreference.user_id) == col(User.id))
        .where(
            col(User.id).in_(user_ids),
            col(NotificationPreference.kind) == kind,
            col(NotificationPreference.channel) == "email",
            col(User.email).is_not(None),
            col(User.is_active).is_(True),
        )
    )
    return {user.id: user for user in rows.all() if user.id is not None and user.email}


async def notify(
    session: AsyncSession,
    *,
    user_ids: Iterable[int],
    kind: str,
    message: str,
    params: dict[str, Any] | None = None,
    url: str | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Tell these users something, in the caller's transaction (a rolled-back change tells no one).

    Each user is told once: duplicates in `user_ids` count once, and a user who already has a
    notification with this `dedupe_key` is skipped (a reminder job run twice). Each new notification is
    announced on its reader's board; a reader who chose e-mail for this kind gets one queued as well."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    recipients = sorted({int(user_id) for user_id in user_ids})
    if not recipients:
        return []
    if dedupe_key is not None:
        told = await _already_told(session, recipients, dedupe_key)
        recipients = [user_id for user_id in recipients if user_id not in told]
        if not recipients:
            return []
    params = dict(params or {})
    params_json = json.dumps(params, ensure_ascii=False, default=str)
    now = clock.now()
    created = [
        Notification(
            user_id=user_id,
            kind=kind,
            message=message,
            params=params_json,
            url=url,
            dedupe_key=dedupe_key,
            created_at=now,
        )
        for user_id in recipients
    ]
    session.add_all(created)
    await session.flush()
    text = render(message, params)
    for notification in created:
        await record_event(
            session,
            boards=[user_board(notification.user_id)],
            type="notification.created",
            data={
                "unread": await unread_count(session, notification.user_id),
                "notification": {
                    key: value for key, value in describe(notification, text=text).items() if key != "read_at"
                },
            },
        )
    await _queue_emails(session, created, kind)
    return created


async def _queue_emails(session: AsyncSession, created: Sequence[Notification], kind: str) -> None:
    by_email = await _email_recipients(session, [n.user_id for n in created], kind)
    if not by_email:
        return
    for notification in created:
        user = by_email.get(notification.user_id)
        if user is not None:
            await enqueue_notification(session, notification=notification, user=user)


async def mark_read(session: AsyncSession, *, user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark this user's notifications read (the given ones, or all when `ids` is None); others' ids are
    ignored. Announces the new unread count on the user's board when anything changed."""
    query = (
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=clock.now())
    )
    if ids is not None:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        query = query.where(col(Notification.id).in_(wanted))
    result = await session.execute(query.execution_options(synchronize_session=False))
    changed = int(getattr(result, "rowcount", 0) or 0)
    if changed:
        await record_event(
            session,
            boards=[user_board(user_id)],
            type="notification.read",
            data={"unread": await unread_count(session, user_id)},
        )
    return changed


async def bell_snapshot(session: AsyncSession, user_id: int, *, limit: int = 10) -> dict[str, Any]:
    """What the per-user board opens with: the unread count and the newest notifications (Indonesian)."""
    return {
        "unread": await unread_count(session, user_id),
        "latest": [describe(notification) for notification in await latest(session, user_id, limit=limit)],
    }
