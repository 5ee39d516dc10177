"""Page addresses that moved to English names answer a permanent redirect to the new address, so that
bookmarks and printed links keep working; the API's addresses (API.md) are unchanged."""

import pytest

from server.pages.moved import MOVED
from tests.web import log_in


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/users/baru", "/admin/users/new"),
        ("/admin/import/contoh.csv", "/admin/import/example.csv"),
        ("/admin/import/periksa", "/admin/import"),
        ("/admin/import/impor", "/admin/import"),
        ("/survey/{unit}/terima-kasih", "/survey/{unit}/thanks"),
        ("/survey/{unit}/terima-kasih?lang=en", "/survey/{unit}/thanks?lang=en"),
    ],
)
async def test_an_old_page_address_redirects_permanently_to_the_new_one(client, world, old, new):
    await log_in(client, world.admin)
    response = await client.get(old.format(unit=world.dinas.id))
    assert response.status_code == 301
    assert response.headers["location"] == new.format(unit=world.dinas.id)
    landed = await client.get(new.format(unit=world.dinas.id))
    assert landed.status_code == 200, landed.text


def test_every_moved_address_is_tested_above():
    assert len(MOVED) == 5


async def test_the_new_addresses_serve_what_the_old_ones_did(client, world):
    await log_in(client, world.admin)
    new_user = await client.get("/admin/users/new")
    assert new_user.status_code == 200 and 'action="/admin/users/new"' in new_user.text
    imports = await client.get("/admin/import")
    assert (
        'action="/admin/import/check"' in imports.text and 'href="/admin/import/example.csv"' in imports.text
    )
