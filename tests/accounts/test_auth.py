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
