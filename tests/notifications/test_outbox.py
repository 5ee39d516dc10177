"""E-mail through the outbox, sent to a real SMTP server (aiosmtpd) that the tests start: written with the
change, retried with backoff when refused, sent once, over STARTTLS with a password, and never twice when
two workers claim at once."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server import clock, scheduler
from server.accounts.models import User
from server.notifications import outbox
from server.notifications.models import Notification, OutboxEmail
from server.notifications.outbox import SmtpTarget
from server.notifications.service import notify, set_preference
from server.runtime import Runtime
from server.text import N_
from tests.notifications.smtp import Recorder, make_certificate, smtp_server

SENDER = "pantau@bukitintan.go.id"
MONDAY = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 09:00 WIB
BLOCKER = N_("Kendala baru di %(project)s: %(text)s")


async def choose(runtime, user, *, channel="email", kind="blocker", email="asn@example.go.id", locale=None):
    async with runtime.transaction() as db:
        row = await db.get(User, user.id)
        row.email, row.locale = email, locale
        await set_preference(db, user=row, kind=kind, channel=channel)


async def tell(runtime, user, *, message=BLOCKER, kind="blocker", params=None):
    async with runtime.transaction() as db:
        params = {"project": "Gedung A & B", "text": "Semen terlambat"} if params is None else params
        await notify(db, user_ids=[user.id], kind=kind, message=message, params=params, url="/projects/1")


async def rows(runtime) -> list[OutboxEmail]:
    async with runtime.sessionmaker() as db:
        return list((await db.scalars(select(OutboxEmail).order_by(OutboxEmail.id))).all())


def plain(port: int) -> SmtpTarget:
    return SmtpTarget.from_url(f"smtp://127.0.0.1:{port}?starttls=false")


async def deliver(runtime, target, worker="worker-1") -> int:
    return await outbox.deliver_due(runtime.sessionmaker, target=target, sender=SENDER, worker_id=worker)


async def test_email_is_written_with_the_change_and_worded_in_the_readers_language(runtime, world):
    clock.freeze(MONDAY)
    await choose(runtime, world.member)
    await choose(runtime, world.lead, kind="evaluation_confirmed", locale="en", email="lead@example.go.id")
    await choose(runtime, world.leader, channel="in_app", email="leader@example.go.id")

    with pytest.raises(RuntimeError):
        async with runtime.transaction() as db:
            await notify(
                db,
                user_ids=[world.member.id],
                kind="blocker",
                message=BLOCKER,
                params={"project": "X", "text": "Y"},
            )
            raise RuntimeError("the change fails after the notification")
    assert await rows(runtime) == [], "a rolled-back change must send nothing"

    await tell(runtime, world.member)
    await tell(runtime, world.leader)  # in-app only: no e-mail
    await tell(runtime, world.lead, kind="evaluation_confirmed", message=N_("Ketepatan waktu"), params={})
    written = await rows(runtime)
    assert [(r.to_address, r.user_id) for r in written] == [
        ("asn@example.go.id", world.member.id),
        ("lead@example.go.id", world.lead.id),
    ]
    indonesian, english = written
    assert indonesian.subject == "[Pantau] Kendala baru di Gedung A & B: Semen terlambat"
    assert f"Halo {world.member.name}," in indonesian.body
    assert "Kendala baru di Gedung A & B: Semen terlambat" in indonesian.body  # not escaped: plain text
    assert english.subject == "[Pantau] Timeliness"
    assert indonesian.sent_at is None and indonesian.attempts == 0 and indonesian.send_after == MONDAY


async def test_refused_then_accepted_is_retried_after_the_backoff_and_sent_once(runtime, world):
    clock.freeze(MONDAY)
    await choose(runtime, world.member)
    await tell(runtime, world.member)
    recorder = Recorder(refuse=1)
    async with smtp_server(recorder) as port:
        assert await deliver(runtime, plain(port)) == 0
        [row] = await rows(runtime)
        assert recorder.attempts == 1 and recorder.received == []
        assert row.attempts == 1 and row.sent_at is None and "451" in (row.last_error or "")
        assert row.send_after == MONDAY + outbox.BACKOFF[0] and row.claimed_by is None

        # Not due yet: nothing is claimed, nothing reaches the server.
        clock.freeze(MONDAY + outbox.BACKOFF[0] - timedelta(seconds=1))
        assert await deliver(runtime, plain(port)) == 0
        assert recorder.attempts == 1

        clock.freeze(MONDAY + outbox.BACKOFF[0])
        assert await deliver(runtime, plain(port)) == 1
        assert await deliver(runtime, plain(port)) == 0
    assert recorder.attempts == 2 and len(recorder.received) == 1
    [got] = recorder.received
    assert got.sender == SENDER and got.recipients == ["asn@example.go.id"]
    assert got.message["Subject"] == row.subject and got.message["Message-ID"].startswith(
        f"<outbox-{row.id}-"
    )
    [row] = await rows(runtime)
    assert row.sent_at == MONDAY + outbox.BACKOFF[0] and row.attempts == 1


async def test_a_row_refused_every_time_is_given_up_with_its_error_kept(runtime, world):
    clock.freeze(MONDAY)
    await choose(runtime, world.member)
    await tell(runtime, world.member)
    recorder = Recorder(refuse=100, refusal="550 5.1.1 No such mailbox")
    moment = MONDAY
    async with smtp_server(recorder) as port:
        for wait in (*outbox.BACKOFF, timedelta(0)):
            assert await deliver(runtime, plain(port)) == 0
            moment += wait
            clock.freeze(moment)
        clock.freeze(moment + timedelta(days=30))
        assert await deliver(runtime, plain(port)) == 0
    assert recorder.attempts == outbox.MAX_ATTEMPTS
    [row] = await rows(runtime)
    assert row.attempts == outbox.MAX_ATTEMPTS and row.sent_at is None and "550" in (row.last_error or "")


async def test_starttls_with_a_password(runtime, world, tmp_path):
    clock.freeze(MONDAY)
    await choose(runtime, world.member)
    await tell(runtime, world.member)
    certificate = make_certificate(tmp_path)
    recorder = Recorder()
    async with smtp_server(recorder, certificate=certificate, login=("pantau", "rahasia s3kali")) as port:
        url = f"smtp://pantau:rahasia%20s3kali@127.0.0.1:{port}?cafile={certificate[0]}"
        assert await deliver(runtime, SmtpTarget.from_url(url)) == 1
    [got] = recorder.received
    assert (
        got.recipients == ["asn@example.go.id"]
        and "Semen terlambat" in got.message.get_payload(decode=True).decode()
    )


async def test_starttls_required_is_never_skipped(runtime, world, tmp_path):
    """smtp:// means STARTTLS: a server that does not offer it gets nothing in clear text."""
    clock.freeze(MONDAY)
    await choose(runtime, world.member)
    await tell(runtime, world.member)
    recorder = Recorder()
    async with smtp_server(recorder) as port:
        assert await deliver(runtime, SmtpTarget.from_url(f"smtp://127.0.0.1:{port}")) == 0
    assert recorder.attempts == 0
    [row] = await rows(runtime)
    assert row.sent_at is None and row.attempts == 1 and "STARTTLS" in (row.last_error or "")


async def test_two_workers_at_once_send_every_row_exactly_once(runtime, world):
    clock.freeze(MONDAY)
    await choose(runtime, world.member)
    async with runtime.transaction() as db:
        member = await db.get(User, world.member.id)
        for n in range(30):
            await outbox.enqueue_email(db, user=member, subject=f"Nomor {n}", body="isi")
    recorder = Recorder()
    async with smtp_server(recorder) as port:

        async def worker(name: str) -> int:
            sent = 0
            while True:
                step = await outbox.deliver_due(
                    runtime.sessionmaker, target=plain(port), sender=SENDER, worker_id=name, limit=4
                )
                if step == 0:
                    return sent
                sent += step

        counts = await asyncio.gather(worker("a"), worker("b"))
    subjects = sorted(r.message["Subject"] for r in recorder.received)
    assert subjects == sorted(f"Nomor {n}" for n in range(30)), "a row sent twice or not at all"
    assert sum(counts) == 30
    assert all(r.sent_at is not None for r in await rows(runtime))


async def test_a_claimed_row_is_left_to_its_worker_until_the_claim_runs_out(runtime, world):
    clock.freeze(MONDAY)
    await choose(runtime, world.member)
    await tell(runtime, world.member)
    async with runtime.transaction() as db:
        [claimed] = await outbox.claim_batch(db, worker_id="dead", now=MONDAY, limit=10)
    async with runtime.transaction() as db:
        assert await outbox.claim_batch(db, worker_id="other", now=MONDAY + timedelta(minutes=1)) == []
    async with runtime.transaction() as db:
        again = await outbox.claim_batch(
            db, worker_id="other", now=MONDAY + outbox.CLAIM_FOR + timedelta(seconds=1)
        )
    assert [row.id for row in again] == [claimed.id] and again[0].claimed_by == "other"


async def test_daily_digest_lists_yesterdays_unread_notifications(runtime, world):
    sunday = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)  # 10:00 WIB
    await choose(runtime, world.member, channel="digest")
    await choose(runtime, world.lead, channel="digest", email="lead@example.go.id")  # told nothing
    clock.freeze(sunday - timedelta(days=1))  # the day before yesterday: in the previous digest
    await tell(runtime, world.member, params={"project": "Lama", "text": "kemarin lusa"})
    clock.freeze(sunday)
    await tell(runtime, world.member, params={"project": "Gedung", "text": "belum dibaca"})
    await tell(runtime, world.member, params={"project": "Gedung", "text": "sudah dibaca"})
    await tell(
        runtime, world.member, kind="milestone_due", params={"project": "Lain", "text": "bukan ringkasan"}
    )
    async with runtime.transaction() as db:
        read = await db.scalar(select(Notification).where(Notification.params.contains("sudah dibaca")))
        read.read_at = sunday
    clock.freeze(
        MONDAY - timedelta(hours=1)
    )  # 08:00 WIB on Monday: today's post belongs to tomorrow's digest
    await tell(runtime, world.member, params={"project": "Gedung", "text": "hari ini"})
    assert await rows(runtime) == [], "digest readers get no e-mail at once"

    async with runtime.transaction() as db:
        assert await outbox.send_digests(db, today=MONDAY.astimezone(clock.JAKARTA).date()) == 1
    [digest] = await rows(runtime)
    assert (
        digest.user_id == world.member.id
        and digest.subject == "[Pantau] Ringkasan pemberitahuan 6 Desember 2026"
    )
    assert "Kendala baru di Gedung: belum dibaca" in digest.body
    for other in ("kemarin lusa", "sudah dibaca", "bukan ringkasan", "hari ini"):
        assert other not in digest.body

    async with runtime.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(OutboxEmail)) == 1


async def test_a_running_app_sends_the_mail_as_soon_as_the_change_commits(
    settings, runtime, world, monkeypatch
):
    """The runtime's worker is woken by the commit that wrote the e-mail, not by its next look."""
    monkeypatch.setattr(scheduler, "OUTBOX_SECONDS", 3600.0)
    marked = asyncio.Event()
    mark_sent = outbox.mark_sent

    async def mark_and_tell(*args, **kwargs):
        await mark_sent(*args, **kwargs)
        marked.set()

    monkeypatch.setattr(outbox, "mark_sent", mark_and_tell)
    recorder = Recorder()
    async with smtp_server(recorder) as port:
        smtp = {
            "smtp_url": f"smtp://127.0.0.1:{port}?starttls=false",
            "smtp_from": SENDER,
            "scheduler": False,
        }
        app_runtime = Runtime.create(settings.model_copy(update=smtp))
        await app_runtime.start()
        try:
            await choose(app_runtime, world.member)
            await tell(app_runtime, world.member)
            async with asyncio.timeout(20):
                await recorder.arrived.wait()
                await marked.wait()
        finally:
            await app_runtime.stop()
    [got] = recorder.received
    assert got.recipients == ["asn@example.go.id"]
    [row] = await rows(runtime)
    assert row.sent_at is not None and row.attempts == 0
