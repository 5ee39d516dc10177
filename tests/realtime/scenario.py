"""A small organisation set up through the public API of a running Pantau, for multi-process tests."""

from datetime import date

import httpx


async def token(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return dict(response.json())


async def arrange(http: httpx.AsyncClient, projects: int = 1) -> dict:
    """A unit with a leader (kadis) and a staff member (asn) who leads `projects` projects with one
    milestone each; "project" and "milestone" are the first of them."""
    admin = await token(http, "admin", "admin-password")
    unit = created(await http.post("/api/v1/units", json={"name": "Dinas PUPR"}, headers=admin))
    people = {}
    for username, role, nip in (
        ("kadis", "leader", "197001012000031001"),
        ("asn", "staff", "199203042018012002"),
    ):
        body = {
            "username": username,
            "password": "kata-sandi-1",
            "name": username,
            "nip": nip,
            "role": role,
            "unit_id": unit["id"],
        }
        people[username] = created(await http.post("/api/v1/users", json=body, headers=admin))
    staff = await token(http, "asn", "kata-sandi-1")
    made = []
    for n in range(projects):
        project = created(
            await http.post(
                "/api/v1/projects",
                json={
                    "name": f"Jalan Desa {n + 1}",
                    "unit_id": unit["id"],
                    "lead_id": people["asn"]["id"],
                    "start_date": date.today().isoformat(),
                    "due_date": "2030-06-30",
                },
                headers=admin,
            )
        )
        milestone = created(
            await http.post(
                f"/api/v1/projects/{project['id']}/milestones",
                json={"title": "Survei", "due_date": "2030-01-31", "assignee_ids": [people["asn"]["id"]]},
                headers=staff,
            )
        )
        made.append((project, milestone))
    return {
        "unit": unit,
        "projects": made,
        "project": made[0][0],
        "milestone": made[0][1],
        "staff": staff,
        "leader": await token(http, "kadis", "kata-sandi-1"),
    }
