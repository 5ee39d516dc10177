"""Milestone tests move through days: these put the clock on a WIB day and build a project as of then."""

from datetime import date, datetime, time

from sqlalchemy import select

from server import clock
from server.audit import HistoryEntry
from server.projects.reads import ProjectRead
from tests import factories


def wib(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.JAKARTA).astimezone(clock.UTC)


def on(day: date, hour: int = 10, minute: int = 0) -> None:
    """From now on it is `hour`:`minute` WIB on `day`."""
    clock.freeze(wib(day, hour, minute))


async def team_project(runtime, world, *, start: date, due: date) -> ProjectRead:
    """A bidang project led by world.lead with world.member as a member, made as of the current clock."""
    async with runtime.transaction() as db:
        project = await factories.make_project(
            db, by=world.admin, unit=world.bidang, lead=world.lead, start_date=start, due_date=due
        )
        await factories.add_member(db, project=project, user=world.member, by=world.lead)
    return project


async def plan(client, world, project_id: int, due: date, assignees: list[int] | None = None) -> dict:
    """The lead plans a milestone through the API, as of the current clock."""
    response = await client.post(
        f"/api/v1/projects/{project_id}/milestones",
        json={
            "title": "Laporan",
            "due_date": due.isoformat(),
            "assignee_ids": [world.member.id] if assignees is None else assignees,
        },
        headers=world.auth(world.lead),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def milestone_history(runtime, milestone_id: int) -> list[HistoryEntry]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.entity == "milestone", HistoryEntry.entity_id == milestone_id)
            .order_by(HistoryEntry.id)
        )
        return list(rows.all())
