"""Changing a project after it was created (server/projects/editing.py) through the API: its data, archiving,
member removal and milestone edits, each with its history entry and board event, and every refusal
writing nothing."""

import json
from datetime import timedelta

from sqlalchemy import select

from server import clock
from server.audit import HistoryEntry
from server.projects.boards import unit_snapshot
from server.realtime.models import BoardEvent
from tests import factories


async def _events(runtime, board: str, type_: str) -> list[dict]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(BoardEvent.message).where(BoardEvent.board == board, BoardEvent.type == type_)
        )
        return [json.loads(message)["data"] for message in rows.all()]


async def _history(runtime, entity: str, entity_id: int) -> list[HistoryEntry]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.entity == entity, HistoryEntry.entity_id == entity_id)
            .order_by(HistoryEntry.id)
        )
        return list(rows.all())


async def test_lead_edits_project_data_kept_in_history_and_sent_to_the_boards(client, world, setup, runtime):
    new_due = (setup.project.due_date + timedelta(days=10)).isoformat()
    response = await client.patch(
        f"/api/v1/projects/{setup.project.id}",
        json={"name": "Layanan Akta Daring", "description": "Tahap dua", "due_date": new_due},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200, response.text
    project = response.json()
    assert (project["name"], project["description"], project["due_date"]) == (
        "Layanan Akta Daring",
        "Tahap dua",
        new_due,
    )
    (entry,) = [h for h in await _history(runtime, "project", setup.project.id) if h.action == "edited"]
    assert entry.actor_id == world.lead.id
    assert entry.before == {
        "name": setup.project.name,
        "description": None,
        "due_date": setup.project.due_date.isoformat(),
    }
    assert entry.after["name"] == "Layanan Akta Daring"
    for board in (f"project:{setup.project.id}", f"unit:{world.dinas.id}"):
        (event,) = await _events(runtime, board, "project.updated")
        assert event["project"]["name"] == "Layanan Akta Daring"


async def test_project_dates_must_hold_together_and_a_refusal_changes_nothing(client, world, setup):
    url, lead = f"/api/v1/projects/{setup.project.id}", world.auth(world.lead)
    before = (await client.get(url, headers=lead)).json()
    late_start = (setup.milestone.due_date + timedelta(days=1)).isoformat()
    after_milestone = await client.patch(url, json={"start_date": late_start}, headers=lead)
    assert after_milestone.status_code == 422
    assert setup.milestone.title in after_milestone.json()["detail"]
    due_before_start = (setup.project.start_date - timedelta(days=1)).isoformat()
    assert (await client.patch(url, json={"due_date": due_before_start}, headers=lead)).status_code == 422
    assert (await client.patch(url, json={"name": "  "}, headers=lead)).status_code == 422
    assert (await client.get(url, headers=lead)).json() == before


async def test_only_lead_leader_of_the_unit_and_admin_edit_a_project(client, world, setup):
    url, body = f"/api/v1/projects/{setup.project.id}", {"name": "Nama baru"}
    assert (await client.patch(url, json=body, headers=world.auth(world.member))).status_code == 403
    assert (await client.patch(url, json=body, headers=world.auth(world.sibling_leader))).status_code == 404
    for who in (world.leader, world.admin):
        assert (
            await client.patch(url, json=body | {"name": who.name}, headers=world.auth(who))
        ).status_code == 200


async def test_archived_project_leaves_lists_and_boards_and_is_read_only(client, world, setup, runtime):
    url, lead = f"/api/v1/projects/{setup.project.id}", world.auth(world.lead)
    archived = await client.post(f"{url}/archive", headers=lead)
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None

    assert (await client.get("/api/v1/projects", headers=world.auth(world.member))).json() == []
    listed = await client.get(
        "/api/v1/projects", params={"archived": "true"}, headers=world.auth(world.member)
    )
    assert [p["id"] for p in listed.json()] == [setup.project.id]
    assert (await client.get(url, headers=world.auth(world.member))).status_code == 200
    async with runtime.sessionmaker() as session:
        assert (await unit_snapshot(session, world.dinas.id))["projects"] == []
    (event,) = await _events(runtime, f"unit:{world.dinas.id}", "project.archived")
    assert event["project"]["archived_at"] == archived.json()["archived_at"]

    milestone_url = f"/api/v1/milestones/{setup.milestone.id}"
    refused = [
        await client.post(
            f"{url}/updates",
            json={"milestone_id": setup.milestone.id, "progress_pct": 50},
            headers=world.auth(world.member),
        ),
        await client.post(f"{milestone_url}/close", json={"quality": 3}, headers=lead),
        await client.patch(milestone_url, json={"title": "Judul lain"}, headers=lead),
        await client.patch(url, json={"name": "Nama lain"}, headers=lead),
        await client.post(f"{url}/members", json={"user_id": world.outsider.id}, headers=lead),
        await client.post(
            f"{url}/milestones",
            json={"title": "Baru", "due_date": clock.today().isoformat(), "assignee_ids": []},
            headers=lead,
        ),
        await client.post(f"{url}/archive", headers=lead),
    ]
    assert [r.status_code for r in refused] == [409] * len(refused)
    assert "archived" in refused[0].json()["detail"]
    assert (await client.get(url, headers=lead)).json()["milestones"][0]["progress_pct"] == 0


async def test_unarchive_brings_the_project_back_for_the_same_people(client, world, setup):
    url = f"/api/v1/projects/{setup.project.id}"
    assert (await client.post(f"{url}/unarchive", headers=world.auth(world.lead))).status_code == 409
    assert (await client.post(f"{url}/archive", headers=world.auth(world.leader))).status_code == 200
    assert (await client.post(f"{url}/unarchive", headers=world.auth(world.member))).status_code == 403
    back = await client.post(f"{url}/unarchive", headers=world.auth(world.lead))
    assert back.status_code == 200 and back.json()["archived_at"] is None
    listed = await client.get("/api/v1/projects", headers=world.auth(world.member))
    assert [p["id"] for p in listed.json()] == [setup.project.id]


async def test_member_with_open_work_is_reassigned_before_removal(client, world, setup, runtime):
    url, lead = f"/api/v1/projects/{setup.project.id}", world.auth(world.lead)
    refused = await client.delete(f"{url}/members/{world.member.id}", headers=lead)
    assert refused.status_code == 409
    assert "reassign" in refused.json()["detail"]
    assert world.member.id in (await client.get(url, headers=lead)).json()["member_ids"]

    for milestone in (setup.milestone, setup.other_milestone):
        moved = await client.patch(
            f"/api/v1/milestones/{milestone.id}", json={"assignee_ids": [world.lead.id]}, headers=lead
        )
        assert moved.status_code == 200, moved.text
    removed = await client.delete(f"{url}/members/{world.member.id}", headers=lead)
    assert removed.status_code == 204
    assert (await client.get(url, headers=lead)).json()["member_ids"] == []
    (entry,) = [
        h for h in await _history(runtime, "project", setup.project.id) if h.action == "member_removed"
    ]
    assert (entry.actor_id, entry.subject_user_id) == (world.lead.id, world.member.id)


async def test_the_lead_is_not_removed_from_their_project(client, world, setup):
    url = f"/api/v1/projects/{setup.project.id}"
    added = await client.post(
        f"{url}/members", json={"user_id": world.lead.id}, headers=world.auth(world.admin)
    )
    assert added.status_code == 201
    response = await client.delete(f"{url}/members/{world.lead.id}", headers=world.auth(world.admin))
    assert response.status_code == 409
    assert world.lead.id in (await client.get(url, headers=world.auth(world.admin))).json()["member_ids"]


async def test_lead_edits_an_open_milestone_with_history_and_event(client, world, setup, runtime):
    response = await client.patch(
        f"/api/v1/milestones/{setup.milestone.id}",
        json={"title": "Verifikasi berkas", "weight": 5, "assignee_ids": [world.member.id, world.lead.id]},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200, response.text
    milestone = response.json()
    assert (milestone["title"], milestone["weight"], milestone["assignee_ids"]) == (
        "Verifikasi berkas",
        5,
        sorted([world.member.id, world.lead.id]),
    )
    assert milestone["due_date"] == setup.milestone.due_date.isoformat()
    (entry,) = [h for h in await _history(runtime, "milestone", setup.milestone.id) if h.action == "edited"]
    assert entry.before == {"title": setup.milestone.title, "weight": 3, "assignee_ids": [world.member.id]}
    (event,) = await _events(runtime, f"project:{setup.project.id}", "milestone.edited")
    assert event["milestone"]["title"] == "Verifikasi berkas"
    # progress is weighted by the new weight: 5 and 1 over two open milestones at 0%
    assert event["project"]["progress_pct"] == 0


async def test_milestone_edits_keep_the_rules(client, world, setup):
    url, lead = f"/api/v1/milestones/{setup.milestone.id}", world.auth(world.lead)
    assert (
        await client.patch(url, json={"assignee_ids": [world.outsider.id]}, headers=lead)
    ).status_code == 422
    assert (await client.patch(url, json={"weight": 0}, headers=lead)).status_code == 422
    assert (await client.patch(url, json={"weight": 101}, headers=lead)).status_code == 422
    assert (await client.patch(url, json={"title": " "}, headers=lead)).status_code == 422
    assert (await client.patch(url, json={}, headers=lead)).status_code == 422
    by_member = await client.patch(url, json={"title": "Punya saya"}, headers=world.auth(world.member))
    assert by_member.status_code == 403
    unchanged = (await client.get(f"/api/v1/projects/{setup.project.id}", headers=lead)).json()
    first = next(m for m in unchanged["milestones"] if m["id"] == setup.milestone.id)
    assert (first["title"], first["weight"], first["assignee_ids"]) == (
        setup.milestone.title,
        3,
        [world.member.id],
    )


async def test_closed_milestone_is_corrected_not_edited(client, world, setup):
    closed = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    assert closed.status_code == 200
    response = await client.patch(
        f"/api/v1/milestones/{setup.milestone.id}", json={"weight": 9}, headers=world.auth(world.lead)
    )
    assert response.status_code == 409
    assert "correct" in response.json()["detail"]


async def test_a_project_without_milestones_is_on_track_until_its_due_date(client, world, session):
    today = clock.today()
    fresh = await factories.make_project(
        session, by=world.admin, unit=world.bidang, lead=world.lead, start_date=today - timedelta(days=60)
    )
    over = await factories.make_project(
        session,
        by=world.admin,
        unit=world.bidang,
        lead=world.lead,
        start_date=today - timedelta(days=60),
        due_date=today - timedelta(days=1),
    )
    await session.commit()
    listed = {
        p["id"]: p for p in (await client.get("/api/v1/projects", headers=world.auth(world.lead))).json()
    }
    assert (listed[fresh.id]["health"], listed[fresh.id]["status"]) == ("on_track", "active")
    assert listed[over.id]["health"] == "off_track"
