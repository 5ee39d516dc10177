from sqlalchemy import func, select

from server.accounts.models import User


def _user_body(world, **overrides):
    return {
        "username": "budi",
        "password": "sandi-aman-1",
        "name": "Budi Santoso",
        "nip": "1985 0315 201001 1 042",
        "role": "staff",
        "unit_id": world.bidang.id,
        "supervisor_id": world.lead.id,
    } | overrides


async def _user_count(runtime):
    async with runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(User))


async def test_admin_creates_unit_tree(client, world):
    response = await client.post(
        "/api/v1/units",
        json={"name": "Bidang Data", "parent_id": world.dinas.id, "population": 500},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 201
    unit = response.json()
    assert unit == {"id": unit["id"], "name": "Bidang Data", "parent_id": world.dinas.id, "population": 500}
    patched = await client.patch(
        f"/api/v1/units/{unit['id']}", json={"population": 800}, headers=world.auth(world.admin)
    )
    assert patched.status_code == 200 and patched.json()["population"] == 800
    listed = await client.get("/api/v1/units", headers=world.auth(world.member))
    assert unit["id"] in [u["id"] for u in listed.json()]


async def test_non_admin_cannot_create_units(client, world):
    response = await client.post("/api/v1/units", json={"name": "X"}, headers=world.auth(world.leader))
    assert response.status_code == 403


async def test_unit_cannot_move_under_its_own_subunit(client, world):
    response = await client.patch(
        f"/api/v1/units/{world.dinas.id}",
        json={"parent_id": world.bidang.id},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 422


async def test_unknown_unit_is_404(client, world):
    response = await client.patch("/api/v1/units/9999", json={"name": "X"}, headers=world.auth(world.admin))
    assert response.status_code == 404


async def test_admin_creates_user_with_spaced_nip(client, world):
    response = await client.post("/api/v1/users", json=_user_body(world), headers=world.auth(world.admin))
    assert response.status_code == 201
    user = response.json()
    assert user["nip"] == "198503152010011042"
    assert set(user) >= {"id", "username", "name", "nip", "role", "unit_id", "supervisor_id"}
    assert "password" not in user and "password_hash" not in user


async def test_invalid_nip_is_422_naming_the_part_and_writes_nothing(client, world, runtime):
    before = await _user_count(runtime)
    response = await client.post(
        "/api/v1/users", json=_user_body(world, nip="198513152010011042"), headers=world.auth(world.admin)
    )
    assert response.status_code == 422
    assert "birth date" in response.text
    sex = await client.post(
        "/api/v1/users", json=_user_body(world, nip="198503152010013042"), headers=world.auth(world.admin)
    )
    assert sex.status_code == 422 and "sex digit" in sex.text
    assert await _user_count(runtime) == before


async def test_duplicate_username_or_nip_is_409(client, world):
    first = await client.post("/api/v1/users", json=_user_body(world), headers=world.auth(world.admin))
    assert first.status_code == 201
    same_name = await client.post(
        "/api/v1/users", json=_user_body(world, nip="199001012015032007"), headers=world.auth(world.admin)
    )
    assert same_name.status_code == 409
    same_nip = await client.post(
        "/api/v1/users", json=_user_body(world, username="budi2"), headers=world.auth(world.admin)
    )
    assert same_nip.status_code == 409


async def test_staff_cannot_create_users(client, world):
    response = await client.post("/api/v1/users", json=_user_body(world), headers=world.auth(world.member))
    assert response.status_code == 403


async def test_user_with_unknown_unit_is_422(client, world):
    response = await client.post(
        "/api/v1/users", json=_user_body(world, unit_id=9999), headers=world.auth(world.admin)
    )
    assert response.status_code == 422


async def test_weak_passwords_are_refused(client, world, runtime):
    before = await _user_count(runtime)
    for password, why in (
        ("pendek1", "at least 8"),
        ("12345678", "too easy"),
        ("aaaaaaaaaaa", "too easy"),
        ("budi-rahasia-9", "username"),
    ):
        response = await client.post(
            "/api/v1/users", json=_user_body(world, password=password), headers=world.auth(world.admin)
        )
        assert response.status_code == 422 and why in response.text, password
    assert await _user_count(runtime) == before
    weak_reset = await client.patch(
        f"/api/v1/users/{world.member.id}", json={"password": "password"}, headers=world.auth(world.admin)
    )
    assert weak_reset.status_code == 422
