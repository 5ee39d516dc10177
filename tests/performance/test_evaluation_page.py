"""The evaluation page is the rater's: others get the 403 page, and a period that cannot be rated (not
started, locked) is said on the page and its refusal shown next to the form. Today is 20 November 2026."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from server import clock
from server.performance.models import Rating
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    clock.freeze(NOW)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


async def _ratings(runtime) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(Rating))


@pytest.mark.parametrize("who", ["admin", "member", "leader"])
async def test_only_the_rater_opens_the_evaluation_page(frozen, client, world, who):
    await log_in(client, getattr(world, who))
    response = await client.get(f"/people/{world.member.id}/evaluation", params={"period": "2026-11"})
    assert response.status_code == 403 and "text/html" in response.headers["content-type"]


async def test_the_person_page_links_the_evaluation_only_for_the_rater(frozen, client, world):
    link = f"/people/{world.member.id}/evaluation"
    await log_in(client, world.admin)
    assert link not in (await client.get(f"/people/{world.member.id}")).text
    client.cookies.clear()
    await log_in(client, world.lead)
    assert link in (await client.get(f"/people/{world.member.id}")).text


async def test_an_admin_posting_the_evaluation_form_is_refused(frozen, client, world, runtime):
    await log_in(client, world.admin)
    token = _csrf((await client.get("/")).text)
    response = await client.post(
        f"/people/{world.admin.id}/evaluation?period=2026-11",
        data={"csrf_token": token, "hasil_kerja": "above", "reason": "Saya sendiri"},
    )
    assert response.status_code == 403
    assert await _ratings(runtime) == 0


async def test_a_period_that_has_not_started_is_said_and_refused_next_to_the_form(
    frozen, client, world, runtime
):
    await log_in(client, world.lead)
    url = f"/people/{world.member.id}/evaluation"
    page = await client.get(url, params={"period": "2030-01"})
    assert page.status_code == 200 and 'id="periode-belum-mulai"' in page.text
    assert "1 Januari 2030" in page.text
    response = await client.post(
        f"{url}?period=2030-01",
        data={"csrf_token": _csrf(page.text), "hasil_kerja": "meets", "reason": "Uji"},
    )
    assert response.status_code == 422 and "Rating hasil kerja belum tersimpan." in response.text
    behaviour = await client.post(
        f"/people/{world.member.id}/behaviour?period=2030-01",
        data={"csrf_token": _csrf(page.text), "rating": "meets"},
    )
    assert behaviour.status_code == 422 and "Rating perilaku kerja belum tersimpan." in behaviour.text
    assert await _ratings(runtime) == 0


async def test_a_locked_period_is_said_and_its_409_shown_next_to_the_form(frozen, client, world, runtime):
    assert (
        await client.post("/api/v1/periods/2026-10/lock", headers=world.auth(world.admin))
    ).status_code == 200
    await log_in(client, world.lead)
    url = f"/people/{world.member.id}/evaluation"
    page = await client.get(url, params={"period": "2026-10"})
    assert page.status_code == 200 and 'id="periode-terkunci"' in page.text
    token = _csrf(page.text)
    response = await client.post(
        f"{url}?period=2026-10", data={"csrf_token": token, "hasil_kerja": "meets", "reason": "Uji"}
    )
    assert response.status_code == 409 and "Rating hasil kerja belum tersimpan." in response.text
    assert "2026-10" in response.text
    behaviour = await client.post(
        f"/people/{world.member.id}/behaviour?period=2026-10", data={"csrf_token": token, "rating": "meets"}
    )
    assert behaviour.status_code == 409 and "Rating perilaku kerja belum tersimpan." in behaviour.text
    assert await _ratings(runtime) == 0
