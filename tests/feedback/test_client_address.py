"""Client addresses behind proxies (PANTAU_TRUSTED_PROXIES) and absolute links (PANTAU_PUBLIC_URL)."""

from contextlib import asynccontextmanager
from ipaddress import ip_address, ip_network
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import ValidationError

from server import cli
from server.config import Settings
from server.feedback.routes import SURVEY_ANSWERS
from server.ratelimit import forwarded_client
from tests.feedback.survey import answer

NGINX = (ip_network("172.30.0.10/32"),)
TWO_PROXIES = (ip_network("172.30.0.10/32"), ip_network("10.1.0.0/16"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        # Nobody trusted (the default): the header is never read.
        ("198.51.100.7", ["203.0.113.9"], (), "198.51.100.7"),
        # An untrusted peer cannot name an address, whatever it writes.
        ("198.51.100.7", ["172.30.0.10", "203.0.113.9"], NGINX, "198.51.100.7"),
        # nginx appended the address that reached it; what the client wrote sits to its left.
        ("172.30.0.10", ["203.0.113.9, 198.51.100.7"], NGINX, "198.51.100.7"),
        ("172.30.0.10", ["203.0.113.9", "198.51.100.7"], NGINX, "198.51.100.7"),  # two header lines
        # Several trusted proxies are walked through, right to left.
        ("172.30.0.10", ["203.0.113.9, 198.51.100.7, 10.1.2.3"], TWO_PROXIES, "198.51.100.7"),
        ("172.30.0.10", ["198.51.100.7:5123"], NGINX, "198.51.100.7"),
        ("172.30.0.10", ["[2001:db8::1]:443"], NGINX, "2001:db8::1"),
        ("172.30.0.10", ["2001:db8::1"], NGINX, "2001:db8::1"),
        # No header from the proxy: the proxy itself.
        ("172.30.0.10", [], NGINX, "172.30.0.10"),
        # Every hop a trusted proxy: the request began inside the trusted network.
        ("172.30.0.10", ["10.1.0.5, 10.1.0.6"], TWO_PROXIES, "10.1.0.5"),
        (None, ["203.0.113.9"], NGINX, "unknown"),
    ],
)
def test_client_is_the_right_most_hop_that_is_not_a_trusted_proxy(peer, forwarded_for, trusted, expected):
    assert forwarded_client(peer, forwarded_for, trusted) == expected


def test_trusted_proxies_setting_reads_addresses_and_ranges():
    settings = Settings(trusted_proxies=" 172.30.0.10 , 10.1.0.0/16,::1,")
    assert settings.trusted_proxies == (
        ip_network("172.30.0.10/32"),
        ip_network("10.1.0.0/16"),
        ip_network("::1"),
    )
    assert Settings().trusted_proxies == ()


@pytest.mark.parametrize("value", ["*", "nginx", "10.0.0.0/33", "172.30.0.10;10.0.0.1"])
def test_a_trusted_proxy_that_is_not_an_address_stops_the_start(value):
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies=value)


def test_pantau_serve_gives_uvicorn_the_same_proxies_and_only_those(monkeypatch):
    runs = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: runs.append(kwargs))
    monkeypatch.setattr("server.migrate.upgrade", lambda url: None)
    for value, expected in [
        ("", {"proxy_headers": False}),
        (
            "172.30.0.10,10.1.0.0/16",
            {"proxy_headers": True, "forwarded_allow_ips": ["172.30.0.10/32", "10.1.0.0/16"]},
        ),
    ]:
        monkeypatch.setenv("PANTAU_TRUSTED_PROXIES", value)
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own variable no longer decides anything
        cli.get_settings.cache_clear()
        try:
            cli.main(["serve"])
        finally:
            cli.get_settings.cache_clear()
        assert {k: runs[-1][k] for k in expected} == expected


def test_docker_compose_trusts_nginx_and_nothing_else():
    compose = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
    env = compose["x-pantau-env"]
    nginx = ip_address(compose["services"]["nginx"]["networks"]["default"]["ipv4_address"])
    assert Settings(trusted_proxies=env["PANTAU_TRUSTED_PROXIES"]).trusted_proxies == (ip_network(nginx),)
    assert "FORWARDED_ALLOW_IPS" not in env
    for name in ("app", "migrate"):
        assert compose["services"][name]["environment"] == env
    [pool] = compose["networks"]["default"]["ipam"]["config"]
    # nginx's address is on the network, and no other container can be given it.
    assert nginx in ip_network(pool["subnet"]) and nginx not in ip_network(pool["ip_range"])


@asynccontextmanager
async def client_from(app, address: str):
    transport = httpx.ASGITransport(app=app, client=(address, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def behind_nginx(runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "trusted_proxies", NGINX)


async def test_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(app, world):
    async with client_from(app, "198.51.100.7") as script:
        codes = [
            (
                await answer(
                    script,
                    {"unit_id": world.dinas.id, "answers": [4] * 9},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"},
                )
            ).status_code
            for i in range(SURVEY_ANSWERS.amount + 1)
        ]
    assert codes == [201] * SURVEY_ANSWERS.amount + [429]


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(app, world, behind_nginx):
    async with client_from(app, "172.30.0.10") as nginx:
        body = {"unit_id": world.dinas.id, "answers": [4] * 9}
        for i in range(SURVEY_ANSWERS.amount):
            # The client forges a left hop each time; nginx appends the real address.
            forwarded = {"X-Forwarded-For": f"203.0.113.{i}, 198.51.100.7"}
            assert (await answer(nginx, body, headers=forwarded)).status_code == 201
        refused = await answer(nginx, body, headers={"X-Forwarded-For": "203.0.113.250, 198.51.100.7"})
        other = await answer(nginx, body, headers={"X-Forwarded-For": "198.51.100.8"})
    assert (refused.status_code, other.status_code) == (429, 201)


async def test_sign_in_limits_see_the_same_client_address(app, world, behind_nginx):
    form = {"username": world.member.username, "password": "wrong-password"}
    async with client_from(app, "172.30.0.10") as nginx:
        for attempt in range(300):
            # A guesser behind nginx, forging a new left hop each time.
            forwarded = {"X-Forwarded-For": f"10.9.{attempt // 250}.{attempt % 250}, 198.51.100.7"}
            if (await nginx.post("/api/v1/auth/token", data=form, headers=forwarded)).status_code == 429:
                break
        else:
            raise AssertionError("the guesser was never slowed down")
        owner = await nginx.post("/api/v1/auth/token", data=form, headers={"X-Forwarded-For": "198.51.100.8"})
    assert owner.status_code == 401  # another client: not refused for the guesser's failures


# --- PANTAU_PUBLIC_URL -------------------------------------------------------------------------------


async def test_poster_qr_uses_the_public_url_whatever_the_host_header(client, world, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "public_url", "https://pantau.bukitintan.go.id")
    forged = await client.get(f"/survey/{world.bidang.id}/poster", headers={"Host": "evil.example"})
    plain = await client.get(f"/survey/{world.bidang.id}/poster")
    assert forged.status_code == 200 and forged.text == plain.text
    assert f"https://pantau.bukitintan.go.id/survey/{world.bidang.id}" in forged.text
    assert "evil.example" not in forged.text and "http://test" not in forged.text


async def test_without_a_public_url_the_poster_links_to_the_requested_site(client, world):
    response = await client.get(f"/survey/{world.bidang.id}/poster", headers={"Host": "loket.example"})
    assert f"http://loket.example/survey/{world.bidang.id}" in response.text


@pytest.mark.parametrize("value", ["pantau.go.id", "ftp://pantau.go.id", "https://", "https://x.go.id/?a=1"])
def test_a_public_url_that_is_not_a_base_url_stops_the_start(value):
    with pytest.raises(ValidationError, match="public_url"):
        Settings(public_url=value)


def test_public_url_loses_its_trailing_slash():
    assert Settings(public_url="https://pantau.go.id/").public_url == "https://pantau.go.id"
