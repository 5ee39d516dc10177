"""A small organisation set up through the public API of a running Pantau, for multi-process tests."""

from datetime import date

import httpx


async def token(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def arrange(http: httpx.AsyncClient) -> dict:
    admin = await token(http, "admin", "admin-password")
    unit = (await http.post("/api/v1/units", json={"name": "Dinas PUPR"}, headers=admin)).json()
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
        people[username] = (await http.post("/api/v1/users", json=body, headers=admin)).json()
    project = (
        await http.post(
            "/api/v1/projects",
            json={
                "name": "Jalan Desa",
                "unit_id": unit["id"],
                "lead_id": people["asn"]["id"],
                "start_date": date.today().isoformat(),
                "due_date": "2027-06-30",
            },
            headers=admin,
        )
    ).json()
    staff = await token(http, "asn", "kata-sandi-1")
    milestone = (
        await http.post(
            f"/api/v1/projects/{project['id']}/milestones",
            json={"title": "Survei", "due_date": "2027-01-31", "assignee_ids": [people["asn"]["id"]]},
            headers=staff,
        )
    ).json()
    return {
        "unit": unit,
        "project": project,
        "milestone": milestone,
        "staff": staff,
        "leader": await token(http, "kadis", "kata-sandi-1"),
    }
