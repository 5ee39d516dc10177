"""Sign-in limits: the login form and the API count together, per account and address and per address,
so a guesser is slowed down and the account's owner, elsewhere, is not locked out."""

import asyncio

from server.accounts.signin import address_key
from tests.factories import PASSWORD
from tests.web import sign_in as page_sign_in

LIMITED = "Terlalu banyak percobaan masuk yang gagal dari sini."


async def _token(http, username, password):
    return await http.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_sixty_wrong_passwords_on_the_login_form_are_limited(world, from_address):
    async with from_address("10.1.0.1") as attacker:
        statuses = [
            (await page_sign_in(attacker, world.member, password=f"tebakan-{n}")).status_code
            for n in range(60)
        ]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        refused = await page_sign_in(attacker, world.member)  # the right password, from the guessing address
    assert refused.status_code == 429 and "text/html" in refused.headers["content-type"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert LIMITED in refused.text and 'name="password"' in refused.text
    assert "pantau_session" not in refused.headers.get("set-cookie", "")


async def test_the_refusal_on_the_form_is_in_the_pages_language(world, from_address):
    async with from_address("10.1.0.3") as attacker:
        attacker.cookies.set("pantau_lang", "en")
        for n in range(6):
            response = await page_sign_in(attacker, world.member, password=f"tebakan-{n}")
    assert response.status_code == 429
    assert "Too many failed sign-ins from here. Try again in" in response.text


async def test_wrong_passwords_from_another_address_do_not_lock_the_owner_out(world, from_address):
    async with from_address("10.1.0.1") as attacker, from_address("10.1.0.2") as owner:
        for n in range(30):
            assert (await _token(attacker, world.member.username, f"x{n}")).status_code in (401, 429)
        for n in range(30):
            assert (await page_sign_in(attacker, world.member, password=f"y{n}")).status_code in (401, 429)
        assert (await _token(attacker, world.member.username, PASSWORD)).status_code == 429
        assert (await _token(owner, world.member.username, PASSWORD)).status_code == 200
        assert (await page_sign_in(owner, world.member)).status_code == 303
        # The owner's own typo is still just a typo.
        assert (await _token(owner, world.member.username, "salah")).status_code == 401


async def test_the_form_and_the_api_count_against_the_same_limits(world, from_address):
    async with from_address("10.1.0.4") as guesser:
        for n in range(3):
            assert (await page_sign_in(guesser, world.member, password=f"a{n}")).status_code == 401
        for n in range(2):
            assert (await _token(guesser, world.member.username, f"b{n}")).status_code == 401
        api = await _token(guesser, world.member.username, PASSWORD)
        page = await page_sign_in(guesser, world.member)
    assert api.status_code == 429 and int(api.headers["Retry-After"]) > 0
    assert api.json()["detail"].startswith("Too many failed sign-ins: try again in")
    assert page.status_code == 429


async def test_the_account_counts_however_its_name_is_written(world, from_address):
    async with from_address("10.1.0.5") as guesser:
        for n in range(5):
            spelled = f"  {world.member.username.upper()} " if n % 2 else world.member.username
            assert (await _token(guesser, spelled, f"c{n}")).status_code == 401
        assert (await _token(guesser, world.member.username, PASSWORD)).status_code == 429


async def test_guessing_one_account_leaves_other_accounts_at_that_address_alone(world, from_address):
    async with from_address("10.1.0.6") as office:
        for n in range(10):
            await _token(office, world.member.username, f"d{n}")
        assert (await _token(office, world.member.username, PASSWORD)).status_code == 429
        assert (await _token(office, world.lead.username, PASSWORD)).status_code == 200


async def test_a_successful_sign_in_forgets_the_owners_earlier_typos(world, from_address):
    async with from_address("10.1.0.7") as owner:
        for n in range(4):
            assert (await _token(owner, world.member.username, f"e{n}")).status_code == 401
        assert (await _token(owner, world.member.username, PASSWORD)).status_code == 200
        for n in range(4):
            assert (await _token(owner, world.member.username, f"f{n}")).status_code == 401
        assert (await _token(owner, world.member.username, PASSWORD)).status_code == 200


async def test_spraying_many_accounts_from_one_address_is_stopped(world, from_address):
    async with from_address("10.2.0.1") as sprayer, from_address("10.2.0.2") as colleague:
        for n in range(100):
            assert (await _token(sprayer, f"nobody{n}", "x")).status_code == 401
        assert (await _token(sprayer, world.member.username, PASSWORD)).status_code == 429
        assert (await page_sign_in(sprayer, world.lead)).status_code == 429
        assert (await _token(colleague, world.member.username, PASSWORD)).status_code == 200


async def test_guesses_sent_all_at_once_get_no_more_tries(world, from_address):
    """Every attempt passes the first check together; those that fail past the limit are answered 429
    afterwards, and so is a right password once the counters are full, so the answer tells nothing."""
    async with from_address("10.3.0.1") as guesser:
        answers = await asyncio.gather(*(_token(guesser, world.member.username, f"g{n}") for n in range(20)))
        right = await _token(guesser, world.member.username, PASSWORD)
    statuses = [a.status_code for a in answers]
    assert statuses.count(401) == 5 and statuses.count(429) == 15
    assert right.status_code == 429


async def test_a_disabled_accounts_right_password_counts_as_a_failure(world, from_address, runtime):
    async with runtime.transaction() as session:
        member = await session.get(type(world.member), world.member.id)
        member.is_active = False
    async with from_address("10.3.0.2") as someone:
        for _ in range(5):
            answer = await _token(someone, world.member.username, PASSWORD)
            assert answer.status_code == 401 and answer.json() == {"detail": "Incorrect username or password"}
        assert (await _token(someone, world.member.username, PASSWORD)).status_code == 429


def test_an_ipv6_subscriber_is_counted_by_its_slash_64():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:10.0.0.1") == address_key("10.0.0.1") == "10.0.0.1"
    assert address_key("unknown") == "unknown"
