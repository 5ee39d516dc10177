"""E-mail through an outbox: a row written in the same transaction as the change that causes it (so a
rolled-back change sends nothing and a committed one is never lost), sent afterwards by a worker.

A worker claims a batch of due rows in one short transaction (SELECT ... FOR UPDATE SKIP LOCKED on
PostgreSQL, so two processes never take the same row; SQLite's write lock already serialises the claim),
commits, talks to the SMTP server with no transaction open, and records the outcome in a second one: sent,
or one more attempt with the next send time moved on by the backoff. A claim lasts CLAIM_FOR: a process
that dies mid-send leaves its rows to be claimed again after that. So each e-mail is sent once, except
when a process dies between the server's acceptance and the mark (then the row is sent again; the stable
Message-ID lets a mail system drop the copy).
"""

import logging
import ssl
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from server import clock, emails
from server.accounts.models import User
from server.db import transaction
from server.notifications.models import Notification, NotificationPreference, OutboxEmail

log = logging.getLogger(__name__)

# The wait after the 1st, 2nd, ... failed attempt; after the last the row is kept, unsent, with its error.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# Longer than one SMTP conversation can take (SEND_TIMEOUT per command), so a live worker keeps its rows.
CLAIM_FOR = timedelta(minutes=10)
SEND_TIMEOUT = 60.0
BATCH = 20
PENDING_KEY = "outbox_pending"


# --- writing ---------------------------------------------------------------------------------------------


async def enqueue_email(session: AsyncSession, *, user: User, subject: str, body: str) -> OutboxEmail | None:
    """An e-mail to `user`, sent after this transaction commits; None when the user has no address."""
    if not user.email:
        return None
    row = OutboxEmail(user_id=user.id, to_address=user.email, subject=subject[:300], body=body)
    session.add(row)
    await session.flush()
    # Read after commit by the runtime, which wakes its outbox worker (server/runtime.py publish_pending).
    session.info[PENDING_KEY] = True
    return row


async def enqueue_notification(
    session: AsyncSession, *, notification: Notification, user: User
) -> OutboxEmail | None:
    """The e-mail for one notification, worded now in the user's language (default Indonesian)."""
    subject, body = emails.render_notification(
        name=user.name,
        message=notification.message,
        params=notification.params,
        url=notification.url,
        locale=user.locale,
    )
    return await enqueue_email(session, user=user, subject=subject, body=body)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.JAKARTA).astimezone(clock.UTC)


async def send_digests(session: AsyncSession, *, today: date) -> int:
    """One e-mail per person with any "digest" preference, listing yesterday's (WIB) notifications of those
    kinds that are still unread; nobody gets an empty one. Returns how many e-mails were written. Each
    notification belongs to the digest of the day after it, so none is listed twice."""
    yesterday = today - timedelta(days=1)
    rows = await session.execute(
        select(Notification, User)
        .join(
            NotificationPreference,
            and_(
                col(NotificationPreference.user_id) == col(Notification.user_id),
                col(NotificationPreference.kind) == col(Notification.kind),
            ),
        )
        .join(User, col(User.id) == col(Notification.user_id))
        .where(
            col(NotificationPreference.channel) == "digest",
            col(Notification.read_at).is_(None),
            col(Notification.created_at) >= _day_start(yesterday),
            col(Notification.created_at) < _day_start(today),
            col(User.is_active).is_(True),
            col(User.email).is_not(None),
        )
        .order_by(col(Notification.user_id), col(Notification.created_at), col(Notification.id))
    )
    by_user: dict[int, tuple[User, list[Notification]]] = {}
    for notification, user in rows.all():
        by_user.setdefault(notification.user_id, (user, []))[1].append(notification)
    written = 0
    for user, notifications in by_user.values():
        locale = emails.locale_of(user.locale)
        items = [
            emails.Line(
                text=emails.notification_text(n.message, n.params, locale), link=emails.absolute(n.url)
            )
            for n in notifications
        ]
        subject, body = emails.render_digest(name=user.name, day=yesterday, items=items, locale=locale)
        if await enqueue_email(session, user=user, subject=subject, body=body) is not None:
            written += 1
    return written


# --- sending ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to send, from PANTAU_SMTP_URL (see server/config.py)."""

    host: str
    port: int
    username: str | None
    password: str | None
    # "starttls" (required, the default of smtp://), "tls" (smtps://) or "none" (smtp://...?starttls=false).
    security: str
    cafile: str | None = None

    @classmethod
    def from_url(cls, url: str) -> "SmtpTarget":
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if parts.scheme == "smtps":
            security = "tls"
        elif query.get("starttls", "true").lower() in ("false", "0", "no"):
            security = "none"
        else:
            security = "starttls"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if security == "tls" else 587 if security == "starttls" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            security=security,
            cafile=query.get("cafile"),
        )


def build_message(row: OutboxEmail, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    # Stable across retries: a copy sent again after a crash can be recognised as the same e-mail.
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "pantau"
    message["Message-ID"] = f"<outbox-{row.id}-{int(row.created_at.timestamp())}@{domain}>"
    message.set_content(row.body)
    return message


async def send_one(row: OutboxEmail, *, target: SmtpTarget, sender: str) -> None:
    """Hand one e-mail to the SMTP server; raises when it is not accepted."""
    context = ssl.create_default_context(cafile=target.cafile) if target.security != "none" else None
    await aiosmtplib.send(
        build_message(row, sender=sender),
        hostname=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.security == "tls",
        start_tls=True if target.security == "starttls" else False,
        tls_context=context,
        timeout=SEND_TIMEOUT,
    )


async def claim_batch(
    session: AsyncSession, *, worker_id: str, now: datetime, limit: int = BATCH
) -> list[OutboxEmail]:
    """Take up to `limit` due rows for `worker_id` until now + CLAIM_FOR; the caller commits before
    sending. Rows another transaction is claiming are skipped, not waited for."""
    query = (
        select(OutboxEmail)
        .where(
            col(OutboxEmail.sent_at).is_(None),
            col(OutboxEmail.send_after) <= now,
            col(OutboxEmail.attempts) < MAX_ATTEMPTS,
            or_(col(OutboxEmail.claimed_until).is_(None), col(OutboxEmail.claimed_until) < now),
        )
        .order_by(col(OutboxEmail.send_after), col(OutboxEmail.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.scalars(query)).all())
    for row in rows:
        row.claimed_by = worker_id
        row.claimed_until = now + CLAIM_FOR
    await session.flush()
    return rows


async def mark_sent(session: AsyncSession, *, email_id: int, worker_id: str, now: datetime) -> None:
    await session.execute(
        update(OutboxEmail)
        .where(col(OutboxEmail.id) == email_id, col(OutboxEmail.claimed_by) == worker_id)
        .values(sent_at=now, claimed_by=None, claimed_until=None, last_error=None)
    )


async def mark_failed(
    session: AsyncSession, *, email_id: int, worker_id: str, now: datetime, attempts: int, error: str
) -> None:
    """One more failed attempt (`attempts` counts it): due again after the backoff; after the last one the
    row stays unsent with its error for an administrator to read."""
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    await session.execute(
        update(OutboxEmail)
        .where(col(OutboxEmail.id) == email_id, col(OutboxEmail.claimed_by) == worker_id)
        .values(
            attempts=attempts,
            last_error=error[:2000],
            send_after=now + wait,
            claimed_by=None,
            claimed_until=None,
        )
    )


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    target: SmtpTarget,
    sender: str,
    worker_id: str,
    limit: int = BATCH,
) -> int:
    """One step of the worker: claim a batch, send each, record each outcome; returns how many were sent.
    No transaction is open while the SMTP server is talked to."""
    async with transaction(sessionmaker) as session:
        rows = await claim_batch(session, worker_id=worker_id, now=clock.now(), limit=limit)
    sent = 0
    for row in rows:
        assert row.id is not None
        try:
            await send_one(row, target=target, sender=sender)
        except Exception as exc:  # refused, unreachable, TLS trouble: all retried after the backoff
            log.warning(
                "e-mail %s to %s not sent (attempt %s): %s", row.id, row.to_address, row.attempts + 1, exc
            )
            async with transaction(sessionmaker) as session:
                await mark_failed(
                    session,
                    email_id=row.id,
                    worker_id=worker_id,
                    now=clock.now(),
                    attempts=row.attempts + 1,
                    error=describe_error(exc),
                )
            continue
        async with transaction(sessionmaker) as session:
            await mark_sent(session, email_id=row.id, worker_id=worker_id, now=clock.now())
        sent += 1
    return sent
