"""GET /api/v1/me/notifications, POST .../read, GET|PUT /api/v1/me/notification-preferences."""

from sqlalchemy import update

from server.accounts.models import User
from server.notifications import service as notifications
from server.text import N_


async def _tell(runtime, user, text="Kendala di %(project)s"):
    async with runtime.transaction() as db:
        (made,) = await notifications.notify(
            db,
            user_ids=[user.id],
            kind="blocker",
            message=N_(text),
            params={"project": "P"},
            url="/projects/1",
        )
    return made


async def test_list_and_mark_read(client, world, runtime):
    first = await _tell(runtime, world.member)
    second = await _tell(runtime, world.member)
    other = await _tell(runtime, world.lead)
    headers = world.auth(world.member)
    listed = (await client.get("/api/v1/me/notifications", headers=headers)).json()
    assert listed["unread"] == 2
    assert [n["id"] for n in listed["notifications"]] == [second.id, first.id]
    assert listed["notifications"][0]["text"] == "Kendala di P"
    assert listed["notifications"][0]["params"] == {"project": "P"}

    marked = await client.post(
        "/api/v1/me/notifications/read", json={"ids": [first.id, other.id]}, headers=headers
    )
    assert marked.status_code == 200, marked.text
    assert marked.json() == {"marked": 1, "unread": 1}
    unread = (await client.get("/api/v1/me/notifications?unread=true", headers=headers)).json()
    assert [n["id"] for n in unread["notifications"]] == [second.id]
    assert (await client.post("/api/v1/me/notifications/read", headers=headers)).json() == {
        "marked": 1,
        "unread": 0,
    }
    # The other person's notification is untouched.
    lead = (await client.get("/api/v1/me/notifications", headers=world.auth(world.lead))).json()
    assert lead["unread"] == 1


async def test_preferences(client, world, runtime):
    headers = world.auth(world.member)
    got = (await client.get("/api/v1/me/notification-preferences", headers=headers)).json()
    assert set(got["preferences"].values()) == {"in_app"}
    async with runtime.transaction() as db:
        await db.execute(update(User).where(User.id == world.member.id).values(email="anggota@example.go.id"))
    response = await client.put(
        "/api/v1/me/notification-preferences", json={"preferences": {"blocker": "email"}}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["preferences"]["blocker"] == "email"
    bad = await client.put(
        "/api/v1/me/notification-preferences", json={"preferences": {"weather": "email"}}, headers=headers
    )
    assert bad.status_code == 422 and "kind" in bad.json()["detail"]


async def test_email_needs_an_address_and_a_refusal_writes_nothing(client, world, runtime):
    async with runtime.transaction() as db:
        await db.execute(update(User).where(User.id == world.member.id).values(email=None))
    headers = world.auth(world.member)
    response = await client.put(
        "/api/v1/me/notification-preferences",
        json={"preferences": {"dialog": "in_app", "blocker": "digest"}},
        headers=headers,
    )
    assert response.status_code == 422
    assert "e-mail" in response.json()["detail"]
    got = (await client.get("/api/v1/me/notification-preferences", headers=headers)).json()
    assert set(got["preferences"].values()) == {"in_app"}


async def test_signed_out_is_401(client):
    assert (await client.get("/api/v1/me/notifications")).status_code == 401
    assert (await client.post("/api/v1/me/notifications/read")).status_code == 401
