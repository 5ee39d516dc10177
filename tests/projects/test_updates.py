from sqlalchemy import func, select

from server.projects.models import ProgressUpdate


async def _count_updates(runtime):
    async with runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(ProgressUpdate))


def _url(setup):
    return f"/api/v1/projects/{setup.project.id}/updates"


async def test_member_posts_update(client, world, setup):
    body = {
        "milestone_id": setup.milestone.id,
        "progress_pct": 40,
        "note": "Formulir selesai",
        "blockers": "Printer rusak",
    }
    response = await client.post(_url(setup), json=body, headers=world.auth(world.member))
    assert response.status_code == 201
    update = response.json()
    assert {k: update[k] for k in body} == body
    assert update["project_id"] == setup.project.id and update["author_id"] == world.member.id
    assert update["created_at"].endswith("Z")


async def test_lead_who_is_not_member_may_post(client, world, setup):
    body = {"milestone_id": setup.milestone.id, "progress_pct": 10}
    assert (await client.post(_url(setup), json=body, headers=world.auth(world.lead))).status_code == 201


async def test_who_may_not_post(client, world, runtime, setup):
    body = {"milestone_id": setup.milestone.id, "progress_pct": 10}
    assert (await client.post(_url(setup), json=body, headers=world.auth(world.outsider))).status_code == 404
    assert (await client.post(_url(setup), json=body, headers=world.auth(world.leader))).status_code == 403
    assert (await client.post(_url(setup), json=body, headers=world.auth(world.admin))).status_code == 403
    assert (await client.post(_url(setup), json=body)).status_code == 401
    assert await _count_updates(runtime) == 0


async def test_bad_updates_are_refused_and_write_nothing(client, world, runtime, setup):
    headers = world.auth(world.member)
    missing = await client.post(_url(setup), json={"progress_pct": 10}, headers=headers)
    assert missing.status_code == 422 and "milestone_id" in missing.text
    unknown = await client.post(
        _url(setup), json={"milestone_id": 99999, "progress_pct": 10}, headers=headers
    )
    assert unknown.status_code == 422
    too_high = await client.post(
        _url(setup), json={"milestone_id": setup.milestone.id, "progress_pct": 101}, headers=headers
    )
    assert too_high.status_code == 422
    assert await _count_updates(runtime) == 0


async def test_milestone_of_another_project_is_422(client, world, runtime, setup):
    from tests import factories

    async with runtime.transaction() as db:
        other = await factories.make_project(db, by=world.admin, unit=world.bidang, lead=world.lead)
        foreign = await factories.make_milestone(db, project=other, lead=world.lead)
    response = await client.post(
        _url(setup), json={"milestone_id": foreign.id, "progress_pct": 10}, headers=world.auth(world.member)
    )
    assert response.status_code == 422


async def test_lower_progress_needs_a_note(client, world, runtime, setup):
    headers = world.auth(world.member)
    assert (
        await client.post(
            _url(setup), json={"milestone_id": setup.milestone.id, "progress_pct": 60}, headers=headers
        )
    ).status_code == 201
    lower = await client.post(
        _url(setup),
        json={"milestone_id": setup.milestone.id, "progress_pct": 40, "note": " "},
        headers=headers,
    )
    assert lower.status_code == 422 and "note" in lower.text
    explained = await client.post(
        _url(setup),
        json={"milestone_id": setup.milestone.id, "progress_pct": 40, "note": "Data harus diulang"},
        headers=headers,
    )
    assert explained.status_code == 201
    assert await _count_updates(runtime) == 2


async def test_update_on_closed_milestone_is_409(client, world, runtime, setup):
    await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    response = await client.post(
        _url(setup),
        json={"milestone_id": setup.milestone.id, "progress_pct": 100},
        headers=world.auth(world.member),
    )
    assert response.status_code == 409
    assert await _count_updates(runtime) == 0


async def test_reporting_100_does_not_close_the_milestone(client, world, setup):
    await client.post(
        _url(setup),
        json={"milestone_id": setup.milestone.id, "progress_pct": 100},
        headers=world.auth(world.member),
    )
    project = (
        await client.get(f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.member))
    ).json()
    milestone = next(m for m in project["milestones"] if m["id"] == setup.milestone.id)
    assert milestone["status"] == "open" and milestone["progress_pct"] == 100


async def test_same_idempotency_key_replays_first_response(client, world, runtime, setup):
    headers = world.auth(world.member) | {"Idempotency-Key": "hp-budi-0001"}
    body = {"milestone_id": setup.milestone.id, "progress_pct": 30}
    first = await client.post(_url(setup), json=body, headers=headers)
    second = await client.post(_url(setup), json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert await _count_updates(runtime) == 1


async def test_same_key_with_different_body_is_422(client, world, runtime, setup):
    headers = world.auth(world.member) | {"Idempotency-Key": "k1"}
    await client.post(
        _url(setup), json={"milestone_id": setup.milestone.id, "progress_pct": 30}, headers=headers
    )
    other = await client.post(
        _url(setup), json={"milestone_id": setup.milestone.id, "progress_pct": 35}, headers=headers
    )
    assert other.status_code == 422
    assert await _count_updates(runtime) == 1


async def test_failed_request_may_be_retried_with_the_same_key(client, world, runtime, setup):
    headers = world.auth(world.member) | {"Idempotency-Key": "retry-me"}
    await client.post(
        _url(setup),
        json={"milestone_id": setup.milestone.id, "progress_pct": 50},
        headers=world.auth(world.member),
    )
    failed = await client.post(
        _url(setup), json={"milestone_id": setup.milestone.id, "progress_pct": 20}, headers=headers
    )
    assert failed.status_code == 422
    fixed = await client.post(
        _url(setup),
        json={"milestone_id": setup.milestone.id, "progress_pct": 20, "note": "Revisi"},
        headers=headers,
    )
    assert fixed.status_code == 201


async def test_keys_are_per_user(client, world, setup):
    body = {"milestone_id": setup.milestone.id, "progress_pct": 30}
    a = await client.post(
        _url(setup), json=body, headers=world.auth(world.member) | {"Idempotency-Key": "same"}
    )
    b = await client.post(
        _url(setup), json=body, headers=world.auth(world.lead) | {"Idempotency-Key": "same"}
    )
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


async def test_updates_list_newest_first_with_paging(client, world, setup):
    headers = world.auth(world.member)
    ids = []
    for pct in (10, 20, 30):
        response = await client.post(
            _url(setup), json={"milestone_id": setup.milestone.id, "progress_pct": pct}, headers=headers
        )
        ids.append(response.json()["id"])
    page = (await client.get(_url(setup), params={"limit": 2}, headers=headers)).json()
    assert [u["id"] for u in page] == [ids[2], ids[1]]
    rest = (await client.get(_url(setup), params={"limit": 2, "before": ids[1]}, headers=headers)).json()
    assert [u["id"] for u in rest] == [ids[0]]
    assert (await client.get(_url(setup), headers=world.auth(world.outsider))).status_code == 404
