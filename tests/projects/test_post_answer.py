"""A post's answer and its `progress.posted` event are built from the rows the post wrote and read
(server/projects/posting.py), not from models: they must still be exactly what the API's reads give,
the milestone's history and its lateness so far included."""

import json
from datetime import timedelta

from sqlalchemy import select

from server import clock
from server.realtime.models import BoardEvent
from tests import factories


async def _posted_event(runtime, board: str) -> dict:
    async with runtime.sessionmaker() as session:
        message = await session.scalar(
            select(BoardEvent.message)
            .where(BoardEvent.board == board, BoardEvent.type == "progress.posted")
            .order_by(BoardEvent.seq.desc())
            .limit(1)
        )
    assert message is not None
    return json.loads(message)["data"]


async def test_the_answer_and_the_event_are_what_the_reads_give(client, runtime, world, setup):
    # A milestone already late, then moved: it has a history item and working days late so far.
    async with runtime.transaction() as db:
        late = await factories.make_milestone(
            db,
            project=setup.project,
            lead=world.lead,
            due_date=clock.today() - timedelta(days=10),
            assignee_ids=[world.member.id],
        )
    moved = await client.patch(
        f"/api/v1/milestones/{late.id}",
        json={
            "due_date": (clock.today() + timedelta(days=3)).isoformat(),
            "reason": "Menunggu data dari dinas",
        },
        headers=world.auth(world.lead),
    )
    assert moved.status_code == 200, moved.text

    body = {"milestone_id": late.id, "progress_pct": 40, "note": "Survei lapangan", "blockers": "Hujan"}
    answer = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(world.member)
    )
    assert answer.status_code == 201, answer.text
    posted = answer.json()

    listed = await client.get(
        f"/api/v1/projects/{setup.project.id}/updates", headers=world.auth(world.member)
    )
    assert listed.status_code == 200
    assert posted == listed.json()[0], "the answer is the update as the API lists it"
    assert posted["blockers"] == "Hujan" and posted["evidence"] == []

    event = await _posted_event(runtime, f"project:{setup.project.id}")
    assert event["update"] == posted
    project = await client.get(f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.member))
    assert event["project"] == project.json(), "the event's project is the project as the API reads it"
    (milestone,) = [m for m in event["project"]["milestones"] if m["id"] == late.id]
    assert event["milestone"] == milestone
    assert [item["kind"] for item in milestone["history"]] == ["rescheduled"]
    assert milestone["history"][0]["by"] == world.lead.id
    assert milestone["late_working_days"] > 0, "the days late before the move still count"
