"""The project lead's forms on the project page (no JavaScript needed)."""

from datetime import timedelta

from sqlalchemy import select

from server import clock
from server.projects.models import Milestone, MilestoneStatus, ProjectMember
from tests.web import csrf_of, sign_in


async def _csrf(client, path: str) -> str:
    return csrf_of((await client.get(path)).text)


async def test_lead_sees_forms_and_closes_a_milestone(client, world, runtime, setup):
    await sign_in(client, world.lead)
    page = await client.get(f"/projects/{setup.project.id}")
    assert "Tutup tonggak" in page.text and "Tonggak baru" in page.text and world.outsider.name in page.text
    token = await _csrf(client, f"/projects/{setup.project.id}")
    response = await client.post(
        f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/close",
        data={"csrf_token": token, "quality": "4", "closed_on": clock.today().isoformat()},
    )
    assert response.status_code == 303
    async with runtime.sessionmaker() as session:
        milestone = await session.get(Milestone, setup.milestone.id)
    assert milestone.status == MilestoneStatus.closed and milestone.quality == 4


async def test_reschedule_without_reason_is_refused_on_the_page(client, world, runtime, setup):
    await sign_in(client, world.lead)
    token = await _csrf(client, f"/projects/{setup.project.id}")
    new_due = (clock.today() + timedelta(days=30)).isoformat()
    refused = await client.post(
        f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/reschedule",
        data={"csrf_token": token, "due_date": new_due, "reason": " "},
    )
    assert refused.status_code == 422 and "alasan" in refused.text.lower()
    async with runtime.sessionmaker() as session:
        assert (await session.get(Milestone, setup.milestone.id)).due_date == setup.milestone.due_date


async def test_lead_plans_a_milestone_and_adds_a_member(client, world, runtime, setup):
    await sign_in(client, world.lead)
    token = await _csrf(client, f"/projects/{setup.project.id}")
    planned = await client.post(
        f"/projects/{setup.project.id}/milestones",
        data={
            "csrf_token": token,
            "title": "Sosialisasi",
            "due_date": clock.today().isoformat(),
            "weight": "2",
            "assignee_ids": [str(world.member.id)],
        },
    )
    assert planned.status_code == 303
    added = await client.post(
        f"/projects/{setup.project.id}/members", data={"csrf_token": token, "user_id": str(world.outsider.id)}
    )
    assert added.status_code == 303
    async with runtime.sessionmaker() as session:
        titles = (
            await session.scalars(select(Milestone.title).where(Milestone.project_id == setup.project.id))
        ).all()
        members = (
            await session.scalars(
                select(ProjectMember.user_id).where(ProjectMember.project_id == setup.project.id)
            )
        ).all()
    assert "Sosialisasi" in titles and world.outsider.id in members


async def test_member_cannot_use_the_lead_forms(client, world, runtime, setup):
    await sign_in(client, world.member)
    page = await client.get(f"/projects/{setup.project.id}")
    assert "Tutup tonggak" not in page.text
    token = await _csrf(client, f"/projects/{setup.project.id}")
    response = await client.post(
        f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/close",
        data={"csrf_token": token, "quality": "5"},
    )
    assert response.status_code == 403
    wrong_token = await client.post(
        f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/close",
        data={"csrf_token": "x", "quality": "5"},
    )
    assert wrong_token.status_code == 403
