import httpx
import pytest

from tests.factories import PASSWORD


@pytest.fixture
def from_address(app):
    def client(address: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(address, 5000)), base_url="http://test"
        )

    return client


async def _sign_in(http, username, password):
    return await http.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_guessing_one_account_locks_it_but_not_others(world, from_address):
    async with from_address("10.1.0.1") as attacker, from_address("10.1.0.2") as owner:
        for _ in range(10):
            assert (await _sign_in(attacker, world.member.username, "tebakan")).status_code == 401
        locked = await _sign_in(attacker, world.member.username, PASSWORD)
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
        assert (await _sign_in(owner, world.member.username.upper(), "x")).status_code == 429
        # Another account is not affected, even from the guessing address.
        assert (await _sign_in(attacker, world.lead.username, PASSWORD)).status_code == 200


async def test_spraying_many_accounts_from_one_address_is_stopped(world, from_address):
    async with from_address("10.2.0.1") as sprayer, from_address("10.2.0.2") as colleague:
        for n in range(50):
            assert (await _sign_in(sprayer, f"nobody{n}", "x")).status_code == 401
        assert (await _sign_in(sprayer, world.member.username, PASSWORD)).status_code == 429
        assert (await _sign_in(colleague, world.member.username, PASSWORD)).status_code == 200
