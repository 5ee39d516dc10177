"""A wall screen left on for days stays signed in: its page renews the session (wall.js), which then ends
`session_hours` later, but never more than `session_max_days` after signing in."""

from datetime import timedelta

from sqlalchemy import select, update

from server import clock
from server.accounts.models import WebSession
from tests.web import csrf_of, log_in


async def _session(runtime) -> WebSession:
    async with runtime.sessionmaker() as db:
        return (await db.scalars(select(WebSession))).one()


async def test_an_open_wall_screen_keeps_its_session_alive(client, world, runtime):
    await log_in(client, world.leader)
    page = await client.get(f"/board/unit/{world.bidang.id}?layout=wall")
    assert page.status_code == 200
    token = csrf_of(page.text)
    assert f'<meta name="csrf-token" content="{token}">' in page.text
    signed_in = await _session(runtime)

    clock.freeze(clock.now() + timedelta(hours=11))
    try:
        renewed = await client.post("/account/session/renew", data={"csrf_token": token})
        assert renewed.status_code == 204
        assert "max-age=43200" in renewed.headers["set-cookie"].lower()
        after = await _session(runtime)
        assert after.expires_at == clock.now() + timedelta(hours=runtime.settings.session_hours)
        assert after.expires_at > signed_in.expires_at
        clock.freeze(clock.now() + timedelta(hours=11))  # 22 hours after signing in: still signed in
        assert (await client.get(f"/board/unit/{world.bidang.id}?layout=wall")).status_code == 200
    finally:
        clock.freeze(None)


async def test_renewal_stops_at_the_longest_session(client, world, runtime):
    await log_in(client, world.leader)
    token = csrf_of((await client.get(f"/board/unit/{world.bidang.id}")).text)
    started = (await _session(runtime)).created_at
    last_day = started + timedelta(days=runtime.settings.session_max_days)
    clock.freeze(last_day - timedelta(hours=1))
    async with runtime.transaction() as db:  # renewed all along, as an open screen's page does
        await db.execute(update(WebSession).values(expires_at=last_day - timedelta(minutes=30)))
    try:
        assert (await client.post("/account/session/renew", data={"csrf_token": token})).status_code == 204
        assert (await _session(runtime)).expires_at == last_day
    finally:
        clock.freeze(None)


async def test_renewal_needs_the_sessions_form_token(client, world, runtime):
    await log_in(client, world.leader)
    before = (await _session(runtime)).expires_at
    refused = await client.post("/account/session/renew", data={"csrf_token": "not-it"})
    assert refused.status_code == 403
    assert (await _session(runtime)).expires_at == before
