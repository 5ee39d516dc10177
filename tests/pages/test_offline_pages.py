"""The installable app's addresses (issue 14): the manifest, the service worker from the site's root, and
the form token the worker's offline queue asks for (the browser behaviour: tests/browser/test_offline.py)."""

import re

from tests.web import csrf_of, log_in


async def test_the_manifest_makes_pantau_installable_from_home(client):
    response = await client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert (manifest["name"], manifest["start_url"], manifest["display"]) == ("Pantau", "/", "standalone")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).headers["content-type"] == "image/png"


async def test_the_service_worker_is_served_from_the_root_and_always_revalidated(client, world):
    await log_in(client, world.member)  # a signed-in request: its own Cache-Control still wins over no-store
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert 'importScripts("/static/offline/queue.js")' in response.text
    # Its static cache is named after the static files' content: a release installs a new worker.
    assert re.search(r'var STATIC = "pantau-static-[0-9a-f]{12}";', response.text)


async def test_every_signed_in_page_links_the_manifest_and_the_offline_scripts(client, world):
    await log_in(client, world.member)
    page = (await client.get("/")).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert f'src="/static/offline/page.js" defer data-user="{world.member.id}"' in page
    assert 'src="/static/evidence.js"' in page


async def test_the_offline_queue_gets_the_session_form_token_and_who_it_belongs_to(client, world):
    await log_in(client, world.member)
    token = csrf_of((await client.get("/")).text)
    response = await client.get("/offline/session")
    assert response.status_code == 200
    assert response.json() == {"user_id": world.member.id, "csrf_token": token}
    assert response.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in response.headers  # another site cannot read it


async def test_without_a_session_the_offline_queue_is_told_to_sign_in(client, world):
    response = await client.get("/offline/session")
    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"
    # A bearer token is no browser session: the queue sends with the cookie only.
    response = await client.get("/offline/session", headers=world.auth(world.member))
    assert response.status_code == 401


async def test_a_refusal_the_queue_got_is_said_in_the_language_of_the_pages(client, world):
    refusal = "Progress goes down from 50% to 20%: add a note explaining why"
    await log_in(client, world.member)
    response = await client.get("/offline/message", params={"text": refusal})
    assert response.json()["text"].startswith("Kemajuan turun dari 50% menjadi 20%")
    english = await client.get(
        "/offline/message", params={"text": refusal}, headers={"Accept-Language": "en"}
    )
    assert english.json()["text"] == refusal
    unknown = await client.get("/offline/message", params={"text": "Something new"})
    assert unknown.json()["text"] == "Something new"
