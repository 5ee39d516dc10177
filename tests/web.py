"""Signing in through the login form, and reading a page's CSRF token, for page tests."""

import re

from tests import factories


async def sign_in(client, user, next_: str = "/"):
    return await client.post(
        "/login", data={"username": user.username, "password": factories.PASSWORD, "next": next_}
    )


async def log_in(client, user) -> None:
    """Sign in through the form, and insist that it worked."""
    response = await sign_in(client, user)
    assert response.status_code == 303, response.text


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no csrf_token field"
    return match.group(1)
