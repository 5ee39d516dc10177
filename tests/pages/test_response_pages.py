"""Answering updates on the pages: the seen, reaction and comment forms of the project page's feed and of
the unit board's companion page, each without JavaScript; the answers on the author's home."""

from datetime import UTC, datetime

from sqlalchemy import select

from server import clock
from server.projects.models import UpdateResponse
from tests.web import csrf_of, log_in

NOW = datetime(2026, 12, 2, 3, tzinfo=UTC)


async def _update(client, world, setup, note: str = "Data sudah dientri") -> int:
    body = {"milestone_id": setup.milestone.id, "progress_pct": 40, "note": note}
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(world.member)
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _answers(runtime) -> list[tuple[str, str | None, str | None]]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(select(UpdateResponse).order_by(UpdateResponse.id))
        return [(r.kind, r.reaction, r.text) for r in rows.all()]


async def test_a_leader_answers_from_the_companion_page_and_the_author_sees_it_at_home(
    client, world, setup, runtime
):
    clock.freeze(NOW)
    update_id = await _update(client, world, setup)
    await log_in(client, world.leader)
    board = (await client.get(f"/board/unit/{world.dinas.id}")).text
    assert f'href="/board/unit/{world.dinas.id}/feed"' in board

    feed_url = f"/board/unit/{world.dinas.id}/feed"
    page = (await client.get(feed_url)).text
    assert "Data sudah dientri" in page and setup.project.name in page
    token = csrf_of(page)
    back = f"{feed_url}#update-{update_id}"
    seen = await client.post(f"/updates/{update_id}/seen", data={"csrf_token": token, "back": back})
    assert seen.status_code == 303 and seen.headers["location"] == back
    react = await client.post(
        f"/updates/{update_id}/reaction", data={"csrf_token": token, "back": back, "reaction": "keep_going"}
    )
    assert react.status_code == 303
    said = await client.post(
        f"/updates/{update_id}/comments", data={"csrf_token": token, "back": back, "text": "Mantap"}
    )
    assert said.status_code == 303
    assert await _answers(runtime) == [
        ("seen", None, None),
        ("reaction", "keep_going", None),
        ("comment", None, "Mantap"),
    ]

    page = (await client.get(feed_url)).text
    assert "Dilihat oleh Kepala Dinas" in page and "Sudah Anda lihat" in page and "Mantap" in page
    # The button of the reaction one gave takes it away.
    assert 'name="reaction" value="" aria-pressed="true"' in page
    await client.post(
        f"/updates/{update_id}/reaction", data={"csrf_token": token, "back": back, "reaction": ""}
    )
    assert [a for a in await _answers(runtime) if a[0] == "reaction"] == []

    client.cookies.clear()
    await log_in(client, world.member)
    home = (await client.get("/")).text
    assert "Tanggapan untuk pembaruan saya" in home
    assert "Kepala Dinas melihat pembaruan Anda" in home and "Kepala Dinas berkomentar: Mantap" in home
    fragment = await client.get("/home/responses")
    assert fragment.status_code == 200 and "Kepala Dinas berkomentar: Mantap" in fragment.text


async def test_the_project_feed_shows_the_forms_each_may_use(client, world, setup):
    update_id = await _update(client, world, setup)
    await log_in(client, world.lead)
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert f'action="/updates/{update_id}/seen"' in page and f'action="/updates/{update_id}/comments"' in page

    client.cookies.clear()
    await log_in(client, world.member)  # the author: replies only
    page = (await client.get(f"/projects/{setup.project.id}")).text
    assert f'action="/updates/{update_id}/seen"' not in page
    assert f'action="/updates/{update_id}/reaction"' not in page
    assert f'action="/updates/{update_id}/comments"' in page and "Balas" in page


async def test_a_blank_comment_is_refused_beside_the_field_on_the_project_page(client, world, setup, runtime):
    update_id = await _update(client, world, setup)
    await log_in(client, world.lead)
    token = csrf_of((await client.get(f"/projects/{setup.project.id}")).text)
    response = await client.post(
        f"/updates/{update_id}/comments",
        data={"csrf_token": token, "back": f"/projects/{setup.project.id}#update-{update_id}", "text": "   "},
    )
    assert response.status_code == 422
    assert f'id="error-comment-{update_id}-text"' in response.text
    assert await _answers(runtime) == []


async def test_the_author_marking_their_own_update_seen_is_refused(client, world, setup, runtime):
    update_id = await _update(client, world, setup)
    await log_in(client, world.member)
    token = csrf_of((await client.get(f"/projects/{setup.project.id}")).text)
    response = await client.post(
        f"/updates/{update_id}/seen", data={"csrf_token": token, "back": f"/projects/{setup.project.id}"}
    )
    assert response.status_code == 403
    assert await _answers(runtime) == []


async def test_an_unknown_reaction_from_a_form_is_a_422(client, world, setup, runtime):
    update_id = await _update(client, world, setup)
    await log_in(client, world.lead)
    token = csrf_of((await client.get(f"/projects/{setup.project.id}")).text)
    response = await client.post(
        f"/updates/{update_id}/reaction",
        data={"csrf_token": token, "back": f"/projects/{setup.project.id}", "reaction": "heart"},
    )
    assert response.status_code == 422
    assert await _answers(runtime) == []


async def test_the_companion_page_is_the_boards_leaders_only(client, world, setup):
    await log_in(client, world.sibling_leader)
    assert (await client.get(f"/board/unit/{world.dinas.id}/feed")).status_code == 404
    assert (await client.get(f"/board/unit/{world.dinas.id}/feed/items")).status_code == 404
    client.cookies.clear()
    await log_in(client, world.member)
    assert (await client.get(f"/board/unit/{world.bidang.id}/feed")).status_code == 404
