from datetime import timedelta

from sqlalchemy import update

from server import clock
from server.accounts.models import User
from tests.factories import PASSWORD


async def test_token_for_valid_password_and_me(client, world):
    response = await client.post(
        "/api/v1/auth/token", data={"username": world.member.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == world.member.username
    assert "password" not in me.text and "password_hash" not in me.json()


async def test_wrong_password_is_401(client, world):
    response = await client.post(
        "/api/v1/auth/token", data={"username": world.member.username, "password": "salah"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password"}


async def test_me_without_token_is_401(client, world):
    assert (await client.get("/api/v1/me")).status_code == 401
    forged = await client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401


async def test_expired_token_is_refused(client, world):
    headers = world.auth(world.member)
    clock.freeze(clock.now() + timedelta(days=2))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_a_token_is_verified_once_and_still_refused_once_expired(client, world, monkeypatch):
    """Verified tokens are kept (server/accounts/security.py `_verified`): the signature is checked once,
    the expiry on every request."""
    from server.accounts import security

    decoded: list[str] = []
    real_decode = security.jwt.decode

    def counting_decode(token, *args, **kwargs):
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    security._verified.cache_clear()
    monkeypatch.setattr(security.jwt, "decode", counting_decode)
    headers = world.auth(world.member)
    for _ in range(3):
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert len(decoded) == 1
    token = headers["Authorization"].removeprefix("Bearer ")
    # Another signature on the same claims is checked, and refused, every time it comes.
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        answer = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        assert answer.status_code == 401
    assert decoded.count(forged) == 2
    clock.freeze(clock.now() + timedelta(days=2))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_disabled_users_token_stops_working(client, world, runtime):
    headers = world.auth(world.member)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    async with runtime.transaction() as session:
        await session.execute(update(User).where(User.id == world.member.id).values(is_active=False))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    response = await client.post(
        "/api/v1/auth/token", data={"username": world.member.username, "password": PASSWORD}
    )
    assert response.status_code == 401
