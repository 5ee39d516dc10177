"""Changes of one milestone that arrive at once run one after the other (the milestone's row lock on
PostgreSQL, SQLite's single writer): exactly one close wins, and an update never lands after a close."""

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from server.audit import HistoryEntry
from server.projects.models import Milestone
from server.realtime.models import BoardEvent


async def _actions(runtime, milestone_id: int) -> list[str]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(HistoryEntry.action)
            .where(HistoryEntry.entity == "milestone", HistoryEntry.entity_id == milestone_id)
            .order_by(HistoryEntry.id)
        )
        return list(rows.all())


async def _closed_events_per_board(runtime) -> Counter[str]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(select(BoardEvent.board).where(BoardEvent.type == "milestone.closed"))
        return Counter(rows.all())


async def test_two_concurrent_closes_one_wins_the_other_gets_409(client, world, runtime, setup):
    """Issue 11: on PostgreSQL two concurrent closes both got 200 (two "closed" rows, two events)."""
    url = f"/api/v1/milestones/{setup.milestone.id}/close"
    responses = await asyncio.gather(
        *(client.post(url, json={"quality": q}, headers=world.auth(world.lead)) for q in (3, 4))
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert (await _actions(runtime, setup.milestone.id)).count("closed") == 1
    boards = await _closed_events_per_board(runtime)
    assert boards[f"project:{setup.project.id}"] == 1 and boards[f"unit:{world.bidang.id}"] == 1
    assert set(boards.values()) == {1}
    async with runtime.sessionmaker() as session:
        assert (await session.get(Milestone, setup.milestone.id)).quality == winner["quality"]


async def test_an_update_racing_a_close_lands_before_it_or_gets_409(client, world, runtime, setup):
    """Issue 11: a progress update racing a close left status=closed with progress_pct=30."""
    close, update = await asyncio.gather(
        client.post(
            f"/api/v1/milestones/{setup.milestone.id}/close",
            json={"quality": 4},
            headers=world.auth(world.lead),
        ),
        client.post(
            f"/api/v1/projects/{setup.project.id}/updates",
            json={"milestone_id": setup.milestone.id, "progress_pct": 30},
            headers=world.auth(world.member),
        ),
    )
    assert close.status_code == 200 and update.status_code in (201, 409), update.text
    async with runtime.sessionmaker() as session:
        milestone = await session.get(Milestone, setup.milestone.id)
    assert milestone.status == "closed" and milestone.progress_pct == 100


async def test_a_reschedule_racing_a_close_lands_before_it_or_gets_409(client, world, runtime, setup):
    url = f"/api/v1/milestones/{setup.milestone.id}"
    close, move = await asyncio.gather(
        client.post(f"{url}/close", json={"quality": 4}, headers=world.auth(world.lead)),
        client.patch(
            url,
            json={
                "due_date": (setup.milestone.due_date + timedelta(days=3)).isoformat(),
                "reason": "Menunggu data",
            },
            headers=world.auth(world.lead),
        ),
    )
    assert close.status_code == 200 and move.status_code in (200, 409), move.text
    actions = await _actions(runtime, setup.milestone.id)
    assert actions[-1] == "closed", "nothing changes a milestone after its close but a correction"
