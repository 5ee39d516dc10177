"""The project lead's forms on the project page (no JavaScript needed)."""

from datetime import date, timedelta

from sqlalchemy import select

from server import clock
from server.projects.models import Milestone, MilestoneStatus, ProjectMember
from tests.projects.scenes import on, plan, team_project
from tests.web import csrf_of, log_in, sign_in


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
    assert refused.status_code == 422 and "10" in refused.text  # a reason of at least 10 characters
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


# --- delivery, history, quality by the rater, corrections (DOMAIN.md §1b) ---------------------------------


async def _late_milestone(client, world, runtime, assignees=None):
    """Planned Mon 23 Nov 2026, due Fri 27 Nov; the member reports 100% on Tue 1 Dec; it is Thu 3 Dec."""
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27), assignees)
    on(date(2026, 12, 1))
    reported = await client.post(
        f"/api/v1/projects/{project.id}/updates",
        json={"milestone_id": milestone["id"], "progress_pct": 100},
        headers=world.auth(world.member),
    )
    assert reported.status_code == 201
    on(date(2026, 12, 3))
    return project, milestone


async def test_lead_closes_without_accepting_the_delivery_and_everyone_sees_why(client, world, runtime):
    project, milestone = await _late_milestone(client, world, runtime)
    await log_in(client, world.lead)
    page = await client.get(f"/projects/{project.id}")
    assert "Penyerahan tidak diterima" in page.text and "wajib untuk nilai 1, 2 dan 5" in page.text
    token = csrf_of(page.text)
    url = f"/projects/{project.id}/milestones/{milestone['id']}/close"
    no_note = await client.post(url, data={"csrf_token": token, "quality": "5", "closed_on": "2026-12-02"})
    assert no_note.status_code == 422 and "Perubahan belum tersimpan" in no_note.text
    no_reason = await client.post(
        url, data={"csrf_token": token, "quality": "4", "closed_on": "2026-12-02", "delivery_accepted": "0"}
    )
    assert no_reason.status_code == 422
    closed = await client.post(
        url,
        data={
            "csrf_token": token,
            "quality": "4",
            "closed_on": "2026-12-02",
            "delivery_accepted": "0",
            "delivery_reason": "Lampiran belum ada",
        },
    )
    assert closed.status_code == 303
    client.cookies.clear()
    await log_in(client, world.member)
    page = (await client.get(f"/projects/{project.id}")).text
    assert (
        "Diserahkan pelaksana 1 Des 2026" in page
        and "tidak diterima" in page
        and "Lampiran belum ada" in page
    )
    assert (
        "Dinilai terlambat 3 hari kerja" in page
    )  # Mon 30 Nov, Tue 1 and Wed 2 Dec: the closing date counts
    assert "Penutupan dicatat 3 Des 2026" in page, "closed_on 2 Dec was recorded on 3 Dec"


async def test_everyone_who_sees_the_project_sees_a_milestones_history(client, world, runtime):
    project, milestone = await _late_milestone(client, world, runtime)
    moved = await client.patch(
        f"/api/v1/milestones/{milestone['id']}",
        json={"due_date": "2026-12-10", "reason": "Menunggu tanda tangan kepala"},
        headers=world.auth(world.lead),
    )
    assert moved.status_code == 200
    for person in (world.member, world.leader, world.admin):
        client.cookies.clear()
        await log_in(client, person)
        page = (await client.get(f"/projects/{project.id}")).text
        assert "Tenggat dipindah" in page and "Menunggu tanda tangan kepala" in page, person.name
        assert "Ketua Tim" in page and "27 Nov 2026" in page and "10 Des 2026" in page
        assert "Lewat tenggat 3 hari kerja" in page  # 30 Nov, 1, 2 Dec; from 3 Dec on, 10 Dec is in force


async def test_the_rater_scores_a_pending_quality_on_the_project_page(client, world, runtime):
    project, milestone = await _late_milestone(client, world, runtime, [world.lead.id, world.member.id])
    closed = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close",
        json={"quality": 5, "note": "Usulan nilai dari ketua tim"},
        headers=world.auth(world.lead),
    )
    assert closed.json()["quality_status"] == "pending"
    await log_in(client, world.lead)
    lead_page = (await client.get(f"/projects/{project.id}")).text
    assert "Kualitas menunggu penilaian atasan" in lead_page
    assert "Simpan nilai kualitas" not in lead_page
    assert 'name="quality"' not in lead_page.split("Koreksi atau buka kembali")[1], "no quality correction"
    client.cookies.clear()
    await log_in(client, world.leader)
    page = await client.get(f"/projects/{project.id}")
    assert "Simpan nilai kualitas" in page.text
    url = f"/projects/{project.id}/milestones/{milestone['id']}/quality"
    token = csrf_of(page.text)
    no_note = await client.post(url, data={"csrf_token": token, "quality": "1"})
    assert no_note.status_code == 422
    scored = await client.post(url, data={"csrf_token": token, "quality": "4", "note": "Sesuai rencana"})
    assert scored.status_code == 303
    twice = await client.post(url, data={"csrf_token": token, "quality": "4"})
    assert twice.status_code == 409 and "Perubahan belum tersimpan" in twice.text
    page = (await client.get(f"/projects/{project.id}")).text
    assert "Kualitas dinilai atasan" in page and "Kepala Dinas" in page and "Mutu 4/5" in page


async def test_lead_corrects_and_reopens_on_the_page(client, world, runtime):
    project, milestone = await _late_milestone(client, world, runtime)
    closed = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    assert closed.status_code == 200
    await log_in(client, world.lead)
    page = await client.get(f"/projects/{project.id}")
    assert "Koreksi atau buka kembali" in page.text
    token = csrf_of(page.text)
    url = f"/projects/{project.id}/milestones/{milestone['id']}/correct"
    short = await client.post(url, data={"csrf_token": token, "closed_on": "2026-12-02", "reason": "salah"})
    assert short.status_code == 422 and "Perubahan belum tersimpan" in short.text
    fixed = await client.post(
        url,
        data={
            "csrf_token": token,
            "closed_on": "2026-12-02",
            "quality": "",
            "reason": "Selesai sehari lebih awal",
        },
    )
    assert fixed.status_code == 303
    reopened = await client.post(
        url, data={"csrf_token": token, "reopen": "1", "reason": "Hasil perlu diperbaiki"}
    )
    assert reopened.status_code == 303
    async with runtime.sessionmaker() as session:
        row = await session.get(Milestone, milestone["id"])
    assert row.status == MilestoneStatus.open and row.progress_pct == 100 and row.closed_on is None
    page = (await client.get(f"/projects/{project.id}")).text
    assert "Dikoreksi" in page and "Dibuka kembali" in page and "Hasil perlu diperbaiki" in page
    client.cookies.clear()
    await log_in(client, world.member)
    member_page = (await client.get(f"/projects/{project.id}")).text
    assert "Simpan koreksi" not in member_page
    refused = await client.post(
        url, data={"csrf_token": csrf_of(member_page), "reopen": "1", "reason": "Saya mau ubah"}
    )
    assert refused.status_code == 403


async def test_admin_sees_the_due_date_correction_of_an_open_milestone(client, world, runtime):
    project, milestone = await _late_milestone(client, world, runtime)
    await log_in(client, world.admin)
    page = await client.get(f"/projects/{project.id}")
    assert "Koreksi tenggat (admin)" in page.text
    fixed = await client.post(
        f"/projects/{project.id}/milestones/{milestone['id']}/correct",
        data={"csrf_token": csrf_of(page.text), "due_date": "2026-11-30", "reason": "Tenggat salah diketik"},
    )
    assert fixed.status_code == 303
    async with runtime.sessionmaker() as session:
        row = await session.get(Milestone, milestone["id"])
    assert row.due_date == row.original_due_date == date(2026, 11, 30)
