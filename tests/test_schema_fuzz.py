"""Schemathesis against Pantau's own OpenAPI document, as an admin and as a staff member: generated
requests (a bounded number per operation) never cause a 500, and every response matches the document."""

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.app import create_app
from tests.services import app_env, backend, free_port, postgres_database, redis_prefix

EXAMPLES_PER_OPERATION = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A real server process with a bootstrap admin, a unit, a staff member and a project."""
    with _database(tmp_path_factory) as url:
        port = free_port()
        env = app_env(url, None, redis_prefix(), PANTAU_BOOTSTRAP_ADMIN="admin:admin-password")
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


def _database(tmp_path_factory):
    if backend() == "postgres":
        return postgres_database()
    from contextlib import nullcontext

    return nullcontext(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)  # polling a separate process's start-up; there is no event to await
    raise RuntimeError("the server did not start within 60 s")


@pytest.fixture(scope="module")
def tokens(server: str) -> dict[str, dict[str, str]]:
    with httpx.Client(base_url=server) as http:

        def sign_in(username: str, password: str) -> dict[str, str]:
            response = http.post("/api/v1/auth/token", data={"username": username, "password": password})
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        admin = sign_in("admin", "admin-password")
        unit = http.post("/api/v1/units", json={"name": "Dinas Uji", "population": 500}, headers=admin).json()
        http.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": "pegawai",
                "password": "kata-sandi-1",
                "name": "Pegawai",
                "nip": "199203042018012002",
                "role": "staff",
                "unit_id": unit["id"],
            },
        )
        return {"admin": admin, "staff": sign_in("pegawai", "kata-sandi-1")}


# The document the app itself serves; calls go to the real server process above.
schema = schemathesis.openapi.from_dict(create_app().openapi())


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ = settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_api_as_admin_matches_its_schema_and_never_fails(case, tokens, server):
    case.call_and_validate(base_url=server, headers=tokens["admin"], checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api_as_staff_matches_its_schema_and_never_fails(case, tokens, server):
    case.call_and_validate(base_url=server, headers=tokens["staff"], checks=CHECKS)
