"""argon2 runs in a worker thread, outside any database transaction: a sign-in (or a password change)
neither stalls the event loop nor holds SQLite's write lock while the password is hashed."""

import asyncio
import gc
import threading
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from server.accounts import security
from server.accounts.models import User
from tests.factories import PASSWORD
from tests.web import csrf_of, log_in, login_token

NEW_PASSWORD = "kopi-tubruk-pagi"


class WatchedHasher(PasswordHasher):
    """argon2 as configured, calling `on_use` (in the hashing thread) before each hash and check."""

    def __init__(self, on_use, **parameters):
        super().__init__(**parameters)
        self.on_use = on_use

    def hash(self, password, *, salt=None):
        self.on_use()
        return super().hash(password, salt=salt)

    def verify(self, hash, password):  # noqa: A002  (argon2's own parameter name)
        self.on_use()
        return super().verify(hash, password)


@pytest.fixture
def held_hashing(monkeypatch):
    """The first password check or hashing waits in its thread until the test releases it; `started`
    is set once it is waiting. Later ones run at once."""
    started, release, first = threading.Event(), threading.Event(), threading.Lock()

    def hold():
        if first.acquire(blocking=False):
            started.set()
            release.wait(10)

    cheap = security._hasher
    hasher = WatchedHasher(
        hold, time_cost=cheap.time_cost, memory_cost=cheap.memory_cost, parallelism=cheap.parallelism
    )
    monkeypatch.setattr(security, "_hasher", hasher)
    yield started, release
    release.set()


async def _page_sign_in(client, world):
    form = {"username": world.member.username, "password": PASSWORD, "csrf_token": await login_token(client)}
    return lambda: client.post("/login", data=form), 303


async def _api_sign_in(client, world):
    form = {"username": world.member.username, "password": PASSWORD}
    return lambda: client.post("/api/v1/auth/token", data=form), 200


async def _api_password(client, world):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    headers = world.auth(world.member)
    return lambda: client.post("/api/v1/me/password", json=body, headers=headers), 204


async def _page_password(client, world):
    await log_in(client, world.member)
    csrf = csrf_of((await client.get("/account/password")).text)
    form = {
        "csrf_token": csrf,
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD,
    }
    return lambda: client.post("/account/password", data=form), 303


async def _api_reset(client, world):
    body = {"password": NEW_PASSWORD}
    headers = world.auth(world.admin)
    return lambda: client.patch(f"/api/v1/users/{world.member.id}", json=body, headers=headers), 200


async def _api_new_user(client, world):
    body = {
        "username": "pegawai.baru",
        "password": NEW_PASSWORD,
        "name": "Pegawai Baru",
        "nip": "199203142019031002",
        "role": "staff",
        "unit_id": world.bidang.id,
    }
    headers = world.auth(world.admin)
    return lambda: client.post("/api/v1/users", json=body, headers=headers), 201


async def _admin_page_reset(client, world):
    await log_in(client, world.admin)
    page = await client.get(f"/admin/users/{world.member.id}")
    form = {
        "csrf_token": csrf_of(page.text),
        "name": world.member.name,
        "role": "staff",
        "unit_id": str(world.bidang.id),
        "is_active": "1",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    return lambda: client.post(f"/admin/users/{world.member.id}", data=form), 303


@pytest.mark.parametrize(
    "entrance",
    [
        _page_sign_in,
        _api_sign_in,
        _api_password,
        _page_password,
        _api_reset,
        _api_new_user,
        _admin_page_reset,
    ],
)
async def test_another_users_write_goes_through_while_a_password_is_hashed(
    app, client, world, request, entrance
):
    send, succeeded = await entrance(client, world)
    started, release = request.getfixturevalue("held_hashing")
    hashing = asyncio.create_task(send())
    assert await asyncio.to_thread(started.wait, 10), "the password was never checked"
    write = client.patch(
        f"/api/v1/units/{world.sibling.id}", json={"population": 321}, headers=world.auth(world.admin)
    )
    written = await asyncio.wait_for(write, 5)
    assert written.status_code == 200
    assert not hashing.done(), "the password check finished before the other write could start"
    release.set()
    assert (await hashing).status_code == succeeded


async def test_a_password_reset_during_a_sign_in_wins(client, world, held_hashing):
    started, release = held_hashing
    token = await login_token(client)
    form = {"username": world.member.username, "password": PASSWORD, "csrf_token": token}
    page = asyncio.create_task(client.post("/login", data=form))
    assert await asyncio.to_thread(started.wait, 10)
    reset = await client.patch(
        f"/api/v1/users/{world.member.id}", json={"password": NEW_PASSWORD}, headers=world.auth(world.admin)
    )
    assert reset.status_code == 200
    release.set()
    signed_in = await page
    assert signed_in.status_code == 401 and "pantau_session" not in signed_in.headers.get("set-cookie", "")


async def test_a_token_issued_while_a_reset_lands_is_refused(client, world, held_hashing):
    started, release = held_hashing
    form = {"username": world.member.username, "password": PASSWORD}
    issuing = asyncio.create_task(client.post("/api/v1/auth/token", data=form))
    assert await asyncio.to_thread(started.wait, 10)
    reset = await client.patch(
        f"/api/v1/users/{world.member.id}", json={"password": NEW_PASSWORD}, headers=world.auth(world.admin)
    )
    assert reset.status_code == 200
    release.set()
    issued = await issuing
    assert issued.status_code == 200  # the old password was right when it was checked ...
    headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401  # ... but the reset won


class LoopLag:
    """The longest the event loop was late to wake a task that sleeps 5 ms at a time."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - before - 0.005)

    async def stop(self) -> float:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.worst


@pytest.fixture
def settled_heap():
    """What the app does at start (server/app.py): everything alive so far is kept out of the collector's
    full passes. Without it, a full pass over all that the test session has made so far (not the app's
    doing) paused the loop for 0.1 s in a run of the whole suite."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.mark.timing
async def test_twenty_sign_ins_at_once_do_not_stall_the_loop(
    app, client, world, runtime, monkeypatch, from_address, settled_heap
):
    """Before, argon2 ran on the event loop: 20 sign-ins at once kept /healthz waiting 4.8 s."""
    # Production argon2 (0.1-0.3 s a hash here), not the cheap parameters of the other tests.
    slow_hash = PasswordHasher().hash(PASSWORD)
    hashing = threading.Event()
    monkeypatch.setattr(security, "_hasher", WatchedHasher(hashing.set))
    async with runtime.transaction() as session:
        await session.execute(update(User).where(User.id == world.member.id).values(password_hash=slow_hash))
    browsers = [from_address(f"10.8.0.{n}") for n in range(20)]
    username = world.member.username
    forms = [
        {"username": username, "password": PASSWORD, "csrf_token": await login_token(browser)}
        for browser in browsers[:10]
    ]
    health: list[float] = []

    async def healthz_while_hashing(done: asyncio.Event) -> None:
        assert await asyncio.to_thread(hashing.wait, 10)
        while not done.is_set():
            started = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            health.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)

    lag = LoopLag()
    done = asyncio.Event()
    probe = asyncio.create_task(healthz_while_hashing(done))
    answers = await asyncio.gather(
        *(browser.post("/login", data=form) for browser, form in zip(browsers[:10], forms, strict=True)),
        *(
            browser.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            for browser in browsers[10:]
        ),
    )
    done.set()
    await probe
    worst_lag = await lag.stop()
    for browser in browsers:
        await browser.aclose()
    assert [a.status_code for a in answers] == [303] * 10 + [200] * 10
    assert worst_lag < 0.1, f"the event loop stalled for {worst_lag:.3f} s"
    assert max(health) < 0.1, f"/healthz took up to {max(health):.3f} s while passwords were hashed"
    assert len(health) >= 10  # the sign-ins took a while: the probe answered all along
