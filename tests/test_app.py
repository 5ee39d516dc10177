"""What every response and page carries, whatever the domain."""

import re


async def test_pages_carry_security_headers(client):
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_openapi_and_offline_docs(client):
    spec = await client.get("/openapi.json")
    assert spec.status_code == 200 and "/api/v1/projects/{project_id}/updates" in spec.json()["paths"]
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert not re.search(r"""(src|href)=["']https?://""", docs.text), (
        "the docs page must not load from other sites"
    )
    assert "<script>" not in docs.text  # no inline script
    for asset in re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", docs.text):
        assert (await client.get(asset)).status_code == 200, asset


async def test_health_check(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_oversized_bodies_are_refused_with_413_before_parsing(client, world):
    huge = {"name": "x" * (300 * 1024)}
    response = await client.post("/api/v1/units", json=huge, headers=world.auth(world.admin))
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    upload = b"NIP,Nama,Unit\n" + b"1" * (6 * 1024 * 1024)
    response = await client.post(
        "/api/v1/users/import", files={"file": ("a.csv", upload, "text/csv")}, headers=world.auth(world.admin)
    )
    assert response.status_code == 413


def test_boards_are_served_with_protocol_pings():
    from server.cli import UVICORN_WEBSOCKET_OPTIONS

    # API.md: protocol ping frames at least every 30 s (tests/realtime/test_socket.py shows them sent).
    assert 0 < UVICORN_WEBSOCKET_OPTIONS["ws_ping_interval"] <= 30
