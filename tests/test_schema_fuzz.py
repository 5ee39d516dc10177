"""Schemathesis against Pantau's own OpenAPI document, as an admin and as a staff member: generated
requests (a bounded number per operation, valid and invalid ones, each sent as generated and again aimed
at real objects) never cause a 500, and every response matches the document."""

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

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


@dataclass
class Fuzzed:
    """Who calls and what exists on the fuzzed server: tokens of an admin and a staff member, and the ids of
    real objects that a second call of each case uses, so that generated bodies reach past the 404."""

    headers: dict[str, dict[str, str]]
    real: dict[str, dict[str, Any]]  # role -> parameter name -> a value naming something that exists
    protected_user_ids: set[int]  # the callers' own accounts: never the target of a generated change


@pytest.fixture(scope="module")
def fuzzed(server: str) -> Fuzzed:
    with httpx.Client(base_url=server) as http:

        def sign_in(username: str, password: str) -> dict[str, str]:
            response = http.post("/api/v1/auth/token", data={"username": username, "password": password})
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        def made(response: httpx.Response) -> dict[str, Any]:
            assert response.status_code in (200, 201), response.text
            return response.json()

        admin = sign_in("admin", "admin-password")
        unit = made(http.post("/api/v1/units", json={"name": "Dinas Uji", "population": 500}, headers=admin))
        bidang = {"name": "Bidang Uji", "parent_id": unit["id"], "population": 100}
        bidang = made(http.post("/api/v1/units", json=bidang, headers=admin))

        def person(username: str, nip: str, **extra: Any) -> dict[str, Any]:
            body = {"username": username, "password": "kata-sandi-1", "name": username.title(), "nip": nip}
            body |= {"role": "staff", "unit_id": bidang["id"]} | extra
            return made(http.post("/api/v1/users", headers=admin, json=body))

        staff = person("pegawai", "199203042018012002")
        # The staff member's reports: what user_id points at in the second call (rated, edited, removed);
        # one each, so that what the admin's calls change does not take the staff member's target away.
        target = person("sasaran", "199305052019022003", supervisor_id=staff["id"])
        admin_target = person("sasaran-admin", "199406062020032004", supervisor_id=staff["id"])
        admin_unit = made(
            http.post("/api/v1/units", json={"name": "Bidang Admin", "parent_id": unit["id"]}, headers=admin)
        )
        today = date.today()
        project = {"name": "Proyek Uji", "unit_id": bidang["id"], "lead_id": staff["id"]}
        project |= {"start_date": f"{today.year}-01-01", "due_date": f"{today.year}-12-31"}
        project = made(http.post("/api/v1/projects", json=project, headers=admin))
        staff_headers = sign_in("pegawai", "kata-sandi-1")
        made(
            http.post(
                f"/api/v1/projects/{project['id']}/members", json={"user_id": target["id"]}, headers=admin
            )
        )
        milestone = {"title": "Tonggak Uji", "due_date": today.isoformat(), "assignee_ids": [target["id"]]}
        milestone = made(
            http.post(f"/api/v1/projects/{project['id']}/milestones", json=milestone, headers=staff_headers)
        )
        token = made(http.get("/api/v1/feedback/token", params={"unit_id": bidang["id"]}))["token"]
        answer = {"unit_id": bidang["id"], "employee_id": target["id"], "answers": [3] * 9, "token": token}
        feedback = made(http.post("/api/v1/feedback", json=answer))
        holiday = date(today.year, 8, 17)
        made(http.put(f"/api/v1/holidays/{holiday}", json={"name": "Hari Kemerdekaan"}, headers=admin))
        last_month = today.replace(day=1) - timedelta(days=1)
        me = made(http.get("/api/v1/me", headers=admin))
        real = {
            "unit_id": bidang["id"],
            "user_id": target["id"],
            "project_id": project["id"],
            "milestone_id": milestone["id"],
            "feedback_id": feedback["id"],
            "day": holiday.isoformat(),
            "period": f"{last_month:%Y-%m}",
        }
        return Fuzzed(
            headers={"admin": admin, "staff": staff_headers},
            real={
                "staff": real,
                "admin": real | {"unit_id": admin_unit["id"], "user_id": admin_target["id"]},
            },
            protected_user_ids={me["id"], staff["id"]},
        )


# The document the app itself serves; calls go to the real server process above.
schema = schemathesis.openapi.from_dict(create_app().openapi())


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ = settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))


def _run(case, fuzzed: Fuzzed, server: str, role: str) -> None:
    """The generated request as it is (mostly unknown ids: 404, or bad input: 422), then the same request
    aimed at real objects (its ids and period replaced), so generated bodies meet real rows."""
    headers, real = fuzzed.headers[role], fuzzed.real[role]
    if case.path_parameters.get("user_id") in fuzzed.protected_user_ids and case.method != "GET":
        # A generated PATCH could deactivate the caller or change its password: aim it at the target instead.
        case.path_parameters["user_id"] = real["user_id"]
    case.call_and_validate(base_url=server, headers=headers, checks=CHECKS)
    path = {name: real.get(name, value) for name, value in case.path_parameters.items()}
    query = {name: real.get(name, value) for name, value in (case.query or {}).items()}
    if path != case.path_parameters or query != (case.query or {}):
        case.path_parameters, case.query = path, query
        case.call_and_validate(base_url=server, headers=headers, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api_as_admin_matches_its_schema_and_never_fails(case, fuzzed, server):
    _run(case, fuzzed, server, "admin")


@schema.parametrize()
@FUZZ
def test_api_as_staff_matches_its_schema_and_never_fails(case, fuzzed, server):
    _run(case, fuzzed, server, "staff")
