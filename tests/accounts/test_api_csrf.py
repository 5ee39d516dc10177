"""The API takes the page session's cookie for a change only with the session's CSRF token in the
X-CSRF-Token header: another site's page can make a browser send the cookie, but cannot read the token."""

from sqlalchemy import func, select

from server.accounts.models import Unit
from tests.web import csrf_of, log_in


async def _units(runtime) -> int:
    async with runtime.read_sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Unit)))


async def test_a_change_with_the_cookie_alone_is_refused_and_writes_nothing(client, world, runtime):
    await log_in(client, world.admin)
    before = await _units(runtime)
    response = await client.post("/api/v1/units", json={"name": "Dinas Lewat Situs Lain"})
    assert response.status_code == 403
    assert "X-CSRF-Token" in response.json()["detail"]
    assert await _units(runtime) == before


async def test_a_wrong_csrf_header_is_refused(client, world):
    await log_in(client, world.admin)
    response = await client.post(
        "/api/v1/units", json={"name": "Dinas Tebakan"}, headers={"X-CSRF-Token": "tebakan"}
    )
    assert response.status_code == 403


async def test_a_change_with_the_cookie_and_the_pages_csrf_token_is_taken(client, world):
    await log_in(client, world.admin)
    token = csrf_of((await client.get("/account/password")).text)
    response = await client.post(
        "/api/v1/units", json={"name": "Dinas Baru"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 201, response.text


async def test_reads_with_the_cookie_need_no_header(client, world):
    await log_in(client, world.leader)
    response = await client.get("/api/v1/me")
    assert response.status_code == 200 and response.json()["id"] == world.leader.id


async def test_a_bearer_token_needs_no_csrf_header(client, world):
    response = await client.post(
        "/api/v1/units", json={"name": "Dinas Skrip"}, headers=world.auth(world.admin)
    )
    assert response.status_code == 201, response.text


async def test_a_password_change_through_the_api_with_the_cookie_alone_is_refused(client, world):
    await log_in(client, world.leader)
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": "rahasia-123", "new_password": "dipilih-situs-lain-1"},
    )
    assert response.status_code == 403
