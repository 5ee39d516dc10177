"""Nothing a signed-in person sees is kept by the browser or a proxy (`Cache-Control: no-store`): Back after
signing out, or the next person at a shared computer, finds no page, export or API answer."""

from tests.web import log_in


async def test_signed_in_pages_are_not_stored(client, world):
    await log_in(client, world.leader)
    for path in ("/account/password", f"/board/unit/{world.dinas.id}", "/help"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path


async def test_an_export_opened_from_a_page_is_not_stored(client, world, setup):
    await log_in(client, world.leader)  # the evaluation page links to the export: the cookie goes along
    response = await client.get(
        f"/api/v1/units/{world.dinas.id}/performance.csv", params={"period": "2026-11"}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


async def test_api_answers_to_a_token_are_not_stored(client, world):
    for path in ("/api/v1/me", "/api/v1/no-such-thing"):
        response = await client.get(path, headers=world.auth(world.leader))
        assert response.headers["cache-control"] == "no-store", path


async def test_anonymous_pages_and_static_files_may_be_cached(client, world):
    assert "cache-control" not in (await client.get("/help")).headers
    await log_in(client, world.leader)
    static = await client.get("/static/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
