"""A page URL that no route answers gets the site's own error page (in the visitor's language), not the
API's JSON; the API keeps answering {"detail": ...}."""

from sqlalchemy import update

from server.accounts.models import User
from tests.web import log_in


async def test_an_unknown_page_url_gets_the_404_page(client):
    response = await client.get("/proyek-yang-tidak-ada")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="id">' in response.text and "Halaman tidak ditemukan" in response.text


async def test_the_404_page_is_in_the_browsers_language(client):
    response = await client.get("/no-such-page", headers={"accept-language": "en"})
    assert response.status_code == 404 and "Page not found" in response.text


async def test_the_404_page_is_in_the_signed_in_persons_own_language(client, world, runtime):
    async with runtime.transaction() as session:
        await session.execute(update(User).where(User.id == world.leader.id).values(locale="en"))
    await log_in(client, world.leader)
    response = await client.get("/no-such-page", headers={"accept-language": "id"})
    assert response.status_code == 404 and "Page not found" in response.text
    assert world.leader.name in response.text, "the header shows who is signed in"


async def test_a_page_url_with_a_method_it_does_not_take_gets_the_error_page(client):
    response = await client.post("/help")
    assert response.status_code == 405 and response.headers["content-type"].startswith("text/html")
    assert "GET" in response.headers["allow"]


async def test_the_api_keeps_its_json_for_unknown_urls(client, world):
    response = await client.get("/api/v1/no-such-thing", headers=world.auth(world.leader))
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
