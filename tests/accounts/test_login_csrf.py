"""Login CSRF: another site cannot sign a visitor in to an account it chose. The form carries a token
that only this site can make for the browser's login cookie."""

import re

from tests.factories import PASSWORD
from tests.web import login_token

EXPIRED = "Formulir masuk sudah kedaluwarsa atau tidak sah."


def _form(user, token=None):
    return {"username": user.username, "password": PASSWORD, "next": "/"} | (
        {"csrf_token": token} if token is not None else {}
    )


async def test_a_sign_in_without_the_login_token_is_refused_on_the_form(client, world):
    refused = await client.post("/login", data=_form(world.member))
    assert refused.status_code == 403 and EXPIRED in refused.text
    assert "pantau_session" not in refused.headers.get("set-cookie", "")
    # The form drawn again carries a token that works.
    token = re.search(r'name="csrf_token" value="([^"]+)"', refused.text).group(1)
    assert (await client.post("/login", data=_form(world.member, token))).status_code == 303


async def test_a_token_made_for_another_browser_is_refused(world, from_address):
    async with from_address("10.7.0.1") as attacker, from_address("10.7.0.2") as victim:
        token = await login_token(attacker)  # the attacker's own, valid for the attacker's cookie
        await victim.get("/login")
        refused = await victim.post("/login", data=_form(world.member, token))
    assert refused.status_code == 403 and EXPIRED in refused.text


async def test_a_forged_token_is_refused(client, world):
    await client.get("/login")
    refused = await client.post("/login", data=_form(world.member, "0" * 64))
    assert refused.status_code == 403


async def test_a_cookie_without_the_form_token_is_refused(client, world):
    await client.get("/login")
    assert (await client.post("/login", data=_form(world.member, ""))).status_code == 403


async def test_the_login_cookie_over_https_is_host_only_and_secure(world, from_address):
    async with from_address("10.7.0.3", scheme="https") as browser:
        page = await browser.get("/login")
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("__Host-pantau_login=") and "secure" in cookie.lower() and "Path=/" in cookie
        signed_in = await browser.post("/login", data=_form(world.member, await login_token(browser)))
    assert signed_in.status_code == 303


async def test_the_login_cookie_is_dropped_once_signed_in(client, world):
    signed_in = await client.post("/login", data=_form(world.member, await login_token(client)))
    assert signed_in.status_code == 303
    assert 'pantau_login=""' in signed_in.headers.get("set-cookie", "")
