"""Answers to progress updates: seen, one reaction per person, comments. Who may give them, the board
events they write and the notification their author gets."""

import json
from datetime import UTC, datetime

from sqlalchemy import event, select

from server import clock
from server.notifications.models import Notification
from server.projects import responses
from server.realtime.models import BoardEvent
from tests import factories

NOW = datetime(2026, 12, 2, 3, tzinfo=UTC)


async def _post(client, world, setup, who=None, pct: int = 20) -> dict:
    body = {"milestone_id": setup.milestone.id, "progress_pct": pct, "note": "Rapat selesai"}
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(who or world.member)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _events(runtime, board: str) -> list[tuple[str, dict]]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(BoardEvent.type, BoardEvent.message)
            .where(BoardEvent.board == board, BoardEvent.type.startswith("update."))
            .order_by(BoardEvent.seq)
        )
        return [(kind, json.loads(message)["data"]) for kind, message in rows.all()]


async def _told(runtime, user_id: int) -> list[Notification]:
    async with runtime.sessionmaker() as session:
        found = await session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        return list(found.all())


async def test_a_leader_marks_an_update_seen_once_and_its_author_is_told(client, world, setup, runtime):
    clock.freeze(NOW)
    update = await _post(client, world, setup)
    url = f"/api/v1/updates/{update['id']}/seen"

    first = await client.post(url, headers=world.auth(world.leader))
    assert first.status_code == 200, first.text
    assert first.json()["seen"] == [
        {"by": world.leader.id, "by_name": "Kepala Dinas", "at": "2026-12-02T03:00:00Z"}
    ]
    again = await client.post(url, headers=world.auth(world.leader))
    assert again.status_code == 200 and again.json() == first.json()

    # One event on the project's board and each unit board above it, one notification.
    expected = {
        "update_id": update["id"],
        "by": world.leader.id,
        "by_name": "Kepala Dinas",
        "at": "2026-12-02T03:00:00Z",
    }
    for board in (f"project:{setup.project.id}", f"unit:{world.bidang.id}", f"unit:{world.dinas.id}"):
        assert await _events(runtime, board) == [("update.seen", expected)]
    told = await _told(runtime, world.member.id)
    assert [(n.kind, n.url) for n in told] == [
        ("update_response", f"/projects/{setup.project.id}#update-{update['id']}")
    ]
    assert json.loads(told[0].params)["name"] == "Kepala Dinas"


async def test_one_reaction_per_person_replaced_then_removed(client, world, setup, runtime):
    update = await _post(client, world, setup)
    url = f"/api/v1/updates/{update['id']}/reaction"

    put = await client.put(url, json={"reaction": "thumbs_up"}, headers=world.auth(world.lead))
    assert put.status_code == 200, put.text
    changed = await client.put(url, json={"reaction": "keep_going"}, headers=world.auth(world.lead))
    assert [(r["by"], r["reaction"]) for r in changed.json()["reactions"]] == [(world.lead.id, "keep_going")]
    await client.put(url, json={"reaction": "thanks"}, headers=world.auth(world.leader))

    read = await client.get(f"/api/v1/updates/{update['id']}/responses", headers=world.auth(world.member))
    assert sorted(r["reaction"] for r in read.json()["reactions"]) == ["keep_going", "thanks"]

    removed = await client.delete(url, headers=world.auth(world.lead))
    assert removed.status_code == 200
    assert [r["reaction"] for r in removed.json()["reactions"]] == ["thanks"]
    reacted = [data["reaction"] for kind, data in await _events(runtime, f"project:{setup.project.id}")]
    assert reacted == ["thumbs_up", "keep_going", "thanks", None]
    # Told of each new reaction, not of the removal.
    assert len(await _told(runtime, world.member.id)) == 3


async def test_an_unknown_reaction_is_refused(client, world, setup):
    update = await _post(client, world, setup)
    response = await client.put(
        f"/api/v1/updates/{update['id']}/reaction", json={"reaction": "heart"}, headers=world.auth(world.lead)
    )
    assert response.status_code == 422


async def test_comments_add_up_and_the_author_may_reply_without_being_told(client, world, setup, runtime):
    clock.freeze(NOW)
    update = await _post(client, world, setup)
    url = f"/api/v1/updates/{update['id']}/comments"

    made = await client.post(url, json={"text": "  Bagus, lanjutkan  "}, headers=world.auth(world.leader))
    assert made.status_code == 201, made.text
    comment = made.json()
    assert comment["text"] == "Bagus, lanjutkan" and comment["by_name"] == "Kepala Dinas"
    reply = await client.post(url, json={"text": "Terima kasih"}, headers=world.auth(world.member))
    assert reply.status_code == 201

    read = await client.get(f"/api/v1/updates/{update['id']}/responses", headers=world.auth(world.leader))
    assert [c["text"] for c in read.json()["comments"]] == ["Bagus, lanjutkan", "Terima kasih"]
    events = await _events(runtime, f"unit:{world.dinas.id}")
    assert events[0] == ("update.commented", {"update_id": update["id"], "comment": comment})
    assert len(await _told(runtime, world.member.id)) == 1  # the reply tells no one


async def test_a_blank_comment_is_refused_and_writes_nothing(client, world, setup, runtime):
    update = await _post(client, world, setup)
    response = await client.post(
        f"/api/v1/updates/{update['id']}/comments", json={"text": " \n "}, headers=world.auth(world.lead)
    )
    assert response.status_code == 422 and "detail" in response.json()
    assert await _events(runtime, f"project:{setup.project.id}") == []


async def test_who_may_respond(client, world, setup, runtime):
    update = await _post(client, world, setup)
    seen = f"/api/v1/updates/{update['id']}/seen"
    comments = f"/api/v1/updates/{update['id']}/comments"
    # The author may not mark their own update seen or react to it, but may reply.
    assert (await client.post(seen, headers=world.auth(world.member))).status_code == 403
    reaction = await client.put(
        f"/api/v1/updates/{update['id']}/reaction",
        json={"reaction": "thanks"},
        headers=world.auth(world.member),
    )
    assert reaction.status_code == 403
    # A member who is not the author, nor the lead, may see the project but not respond.
    async with runtime.transaction() as db:
        colleague = await factories.make_user(db, unit=world.bidang)
        await factories.add_member(db, project=setup.project, user=colleague, by=world.lead)
    assert (await client.post(seen, headers=world.auth(colleague))).status_code == 403
    assert (
        await client.post(comments, json={"text": "Hai"}, headers=world.auth(colleague))
    ).status_code == 403
    # Who may not see the project gets 404, never confirming the update exists.
    for who in (world.outsider, world.sibling_leader):
        assert (await client.post(seen, headers=world.auth(who))).status_code == 404
        assert (
            await client.get(f"/api/v1/updates/{update['id']}/responses", headers=world.auth(who))
        ).status_code == 404
    assert (
        await client.post("/api/v1/updates/999999/seen", headers=world.auth(world.admin))
    ).status_code == 404
    # The lead, the unit's leader and an admin may.
    for who in (world.lead, world.leader, world.admin):
        assert (await client.post(seen, headers=world.auth(who))).status_code == 200
    events = await _events(runtime, f"project:{setup.project.id}")
    assert [(kind, data["by"]) for kind, data in events] == [
        ("update.seen", who.id) for who in (world.lead, world.leader, world.admin)
    ]


async def test_responses_of_many_updates_take_one_query(client, world, setup, runtime):
    ids = [(await _post(client, world, setup, pct=pct))["id"] for pct in (10, 20, 30)]
    for update_id in ids:
        await client.post(f"/api/v1/updates/{update_id}/seen", headers=world.auth(world.leader))
        await client.post(
            f"/api/v1/updates/{update_id}/comments", json={"text": "Oke"}, headers=world.auth(world.lead)
        )
    statements: list[str] = []
    async with runtime.sessionmaker() as session:
        engine = session.bind.sync_engine  # type: ignore[union-attr]

        def count(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            found = await responses.responses_of(session, [*ids, 424242])
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.startswith("SELECT")]) == 1
    assert [len(found[i].seen) + len(found[i].comments) for i in ids] == [2, 2, 2]
    assert found[424242].seen == [] and found[424242].comments == []


async def test_an_archived_projects_updates_cannot_be_answered(client, world, setup, runtime):
    update = await _post(client, world, setup)
    archived = await client.post(
        f"/api/v1/projects/{setup.project.id}/archive", headers=world.auth(world.lead)
    )
    assert archived.status_code == 200, archived.text
    seen = await client.post(f"/api/v1/updates/{update['id']}/seen", headers=world.auth(world.leader))
    assert seen.status_code == 409
    assert await _events(runtime, f"project:{setup.project.id}") == []
    assert await _told(runtime, world.member.id) == []
