"""Signing in through the login form, and reading a page's CSRF token, for page tests."""

import re

from tests import factories


async def sign_in(client, user, next_: str = "/"):
    return await client.post(
        "/login", data={"username": user.username, "password": factories.PASSWORD, "next": next_}
    )


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no csrf_token field"
    return match.group(1)
