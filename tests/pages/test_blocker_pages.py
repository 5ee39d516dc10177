"""Blockers on the pages: listed on the project page and on the author's and the lead's home with their
age; a leader acknowledges, the author or the lead resolves with a note, each without JavaScript."""

from datetime import UTC, datetime, timedelta

from server import clock
from server.projects.models import ProgressUpdate
from tests.web import csrf_of, log_in

NOW = datetime(2026, 12, 2, 3, tzinfo=UTC)


async def _blocker(client, world, setup, text: str = "Printer rusak") -> int:
    body = {"milestone_id": setup.milestone.id, "progress_pct": 20, "blockers": text}
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(world.member)
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _status(runtime, update_id: int) -> tuple[str | None, str | None]:
    async with runtime.sessionmaker() as session:
        update = await session.get(ProgressUpdate, update_id)
        return update.blocker_status, update.blocker_resolution


async def _token(client, path: str) -> str:
    return csrf_of((await client.get(path)).text)


async def test_the_author_and_the_lead_see_the_open_blocker_and_its_age_at_home(client, world, setup):
    clock.freeze(NOW)
    update_id = await _blocker(client, world, setup)
    clock.freeze(NOW + timedelta(days=3, hours=2))
    await log_in(client, world.member)
    home = (await client.get("/")).text
    assert "Yang saya laporkan" in home and "Printer rusak" in home and "terbuka 3 hari" in home
    assert f'action="/updates/{update_id}/blocker/resolve"' in home
    assert f'action="/updates/{update_id}/blocker/acknowledge"' not in home, "staff do not acknowledge"

    client.cookies.clear()
    await log_in(client, world.lead)
    home = (await client.get("/")).text
    assert "Di proyek yang saya pimpin" in home and "Printer rusak" in home
    assert "Yang saya laporkan" not in home

    client.cookies.clear()
    await log_in(client, world.outsider)
    assert "Printer rusak" not in (await client.get("/")).text


async def test_the_project_page_lists_open_blockers_first_with_the_forms_each_may_use(client, world, setup):
    clock.freeze(NOW)
    update_id = await _blocker(client, world, setup)
    clock.freeze(NOW + timedelta(hours=5))
    await log_in(client, world.leader)
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert "Kendala terbuka" in page and "terbuka 5 jam" in page and "Belum ditanggapi pimpinan" in page
    assert page.index('id="blockers"') < page.index('id="milestones-title"'), "open blockers come first"
    assert f'action="/updates/{update_id}/blocker/acknowledge"' in page
    assert f'action="/updates/{update_id}/blocker/resolve"' not in page, "a leader does not resolve"

    client.cookies.clear()
    await log_in(client, world.member)
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert f'action="/updates/{update_id}/blocker/resolve"' in page
    assert f'action="/updates/{update_id}/blocker/acknowledge"' not in page


async def test_leader_acknowledges_from_the_board_and_goes_back_to_it(client, world, runtime, setup):
    update_id = await _blocker(client, world, setup)
    await log_in(client, world.leader)
    token = await _token(client, f"/projects/{setup.project.id}")
    board = f"/board/unit/{world.dinas.id}"
    response = await client.post(
        f"/updates/{update_id}/blocker/acknowledge", data={"csrf_token": token, "back": board}
    )
    assert response.status_code == 303 and response.headers["location"] == board
    assert await _status(runtime, update_id) == ("acknowledged", None)
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert "Diketahui Kepala Dinas" in page
    assert f'action="/updates/{update_id}/blocker/acknowledge"' not in page

    again = await client.post(f"/updates/{update_id}/blocker/acknowledge", data={"csrf_token": token})
    assert again.status_code == 409 and "Perubahan belum tersimpan" in again.text


async def test_author_resolves_with_a_note_and_a_blank_note_is_refused_on_the_page(
    client, world, runtime, setup
):
    update_id = await _blocker(client, world, setup)
    await log_in(client, world.member)
    token = await _token(client, "/")
    url = f"/updates/{update_id}/blocker/resolve"
    blank = await client.post(url, data={"csrf_token": token, "note": "  ", "back": "/#my-blockers"})
    assert blank.status_code == 422 and 'role="alert"' in blank.text
    # home is drawn again with the message beside the note, the form open (server/projects/pages.py)
    assert f'id="error-resolve-{update_id}-note"' in blank.text and 'id="my-blockers"' in blank.text
    assert await _status(runtime, update_id) == ("open", None)
    too_long = await client.post(url, data={"csrf_token": token, "note": "x" * 2001})
    assert too_long.status_code == 422 and "Catatan" in too_long.text
    assert await _status(runtime, update_id) == ("open", None)

    done = await client.post(
        url, data={"csrf_token": token, "note": "Printer diganti", "back": "https://evil.example/"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/", "only a path on this site"
    assert await _status(runtime, update_id) == ("resolved", "Printer diganti")
    assert "Printer rusak" not in (await client.get("/")).text
    assert "Kendala terbuka" not in (await client.get(f"/projects/{setup.project.id}")).text


async def test_refusals_write_nothing(client, world, runtime, setup):
    update_id = await _blocker(client, world, setup)
    await log_in(client, world.outsider)
    token = await _token(client, "/")
    hidden = await client.post(
        f"/updates/{update_id}/blocker/resolve", data={"csrf_token": token, "note": "Sudah beres"}
    )
    assert hidden.status_code == 404
    client.cookies.clear()
    await log_in(client, world.leader)
    token = await _token(client, f"/projects/{setup.project.id}")
    not_theirs = await client.post(
        f"/updates/{update_id}/blocker/resolve", data={"csrf_token": token, "note": "Sudah beres"}
    )
    assert not_theirs.status_code == 403 and 'role="alert"' in not_theirs.text
    forged = await client.post(f"/updates/{update_id}/blocker/acknowledge", data={"csrf_token": "nope"})
    assert forged.status_code == 403
    assert await _status(runtime, update_id) == ("open", None)
