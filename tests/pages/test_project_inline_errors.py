"""A refused form of the project page (the lead's milestone and member forms, the rater's quality score,
the blocker forms) draws the page again: the message beside the field it concerns, in the page's
language, the form open and filled in as it was sent, and nothing written (server/projects/pages.py)."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server import clock
from server.pages import i18n
from server.projects.models import Milestone, MilestoneStatus, ProgressUpdate, ProjectMember
from tests.projects.scenes import on, plan, team_project
from tests.web import csrf_of, log_in

LOCALES = ["id", "en"]


def _inline(page: str, element_id: str) -> str:
    """The text of the inline message with this id (it must be there)."""
    found = re.search(
        rf'<p class="alert alert--error field-refusal" id="{element_id}"[^>]*>(.*?)</p>', page, re.S
    )
    assert found, f"no inline message #{element_id}"
    return html.unescape(found[1])


def _form(page: str, action: str) -> str:
    """The form posting to `action`, with the <details> it is in (when it is in one)."""
    start = page.index(f'action="{action}"')
    details = page.rfind("<details", 0, start)
    form_start = page.rfind("<form", 0, start)
    begin = details if details != -1 and page.find("</details>", details) > start else form_start
    return page[begin : page.index("</form>", start)]


async def _page(client, world, person, project_id: int, locale: str) -> str:
    await log_in(client, person)
    if locale == "en":
        client.cookies.set(i18n.COOKIE, "en")
    return (await client.get(f"/projects/{project_id}")).text


async def _count(runtime, *where) -> int:
    async with runtime.sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(where[0]).where(*where[1:]))) or 0


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_new_milestone_refused_keeps_what_was_typed(client, world, runtime, setup, locale):
    page = await _page(client, world, world.lead, setup.project.id, locale)
    before = await _count(runtime, Milestone, Milestone.project_id == setup.project.id)
    refused = await client.post(
        f"/projects/{setup.project.id}/milestones",
        data={
            "csrf_token": csrf_of(page),
            "title": "Sosialisasi <desa> & kelurahan",
            "due_date": "2026-12-20",
            "weight": "150",
            "assignee_ids": [str(world.member.id)],
        },
    )
    assert refused.status_code == 422
    said = _inline(refused.text, "error-milestone-new-weight")
    assert said == {"id": "Bobot: paling besar 100.", "en": "Weight: at most 100."}[locale]
    form = _form(refused.text, f"/projects/{setup.project.id}/milestones")
    assert 'value="Sosialisasi &lt;desa&gt; &amp; kelurahan"' in form and 'value="2026-12-20"' in form
    assert 'name="weight" type="number" min="1" max="100" value="150"' in form
    assert f'value="{world.member.id}" checked' in form and f'value="{world.lead.id}" checked' not in form
    assert await _count(runtime, Milestone, Milestone.project_id == setup.project.id) == before

    unreadable = await client.post(
        f"/projects/{setup.project.id}/milestones",
        data={"csrf_token": csrf_of(page), "title": "Rapat", "due_date": "kemarin", "weight": "1"},
    )
    assert unreadable.status_code == 422
    said = _inline(unreadable.text, "error-milestone-new-due_date")
    assert said == {"id": "Isi tanggal tenggat yang benar.", "en": "Enter a valid due date."}[locale]
    assert 'value="Rapat"' in _form(unreadable.text, f"/projects/{setup.project.id}/milestones")


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_reschedule_refused_keeps_the_date_and_the_reason(client, world, runtime, setup, locale):
    page = await _page(client, world, world.lead, setup.project.id, locale)
    new_due = (clock.today() + timedelta(days=30)).isoformat()
    action = f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/reschedule"
    refused = await client.post(
        action, data={"csrf_token": csrf_of(page), "due_date": new_due, "reason": "hujan"}
    )
    assert refused.status_code == 422
    said = _inline(refused.text, f"error-reschedule-{setup.milestone.id}")  # the service's rule
    assert "10" in said and {"id": "alasan", "en": "reason"}[locale] in said.lower()
    form = _form(refused.text, action)
    assert form.startswith('<details class="milestone__lead" open>')
    assert f'value="{new_due}"' in form and 'value="hujan"' in form
    async with runtime.sessionmaker() as session:
        assert (await session.get(Milestone, setup.milestone.id)).due_date == setup.milestone.due_date


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_close_refused_by_the_service_is_said_in_the_form(client, world, runtime, setup, locale):
    page = await _page(client, world, world.lead, setup.project.id, locale)
    action = f"/projects/{setup.project.id}/milestones/{setup.milestone.id}/close"
    today = clock.today().isoformat()
    refused = await client.post(
        action,
        data={"csrf_token": csrf_of(page), "quality": "5", "closed_on": today, "delivery_accepted": "0"},
    )
    assert refused.status_code == 422
    said = _inline(refused.text, f"error-close-{setup.milestone.id}")
    assert ("catatan" if locale == "id" else "note") in said.lower()
    assert said in refused.text.split('id="form-refused"')[1], "also said at the top of the page"
    form = _form(refused.text, action)
    assert form.startswith('<details class="milestone__lead" open>')
    assert 'value="5" required checked' in form and 'name="delivery_accepted" value="0" checked' in form
    async with runtime.sessionmaker() as session:
        assert (await session.get(Milestone, setup.milestone.id)).status == MilestoneStatus.open


async def _late_milestone(client, world, runtime, assignees=None):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 27), assignees)
    on(date(2026, 12, 3))
    return project, milestone


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_correction_refused_keeps_its_fields(client, world, runtime, locale):
    project, milestone = await _late_milestone(client, world, runtime)
    closed = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    assert closed.status_code == 200
    page = await _page(client, world, world.lead, project.id, locale)
    action = f"/projects/{project.id}/milestones/{milestone['id']}/correct"
    refused = await client.post(
        action,
        data={
            "csrf_token": csrf_of(page),
            "closed_on": "2026-12-02",
            "quality": "3",
            "reopen": "1",
            "reason": "typo",
        },
    )
    assert refused.status_code == 422
    said = _inline(refused.text, f"error-correct-{milestone['id']}")  # the service's rule: the form's
    assert "10" in said and {"id": "alasan", "en": "reason"}[locale] in said.lower()
    form = _form(refused.text, action)
    assert 'value="2026-12-02"' in form and 'value="typo"' in form and 'value="3" checked' in form
    assert 'name="reopen" value="1" checked' in form
    async with runtime.sessionmaker() as session:
        row = await session.get(Milestone, milestone["id"])
    assert row.status == MilestoneStatus.closed and row.quality == 4 and row.closed_on != date(2026, 12, 2)


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_raters_score_refused_keeps_the_score_and_note(client, world, runtime, locale):
    project, milestone = await _late_milestone(client, world, runtime, [world.lead.id, world.member.id])
    closed = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close",
        json={"quality": 5, "note": "Usulan nilai dari ketua tim"},
        headers=world.auth(world.lead),
    )
    assert closed.json()["quality_status"] == "pending"
    page = await _page(client, world, world.leader, project.id, locale)
    action = f"/projects/{project.id}/milestones/{milestone['id']}/quality"
    refused = await client.post(action, data={"csrf_token": csrf_of(page), "quality": "1", "note": ""})
    assert refused.status_code == 422
    said = _inline(refused.text, f"error-quality-{milestone['id']}")
    assert ("catatan" if locale == "id" else "note") in said.lower()
    assert 'value="1" required checked' in _form(refused.text, action)
    long_note = "Bukti dukung " * 160
    too_long = await client.post(
        action, data={"csrf_token": csrf_of(page), "quality": "2", "note": long_note}
    )
    assert too_long.status_code == 422
    said = _inline(too_long.text, f"error-quality-{milestone['id']}-note")
    assert (
        said
        == {"id": "Catatan: paling banyak 2.000 karakter.", "en": "Note: at most 2,000 characters."}[locale]
    )
    assert f'value="{long_note}"' in _form(too_long.text, action)
    async with runtime.sessionmaker() as session:
        assert (await session.get(Milestone, milestone["id"])).quality_status == "pending"


@pytest.mark.parametrize("locale", LOCALES)
async def test_adding_a_member_twice_is_said_beside_the_form(client, world, runtime, setup, locale):
    page = await _page(client, world, world.lead, setup.project.id, locale)
    members = await _count(runtime, ProjectMember, ProjectMember.project_id == setup.project.id)
    action = f"/projects/{setup.project.id}/members"
    twice = await client.post(action, data={"csrf_token": csrf_of(page), "user_id": str(world.member.id)})
    assert twice.status_code == 409
    said = _inline(twice.text, "error-member-new")
    assert (
        said
        == {
            "id": i18n.localise_message("This user is already a member of the project", "id"),
            "en": "This user is already a member of the project",
        }[locale]
    )
    unpicked = await client.post(action, data={"csrf_token": csrf_of(page), "user_id": ""})
    assert unpicked.status_code == 422
    said = _inline(unpicked.text, "error-member-new-user_id")
    assert said == {"id": "Pilih pegawai yang akan ditambahkan.", "en": "Choose the employee to add."}[locale]
    assert await _count(runtime, ProjectMember, ProjectMember.project_id == setup.project.id) == members


async def _blocker(client, world, setup) -> int:
    body = {"milestone_id": setup.milestone.id, "progress_pct": 20, "blockers": "Printer rusak"}
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(world.member)
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _blocker_state(runtime, update_id: int) -> tuple[str | None, str | None]:
    async with runtime.sessionmaker() as session:
        update = await session.get(ProgressUpdate, update_id)
        return update.blocker_status, update.blocker_resolution


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_resolution_refused_keeps_the_note_on_the_project_page(client, world, runtime, setup, locale):
    update_id = await _blocker(client, world, setup)
    page = await _page(client, world, world.member, setup.project.id, locale)
    action = f"/updates/{update_id}/blocker/resolve"
    note = "Printer <diganti> " * 120
    back = f"/projects/{setup.project.id}#blockers"
    refused = await client.post(action, data={"csrf_token": csrf_of(page), "note": note, "back": back})
    assert refused.status_code == 422
    said = _inline(refused.text, f"error-resolve-{update_id}-note")
    assert (
        said
        == {"id": "Catatan: paling banyak 2.000 karakter.", "en": "Note: at most 2,000 characters."}[locale]
    )
    form = _form(refused.text, action)
    assert form.startswith('<details class="milestone__post" open>')
    assert f">{html.escape(note, quote=False)}</textarea>" in form
    assert 'aria-invalid="true"' in form
    assert await _blocker_state(runtime, update_id) == ("open", None)


@pytest.mark.parametrize("locale", LOCALES)
async def test_an_acknowledgement_refused_is_said_on_the_project_page(client, world, runtime, setup, locale):
    update_id = await _blocker(client, world, setup)
    page = await _page(client, world, world.leader, setup.project.id, locale)
    action = f"/updates/{update_id}/blocker/acknowledge"
    back = f"/projects/{setup.project.id}#blockers"
    first = await client.post(action, data={"csrf_token": csrf_of(page), "back": back})
    assert first.status_code == 303
    again = await client.post(action, data={"csrf_token": csrf_of(page), "back": back})
    assert again.status_code == 409
    top = again.text.split('id="form-refused"')[1].split("</div>")[0]
    title = {"id": "Perubahan belum tersimpan.", "en": "Changes not saved."}[locale]
    said = i18n.localise_message("This blocker has already been acknowledged", locale)
    assert title in top and said in top
    assert 'id="blockers"' in again.text, "the project page, not an error page"
    assert await _blocker_state(runtime, update_id) == ("acknowledged", None)


# --- leftovers of issue 13: milestone edits in the history, the admin's project filter, the edit link -----


async def test_a_milestone_edit_shows_in_its_history_on_the_page_and_the_api(client, world, setup):
    edited = await client.patch(
        f"/api/v1/milestones/{setup.milestone.id}",
        json={"title": "Sosialisasi ke kelurahan", "weight": 7, "assignee_ids": [world.lead.id]},
        headers=world.auth(world.lead),
    )
    assert edited.status_code == 200, edited.text
    read = await client.get(f"/api/v1/projects/{setup.project.id}", headers=world.auth(world.member))
    milestone = next(m for m in read.json()["milestones"] if m["id"] == setup.milestone.id)
    (item,) = [h for h in milestone["history"] if h["kind"] == "edited"]
    assert item["by"] == world.lead.id and item["after"]["title"] == "Sosialisasi ke kelurahan"
    assert item["before"]["assignee_ids"] == [world.member.id] and item["after"]["assignee_ids"] == [
        world.lead.id
    ]
    await log_in(client, world.member)
    page = (await client.get(f"/projects/{setup.project.id}")).text
    history = page.split(f'id="milestone-{setup.milestone.id}"')[1].split('class="milestone__history"')[1]
    history = history.split("</details>")[0]
    assert "Tonggak diubah" in history and "Sosialisasi ke kelurahan" in history
    assert "Judul" in history and "Bobot" in history and "Pelaksana" in history
    assert "Anggota Tim" in history and "Ketua Tim" in history, "assignees by name, not by id"


async def test_the_admin_history_filters_project_changes(client, world, setup):
    archived = await client.post(
        f"/api/v1/projects/{setup.project.id}/archive", headers=world.auth(world.admin)
    )
    assert archived.status_code == 200, archived.text
    await log_in(client, world.admin)
    page = await client.get("/admin/history", params={"entity": "project"})
    assert page.status_code == 200 and '<option value="project" selected>Proyek</option>' in page.text
    assert f'<a href="/projects/{setup.project.id}">Proyek #{setup.project.id}</a>' in page.text
    assert "diarsipkan" in page.text
    milestones_only = (await client.get("/admin/history", params={"entity": "milestone"})).text
    assert f'<a href="/projects/{setup.project.id}">Proyek' not in milestones_only


async def test_the_edit_link_is_only_for_those_who_may_manage_the_project(client, world, setup):
    added = await client.post(
        f"/api/v1/projects/{setup.project.id}/members",
        json={"user_id": world.sibling_leader.id},
        headers=world.auth(world.lead),
    )
    assert added.status_code in (200, 201), added.text
    link = f'href="/projects/{setup.project.id}/edit"'
    for person, sees in (
        (world.lead, True),
        (world.leader, True),  # a leader of a unit above the project's
        (world.admin, True),
        (world.sibling_leader, False),  # a member, but a leader of another unit
        (world.member, False),
    ):
        client.cookies.clear()
        await log_in(client, person)
        page = (await client.get(f"/projects/{setup.project.id}")).text
        assert (link in page) is sees, person.name
        if sees:
            assert (await client.get(f"/projects/{setup.project.id}/edit")).status_code == 200, person.name
