"""Blockers have a life cycle: open (posted with an update) → acknowledged (a leader) → resolved (the
author or the lead, with a note). They stay listed until resolved, whatever updates follow."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server import clock
from server.accounts.models import Role
from server.projects import blockers
from server.projects.boards import project_snapshot, unit_snapshot
from server.projects.models import ProgressUpdate, Project
from server.realtime.models import BoardEvent
from tests import factories

NOW = datetime(2026, 12, 2, 3, tzinfo=UTC)


async def _post(client, world, setup, who=None, blocker: str | None = "Printer rusak", pct: int = 20):
    body = {"milestone_id": setup.milestone.id, "progress_pct": pct, "blockers": blocker}
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(who or world.member)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _acknowledge(client, world, update_id: int, who):
    return await client.post(f"/api/v1/updates/{update_id}/blocker/acknowledge", headers=world.auth(who))


async def _resolve(client, world, update_id: int, who, note: str = "Printer sudah diganti"):
    return await client.post(
        f"/api/v1/updates/{update_id}/blocker/resolve", json={"note": note}, headers=world.auth(who)
    )


async def _listed(client, world, setup, status: str = "open", who=None) -> list[dict]:
    response = await client.get(
        f"/api/v1/projects/{setup.project.id}/blockers",
        params={"status": status},
        headers=world.auth(who or world.member),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _events(runtime, board: str, prefix: str = "blocker.") -> list[tuple[str, dict]]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(BoardEvent.type, BoardEvent.message)
            .where(BoardEvent.board == board, BoardEvent.type.startswith(prefix))
            .order_by(BoardEvent.seq)
        )
        return [(kind, json.loads(message)["data"]) for kind, message in rows.all()]


async def test_a_blocker_stays_open_when_later_updates_come_and_is_listed_oldest_first(client, world, setup):
    clock.freeze(NOW)
    first = await _post(client, world, setup, blocker="Printer rusak")
    clock.freeze(NOW + timedelta(hours=2))
    await _post(client, world, setup, who=world.lead, blocker=None, pct=30)  # no blocker: opens none
    second = await _post(client, world, setup, who=world.lead, blocker="Server lambat", pct=40)

    listed = await _listed(client, world, setup)
    assert [(b["update_id"], b["text"], b["status"]) for b in listed] == [
        (first["id"], "Printer rusak", "open"),
        (second["id"], "Server lambat", "open"),
    ]
    one = listed[0]
    assert one["author_id"] == world.member.id and one["author_name"] == "Anggota Tim"
    assert one["project_id"] == setup.project.id and one["project_name"] == setup.project.name
    assert one["milestone_id"] == setup.milestone.id and one["milestone_title"] == setup.milestone.title
    assert one["opened_at"] == first["created_at"] == "2026-12-02T03:00:00Z"
    assert one["acknowledged_by"] is None and one["resolved_by"] is None and one["resolution"] is None
    # The update itself reads as before (v1): its `blockers` text, nothing else changed.
    assert first["blockers"] == "Printer rusak" and "blocker_status" not in first


async def test_leader_acknowledges_and_author_resolves_with_a_note(client, world, runtime, setup):
    clock.freeze(NOW)
    posted = await _post(client, world, setup)
    clock.freeze(NOW + timedelta(hours=1))
    acknowledged = await _acknowledge(client, world, posted["id"], world.leader)
    assert acknowledged.status_code == 200, acknowledged.text
    read = acknowledged.json()
    assert read["status"] == "acknowledged" and read["acknowledged_by"] == world.leader.id
    assert (
        read["acknowledged_by_name"] == "Kepala Dinas" and read["acknowledged_at"] == "2026-12-02T04:00:00Z"
    )
    assert [b["status"] for b in await _listed(client, world, setup)] == ["acknowledged"]

    clock.freeze(NOW + timedelta(hours=3))
    resolved = await _resolve(client, world, posted["id"], world.member, note="  Printer sudah diganti \n")
    assert resolved.status_code == 200, resolved.text
    read = resolved.json()
    assert read["status"] == "resolved" and read["resolved_by"] == world.member.id
    assert read["resolution"] == "Printer sudah diganti" and read["resolved_at"] == "2026-12-02T06:00:00Z"
    assert read["acknowledged_by"] == world.leader.id, "the acknowledgement is kept"
    assert await _listed(client, world, setup) == []
    assert [b["update_id"] for b in await _listed(client, world, setup, "resolved")] == [posted["id"]]
    assert len(await _listed(client, world, setup, "all")) == 1


async def test_the_lead_and_an_admin_may_resolve_an_open_blocker_without_acknowledging_it(
    client, world, setup
):
    first = await _post(client, world, setup)
    second = await _post(client, world, setup, pct=30)
    assert (await _resolve(client, world, first["id"], world.lead)).json()["resolved_by"] == world.lead.id
    assert (await _resolve(client, world, second["id"], world.admin)).json()["resolved_by"] == world.admin.id


async def test_who_may_acknowledge(client, world, runtime, setup):
    posted = await _post(client, world, setup)
    for who in (world.member, world.lead):  # the author and the lead are not leaders
        refused = await _acknowledge(client, world, posted["id"], who)
        assert refused.status_code == 403 and "leader" in refused.json()["detail"]
    async with runtime.transaction() as db:
        # A leader of the bidang itself may; one who is a project member but leads another unit may not.
        bidang_leader = await factories.make_user(db, unit=world.bidang, role=Role.leader)
        await factories.add_member(db, project=setup.project, user=world.sibling_leader, by=world.lead)
    assert (await _acknowledge(client, world, posted["id"], world.sibling_leader)).status_code == 403
    assert (await _acknowledge(client, world, posted["id"], world.outsider)).status_code == 404
    assert [b["status"] for b in await _listed(client, world, setup)] == ["open"], "nothing was written"
    assert (await _acknowledge(client, world, posted["id"], bidang_leader)).status_code == 200
    again = await _acknowledge(client, world, posted["id"], world.admin)
    assert again.status_code == 409 and "already" in again.json()["detail"]


async def test_who_may_resolve_and_the_note_it_needs(client, world, runtime, setup):
    posted = await _post(client, world, setup)
    async with runtime.transaction() as db:
        colleague = await factories.make_user(db, unit=world.bidang)
        await factories.add_member(db, project=setup.project, user=colleague, by=world.lead)
    for who in (colleague, world.leader):  # another member; a leader acknowledges but does not resolve
        refused = await _resolve(client, world, posted["id"], who)
        assert refused.status_code == 403 and "author" in refused.json()["detail"]
    assert (await _resolve(client, world, posted["id"], world.outsider)).status_code == 404
    for blank in ("", "  \n "):
        refused = await _resolve(client, world, posted["id"], world.member, note=blank)
        assert refused.status_code == 422 and "note" in refused.json()["detail"]
    too_long = await _resolve(client, world, posted["id"], world.member, note="x" * 2001)
    assert too_long.status_code == 422
    missing = await client.post(
        f"/api/v1/updates/{posted['id']}/blocker/resolve", json={}, headers=world.auth(world.member)
    )
    assert missing.status_code == 422
    assert [b["status"] for b in await _listed(client, world, setup)] == ["open"]
    assert await _events(runtime, f"project:{setup.project.id}", "blocker.resolved") == []

    assert (await _resolve(client, world, posted["id"], world.member)).status_code == 200
    again = await _resolve(client, world, posted["id"], world.lead)
    assert again.status_code == 409
    late = await _acknowledge(client, world, posted["id"], world.leader)
    assert late.status_code == 409 and "resolved" in late.json()["detail"]


async def test_an_update_without_a_blocker_or_an_unknown_one_is_404(client, world, setup):
    plain = await _post(client, world, setup, blocker="   ")
    assert plain["blockers"] is None
    for update_id in (plain["id"], 999999):
        assert (await _acknowledge(client, world, update_id, world.leader)).status_code == 404
        assert (await _resolve(client, world, update_id, world.member)).status_code == 404
    unknown_project = await client.get("/api/v1/projects/999999/blockers", headers=world.auth(world.member))
    assert unknown_project.status_code == 404
    bad_status = await client.get(
        f"/api/v1/projects/{setup.project.id}/blockers?status=maybe", headers=world.auth(world.member)
    )
    assert bad_status.status_code == 422


async def test_each_step_goes_to_the_project_board_and_every_unit_board_above(client, world, runtime, setup):
    posted = await _post(client, world, setup)
    await _acknowledge(client, world, posted["id"], world.leader)
    await _resolve(client, world, posted["id"], world.lead)
    for board in (f"project:{setup.project.id}", f"unit:{world.bidang.id}", f"unit:{world.dinas.id}"):
        events = await _events(runtime, board)
        assert [(kind, data["blocker"]["status"]) for kind, data in events] == [
            ("blocker.opened", "open"),
            ("blocker.acknowledged", "acknowledged"),
            ("blocker.resolved", "resolved"),
        ], board
        assert all(list(data) == ["blocker"] for _, data in events)
        assert events[-1][1]["blocker"] == (await _listed(client, world, setup, "all"))[0]
    assert await _events(runtime, f"unit:{world.sibling.id}") == []
    # blocker.opened comes right after the update's own progress.posted, in the same transaction.
    kinds = [kind for kind, _ in await _events(runtime, f"project:{setup.project.id}", "")]
    assert kinds[kinds.index("progress.posted") + 1] == "blocker.opened"


async def test_a_refused_post_opens_no_blocker(client, world, runtime, setup):
    body = {"milestone_id": setup.milestone.id, "progress_pct": 101, "blockers": "Printer rusak"}
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(world.member)
    )
    assert response.status_code == 422
    assert await _events(runtime, f"project:{setup.project.id}") == []


async def test_board_snapshots_list_the_open_blockers_oldest_first(client, world, runtime, setup):
    clock.freeze(NOW)
    old = await _post(client, world, setup, blocker="Printer rusak")
    clock.freeze(NOW + timedelta(days=2))
    gone = await _post(client, world, setup, blocker="Listrik padam", pct=30)
    newer = await _post(client, world, setup, who=world.lead, blocker="Server lambat", pct=40)
    await _acknowledge(client, world, newer["id"], world.leader)
    await _resolve(client, world, gone["id"], world.member)
    await _post(client, world, setup, blocker=None, pct=50)  # the latest update reports none

    async with runtime.sessionmaker() as session:
        unit = await unit_snapshot(session, world.dinas.id)
        project = await project_snapshot(session, setup.project.id)
    for snapshot in (unit, project):
        assert [(b["update_id"], b["status"]) for b in snapshot["open_blockers"]] == [
            (old["id"], "open"),
            (newer["id"], "acknowledged"),
        ]
    assert unit["latest_updates"][str(setup.project.id)]["blockers"] is None, "the v1 card is unchanged"
    async with runtime.sessionmaker() as session:
        sibling = await unit_snapshot(session, world.sibling.id)
    assert sibling["open_blockers"] == []


async def test_home_lists_the_authors_and_the_leads_open_blockers(client, world, runtime, setup):
    mine = await _post(client, world, setup)
    leads_own = await _post(client, world, setup, who=world.lead, blocker="Anggaran belum cair", pct=30)
    async with runtime.sessionmaker() as session:
        authored = await blockers.authored_open_blockers(session, author_id=world.member.id)
        led = await blockers.led_open_blockers(session, lead_id=world.lead.id)
        lead_authored = await blockers.authored_open_blockers(session, author_id=world.lead.id)
        update = await session.get(ProgressUpdate, mine["id"])
    assert [b.update_id for b in authored] == [mine["id"]]
    assert [b.update_id for b in led] == [mine["id"]], "the lead's own blockers are listed as theirs"
    assert [b.update_id for b in lead_authored] == [leads_own["id"]]
    assert update is not None and update.blocker_status == "open"


async def test_an_archived_projects_blockers_leave_the_lists_and_stay_as_they_were(
    client, world, runtime, setup
):
    posted = await _post(client, world, setup)
    async with runtime.transaction() as db:
        project = await db.get(Project, setup.project.id)
        project.archived_at = NOW
        db.add(project)
    acknowledged = await _acknowledge(client, world, posted["id"], world.leader)
    assert acknowledged.status_code == 409 and "archived" in acknowledged.json()["detail"]
    assert (await _resolve(client, world, posted["id"], world.member)).status_code == 409
    async with runtime.sessionmaker() as session:
        assert await blockers.authored_open_blockers(session, author_id=world.member.id) == []
        assert (await unit_snapshot(session, world.dinas.id))["open_blockers"] == []
    assert [b["status"] for b in await _listed(client, world, setup)] == ["open"]


async def test_two_resolutions_at_once_one_wins_and_the_other_is_409(client, world, runtime, setup):
    posted = await _post(client, world, setup)
    answers = await asyncio.gather(
        _resolve(client, world, posted["id"], world.member, note="Diganti oleh pelapor"),
        _resolve(client, world, posted["id"], world.lead, note="Diganti oleh ketua tim"),
    )
    assert sorted(r.status_code for r in answers) == [200, 409]
    events = await _events(runtime, f"project:{setup.project.id}", "blocker.resolved")
    assert len(events) == 1
    winner = next(r for r in answers if r.status_code == 200).json()
    assert events[0][1]["blocker"]["resolution"] == winner["resolution"]
