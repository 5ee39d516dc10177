from datetime import timedelta

from server import clock


def _project_body(world, unit=None, **overrides):
    today = clock.today()
    return {
        "name": "Digitalisasi Akta Kelahiran",
        "unit_id": (unit or world.bidang).id,
        "lead_id": world.lead.id,
        "start_date": (today - timedelta(days=5)).isoformat(),
        "due_date": (today + timedelta(days=30)).isoformat(),
    } | overrides


async def test_leader_of_parent_unit_creates_project(client, world):
    response = await client.post(
        "/api/v1/projects", json=_project_body(world), headers=world.auth(world.leader)
    )
    assert response.status_code == 201
    project = response.json()
    assert {
        "id",
        "name",
        "unit_id",
        "lead_id",
        "start_date",
        "due_date",
        "status",
        "progress_pct",
        "health",
        "member_ids",
        "milestones",
    } <= set(project)
    assert project["progress_pct"] == 0 and project["milestones"] == [] and project["status"] == "active"


async def test_leader_of_sibling_unit_and_staff_cannot_create_project(client, world):
    sibling = await client.post(
        "/api/v1/projects", json=_project_body(world), headers=world.auth(world.sibling_leader)
    )
    staff = await client.post("/api/v1/projects", json=_project_body(world), headers=world.auth(world.member))
    assert sibling.status_code == 403 and staff.status_code == 403
    listed = await client.get("/api/v1/projects", headers=world.auth(world.admin))
    assert listed.json() == []


async def test_project_due_before_start_is_422(client, world):
    body = _project_body(world, due_date=(clock.today() - timedelta(days=30)).isoformat())
    response = await client.post("/api/v1/projects", json=body, headers=world.auth(world.admin))
    assert response.status_code == 422


async def test_staff_sees_only_projects_they_belong_to(client, world, setup):
    member = await client.get("/api/v1/projects", headers=world.auth(world.member))
    outsider = await client.get("/api/v1/projects", headers=world.auth(world.outsider))
    assert [p["id"] for p in member.json()] == [setup.project.id]
    assert outsider.json() == []
    hidden = await client.get(f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.outsider))
    assert hidden.status_code == 404
    sibling = await client.get(
        f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.sibling_leader)
    )
    assert sibling.status_code == 404
    leader = await client.get(f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.leader))
    assert leader.status_code == 200


async def test_members_are_added_once_and_removed(client, world, setup):
    url = f"/api/v1/projects/{setup.project.id}/members"
    added = await client.post(url, json={"user_id": world.outsider.id}, headers=world.auth(world.lead))
    assert added.status_code == 201 and world.outsider.id in added.json()["member_ids"]
    again = await client.post(url, json={"user_id": world.outsider.id}, headers=world.auth(world.leader))
    assert again.status_code == 409
    removed = await client.delete(f"{url}/{world.outsider.id}", headers=world.auth(world.admin))
    assert removed.status_code == 204
    project = await client.get(f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.lead))
    assert world.outsider.id not in project.json()["member_ids"]


async def test_member_who_is_not_lead_cannot_manage_members(client, world, setup):
    url = f"/api/v1/projects/{setup.project.id}/members"
    member = await client.post(url, json={"user_id": world.outsider.id}, headers=world.auth(world.member))
    assert member.status_code == 403
    outsider = await client.post(url, json={"user_id": world.outsider.id}, headers=world.auth(world.outsider))
    assert outsider.status_code == 404


async def test_progress_is_milestone_weighted(client, world, setup):
    url = f"/api/v1/projects/{setup.project.id}/updates"
    body = {"milestone_id": setup.milestone.id, "progress_pct": 50}
    assert (await client.post(url, json=body, headers=world.auth(world.member))).status_code == 201
    project = (
        await client.get(f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.member))
    ).json()
    # weights 3 and 1: (3 x 50 + 1 x 0) / 4
    assert project["progress_pct"] == 37.5
