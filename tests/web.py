"""Signing in through the login form, and reading a page's CSRF token, for page tests."""

import re

from tests import factories


async def login_token(client) -> str:
    """The login form's CSRF token (its cookie stays in `client`)."""
    return csrf_of((await client.get("/login")).text)


async def sign_in(client, user, next_: str = "/", password: str = factories.PASSWORD):
    form = {"username": user.username, "password": password, "next": next_}
    return await client.post("/login", data=form | {"csrf_token": await login_token(client)})


async def log_in(client, user) -> None:
    """Sign in through the form, and insist that it worked."""
    response = await sign_in(client, user)
    assert response.status_code == 303, response.text


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no csrf_token field"
    return match.group(1)
