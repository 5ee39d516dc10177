"""The server-rendered pages, driven like a browser without JavaScript: forms, redirects, cookies."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from server.deps import SESSION_COOKIE
from server.projects.models import ProgressUpdate
from server.realtime.events import board_position, unit_board
from tests import factories
from tests.web import csrf_of, sign_in


async def _count_updates(runtime) -> int:
    async with runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(ProgressUpdate))


def _update_form(setup, csrf_token=None, **overrides):
    form = {
        "milestone_id": str(setup.milestone.id),
        "progress_pct": "40",
        "note": "Berkas diverifikasi",
        "blockers": "",
        "back": "/",
    }
    if csrf_token is not None:
        form["csrf_token"] = csrf_token
    return form | overrides


@pytest.mark.parametrize("path", ["/", "/projects/{project}", "/board/unit/{unit}?layar=1"])
async def test_anonymous_page_request_redirects_to_login_with_next(client, world, setup, path):
    path = path.format(project=setup.project.id, unit=world.dinas.id)
    response = await client.get(path)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]


async def test_login_sets_httponly_lax_cookie_and_lands_on_next(client, world, setup):
    response = await sign_in(client, world.member, f"/projects/{setup.project.id}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/projects/{setup.project.id}"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "httponly" in cookie and "samesite=lax" in cookie
    assert (await client.get(response.headers["location"])).status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil", "/\\evil.example", "https:/evil", "evil"]
)
async def test_login_does_not_follow_next_off_site(client, world, target):
    response = await sign_in(client, world.member, target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_bad_password_shows_the_form_again_with_an_error(client, world):
    response = await sign_in(client, world.member, "/", password="salah")
    assert response.status_code == 401
    assert "text/html" in response.headers["content-type"]
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert 'name="password"' in response.text and f'value="{world.member.username}"' in response.text
    assert "set-cookie" not in response.headers


async def test_staff_home_shows_their_milestone_with_a_post_form(client, world, setup):
    await sign_in(client, world.member)
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    assert setup.milestone.title in html and setup.project.name in html
    assert f'action="/projects/{setup.project.id}/updates"' in html
    assert f'name="milestone_id" value="{setup.milestone.id}"' in html
    assert re.search(r'name="progress_pct" type="number"[^>]*min="0" max="100"', html)
    assert 'href="/static/app.css"' in html and "Pekerjaan saya" in html


async def test_posting_the_update_form_without_javascript_stores_it(client, world, runtime, setup):
    await sign_in(client, world.member)
    token = csrf_of((await client.get("/")).text)
    response = await client.post(f"/projects/{setup.project.id}/updates", data=_update_form(setup, token))
    assert response.status_code == 303
    assert response.headers["location"] == "/?saved=1"
    assert "Tersimpan" in (await client.get(response.headers["location"])).text
    updates = (
        await client.get(f"/api/v1/projects/{setup.project.id}/updates", headers=world.auth(world.member))
    ).json()
    assert [(u["milestone_id"], u["progress_pct"], u["note"]) for u in updates] == [
        (setup.milestone.id, 40, "Berkas diverifikasi")
    ]


@pytest.mark.parametrize("token", [None, "", "palsu"])
async def test_update_form_without_a_valid_csrf_token_is_refused(client, world, runtime, setup, token):
    await sign_in(client, world.member)
    response = await client.post(f"/projects/{setup.project.id}/updates", data=_update_form(setup, token))
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert await _count_updates(runtime) == 0


async def test_update_form_rule_violation_shows_a_page_and_writes_nothing(client, world, runtime, setup):
    await sign_in(client, world.member)
    token = csrf_of((await client.get("/")).text)
    await client.post(
        f"/projects/{setup.project.id}/updates", data=_update_form(setup, token, progress_pct="50")
    )
    lower = await client.post(
        f"/projects/{setup.project.id}/updates", data=_update_form(setup, token, progress_pct="20", note="")
    )
    assert lower.status_code == 422
    assert "Pembaruan belum tersimpan" in lower.text and 'href="/"' in lower.text
    not_a_number = await client.post(
        f"/projects/{setup.project.id}/updates", data=_update_form(setup, token, progress_pct="banyak")
    )
    assert not_a_number.status_code == 422 and "text/html" in not_a_number.headers["content-type"]
    assert await _count_updates(runtime) == 1


async def test_update_form_on_a_closed_milestone_shows_the_conflict_as_409(client, world, runtime, setup):
    await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    await sign_in(client, world.member)
    token = csrf_of((await client.get("/")).text)
    response = await client.post(f"/projects/{setup.project.id}/updates", data=_update_form(setup, token))
    assert response.status_code == 409 and "Pembaruan belum tersimpan" in response.text
    assert await _count_updates(runtime) == 0


async def test_staff_opening_a_unit_board_gets_a_friendly_404_page(client, world, setup):
    await sign_in(client, world.member)
    response = await client.get(f"/board/unit/{world.dinas.id}")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Halaman tidak ditemukan" in response.text
    assert world.member.name in response.text  # the signed-in layout, after the request rolled back


async def test_leader_sees_the_unit_board_with_its_position(client, world, runtime, setup):
    await sign_in(client, world.leader)
    response = await client.get(f"/board/unit/{world.dinas.id}")
    assert response.status_code == 200
    assert setup.project.name in response.text and "Papan unit" in response.text
    embedded = re.search(
        r'<script type="application/json" id="board-data">(.*?)</script>', response.text, re.S
    )
    data = json.loads(embedded.group(1))
    async with runtime.sessionmaker() as session:
        assert data["seq"] == await board_position(session, unit_board(world.dinas.id)) > 0
    assert data["unit_id"] == world.dinas.id
    assert [p["name"] for p in data["board"]["projects"]] == [setup.project.name]
    assert '<script src="/static/board.js" defer></script>' in response.text


async def test_leader_home_is_their_unit_board(client, world):
    await sign_in(client, world.leader)
    response = await client.get("/")
    assert response.status_code == 303 and response.headers["location"] == f"/board/unit/{world.dinas.id}"


async def test_board_data_cannot_break_out_of_its_script_block(client, world, runtime):
    async with runtime.transaction() as db:
        await factories.make_project(
            db, by=world.admin, unit=world.dinas, lead=world.lead, name="</script><b>x</b>"
        )
    await sign_in(client, world.leader)
    html = (await client.get(f"/board/unit/{world.dinas.id}")).text
    assert "</script><b>" not in html
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in html


async def test_project_page_shows_milestones_feed_and_form_to_members_only(client, world, setup):
    await sign_in(client, world.member)
    token = csrf_of((await client.get("/")).text)
    back = f"/projects/{setup.project.id}"
    posted = await client.post(
        back + "/updates", data=_update_form(setup, token, back=back, blockers="Printer rusak")
    )
    assert posted.headers["location"] == back + "?saved=1"
    html = (await client.get(back)).text
    assert setup.milestone.title in html and setup.other_milestone.title in html
    assert world.member.name in html and "Printer rusak" in html and "40%" in html
    assert f'action="/projects/{setup.project.id}/updates"' in html
    client.cookies.clear()
    await sign_in(client, world.leader)
    leader_view = (await client.get(back)).text
    assert setup.milestone.title in leader_view and 'name="progress_pct"' not in leader_view


async def test_admin_home_lists_units_linking_to_their_boards(client, world):
    await sign_in(client, world.admin)
    html = (await client.get("/")).text
    assert f'href="/board/unit/{world.bidang.id}"' in html and world.bidang.name in html


async def test_logout_ends_the_session(client, world):
    login = await sign_in(client, world.member)
    old_cookie = login.cookies[SESSION_COOKIE]
    token = csrf_of((await client.get("/")).text)
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, old_cookie)
    again = await client.get("/")
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_logout_without_the_csrf_token_keeps_the_session(client, world):
    await sign_in(client, world.member)
    assert (await client.post("/logout", data={})).status_code == 403
    assert (await client.get("/")).status_code == 200
