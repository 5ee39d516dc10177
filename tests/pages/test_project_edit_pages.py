"""Projects managed in the browser (server/projects/edit_pages.py): creating one, changing it, its
members and milestones, archiving it; each refusal said next to its form, with nothing written."""

from datetime import timedelta

from sqlalchemy import select

from server import clock
from server.projects.models import Milestone, MilestoneAssignee, Project, ProjectMember
from tests.web import csrf_of, log_in


async def _form(client, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


async def test_leader_creates_a_project_and_lands_on_its_empty_state(client, world, runtime):
    await log_in(client, world.leader)
    board = await client.get(f"/board/unit/{world.dinas.id}")
    assert 'href="/projects/new"' in board.text
    token = await _form(client, "/projects/new")
    today = clock.today()
    response = await client.post(
        "/projects/new",
        data={
            "csrf_token": token,
            "name": "Pelayanan Akta Keliling",
            "description": "",
            "unit_id": str(world.bidang.id),
            "lead_id": str(world.leader.id),
            "start_date": (today - timedelta(days=40)).isoformat(),
            "due_date": (today + timedelta(days=60)).isoformat(),
        },
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Pelayanan Akta Keliling" in page.text
    assert "Sesuai jadwal" in page.text and "Terlambat" not in page.text
    assert "Tambahkan tonggak pertama" in page.text
    assert f'href="{response.headers["location"]}/edit"' in page.text


async def test_staff_may_not_open_the_new_project_form(client, world):
    await log_in(client, world.member)
    assert (await client.get("/projects/new")).status_code == 403


async def test_a_refused_new_project_is_said_on_the_form_and_nothing_is_created(client, world, runtime):
    await log_in(client, world.leader)
    token = await _form(client, "/projects/new")
    today = clock.today()
    response = await client.post(
        "/projects/new",
        data={
            "csrf_token": token,
            "name": "Proyek mundur",
            "unit_id": str(world.bidang.id),
            "lead_id": str(world.lead.id),
            "start_date": today.isoformat(),
            "due_date": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text and 'value="Proyek mundur"' in response.text
    async with runtime.sessionmaker() as session:
        assert (await session.scalars(select(Project))).all() == []


async def test_lead_changes_the_project_data(client, world, runtime, setup):
    await log_in(client, world.lead)
    path = f"/projects/{setup.project.id}/edit"
    token = await _form(client, path)
    response = await client.post(
        path,
        data={
            "csrf_token": token,
            "name": "Nama yang lebih jelas",
            "description": "Uraian baru",
            "start_date": setup.project.start_date.isoformat(),
            "due_date": (setup.project.due_date + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 303
    async with runtime.sessionmaker() as session:
        project = await session.get(Project, setup.project.id)
    assert (project.name, project.description) == ("Nama yang lebih jelas", "Uraian baru")
    assert project.due_date == setup.project.due_date + timedelta(days=7)


async def test_a_member_may_not_open_the_edit_page(client, world, setup):
    await log_in(client, world.member)
    assert (await client.get(f"/projects/{setup.project.id}/edit")).status_code == 403


async def test_removing_an_assignee_is_refused_next_to_the_members(client, world, runtime, setup):
    await log_in(client, world.lead)
    path = f"/projects/{setup.project.id}/edit"
    token = await _form(client, path)
    response = await client.post(
        f"/projects/{setup.project.id}/members/{world.member.id}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert 'id="error-members"' in response.text
    async with runtime.sessionmaker() as session:
        assert await session.get(ProjectMember, (setup.project.id, world.member.id)) is not None


async def test_lead_edits_a_milestone_and_then_removes_the_member(client, world, runtime, setup):
    await log_in(client, world.lead)
    path = f"/projects/{setup.project.id}/edit"
    token = await _form(client, path)
    for milestone in (setup.milestone, setup.other_milestone):
        response = await client.post(
            f"/projects/{setup.project.id}/milestones/{milestone.id}/edit",
            data={
                "csrf_token": token,
                "title": f"{milestone.title} (revisi)",
                "weight": "4",
                "assignee_ids": [str(world.lead.id)],
            },
        )
        assert response.status_code == 303
    removed = await client.post(
        f"/projects/{setup.project.id}/members/{world.member.id}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 303
    async with runtime.sessionmaker() as session:
        milestone = await session.get(Milestone, setup.milestone.id)
        assignees = (
            await session.scalars(
                select(MilestoneAssignee.user_id).where(MilestoneAssignee.milestone_id == milestone.id)
            )
        ).all()
        assert await session.get(ProjectMember, (setup.project.id, world.member.id)) is None
    assert (milestone.title, milestone.weight, assignees) == (
        f"{setup.milestone.title} (revisi)",
        4,
        [world.lead.id],
    )


async def test_a_bad_weight_is_said_next_to_the_milestone(client, world, runtime, setup):
    await log_in(client, world.lead)
    token = await _form(client, f"/projects/{setup.project.id}/edit")
    response = await client.post(
        f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/edit",
        data={"csrf_token": token, "title": "Judul", "weight": "500", "assignee_ids": [str(world.member.id)]},
    )
    assert response.status_code == 422
    assert f'id="error-milestone-{setup.milestone.id}"' in response.text
    async with runtime.sessionmaker() as session:
        assert (await session.get(Milestone, setup.milestone.id)).weight == 3


async def test_archived_project_shows_its_banner_and_no_forms_then_comes_back(client, world, runtime, setup):
    await log_in(client, world.lead)
    token = await _form(client, f"/projects/{setup.project.id}/edit")
    archived = await client.post(f"/projects/{setup.project.id}/archive", data={"csrf_token": token})
    assert archived.status_code == 303
    page = await client.get(archived.headers["location"])
    assert "Diarsipkan" in page.text
    assert "Tutup tonggak" not in page.text and "Kirim pembaruan" not in page.text
    assert f'action="/projects/{setup.project.id}/unarchive"' in page.text
    home = await client.get("/")
    assert setup.project.name not in home.text

    back = await client.post(
        f"/projects/{setup.project.id}/unarchive", data={"csrf_token": csrf_of(page.text)}
    )
    assert back.status_code == 303
    async with runtime.sessionmaker() as session:
        assert (await session.get(Project, setup.project.id)).archived_at is None
    assert "Tutup tonggak" in (await client.get(f"/projects/{setup.project.id}")).text
