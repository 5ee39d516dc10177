"""The performance pages, driven like a browser without JavaScript, on a fixed date: 20 November 2026
(WIB)."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from server import clock
from server.audit import HistoryEntry
from server.feedback.models import FeedbackCreate
from server.feedback.service import record_feedback
from server.performance.models import OrganisationResult, Rating, Target
from tests import factories
from tests.api import close_milestone, rate
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
PERIOD = {"period": "2026-11"}


@pytest.fixture
def frozen():
    clock.freeze(NOW)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no csrf_token field"
    return match.group(1)


async def _milestone(runtime, world, setup, due: date, weight: int = 1):
    async with runtime.transaction() as db:
        return await factories.make_milestone(
            db,
            project=setup.project,
            lead=world.lead,
            due_date=due,
            weight=weight,
            assignee_ids=[world.member.id],
        )


async def _count(runtime, model, *where) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(model).where(*where))


async def test_person_page_shows_indicator_values_and_links_to_the_closed_milestone(
    frozen, client, world, runtime, setup
):
    late = await _milestone(runtime, world, setup, date(2026, 11, 10))
    await close_milestone(client, world, setup.milestone.id, 4)  # weight 3, on time
    await close_milestone(client, world, late.id, 2, date(2026, 11, 13))  # weight 1, 3 working days late
    await log_in(client, world.member)
    response = await client.get(f"/people/{world.member.id}", params=PERIOD)
    assert response.status_code == 200
    html = response.text
    assert "96,25%" in html  # timeliness (3 x 100 + 1 x 85) / 4
    assert '3,5<span class="unit"> / 5</span>' in html  # quality (3 x 4 + 1 x 2) / 4
    assert "106,94%" in html  # achievement of timeliness against the default target 90
    assert f'href="/projects/{setup.project.id}#milestone-{late.id}"' in html
    assert f'href="/projects/{setup.project.id}#milestone-{setup.milestone.id}"' in html
    assert 'href="#sumber-tonggak"' in html and 'id="sumber-tonggak"' in html
    assert "Belum ada: rating hasil kerja dan rating perilaku kerja" in html
    # Only Pantau's own scripts (the bell), nothing inline or from elsewhere.
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "https://" not in html and "http://" not in html
    # The member does not rate themselves: no link to the evaluation page.
    assert f"/people/{world.member.id}/evaluation" not in html


async def test_staff_cannot_open_another_persons_page(frozen, client, world, setup):
    await log_in(client, world.outsider)
    response = await client.get(f"/people/{world.member.id}", params=PERIOD)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Halaman tidak ditemukan" in response.text and world.member.name not in response.text


async def test_satisfaction_below_the_minimum_sample_is_shown_as_not_counting(frozen, client, world, runtime):
    async with runtime.transaction() as db:
        await record_feedback(
            db, data=FeedbackCreate(unit_id=world.bidang.id, employee_id=world.member.id, answers=[4] * 9)
        )
    await log_in(client, world.member)
    html = (await client.get(f"/people/{world.member.id}", params=PERIOD)).text
    assert "Belum cukup responden" in html and "1 dari minimal 10 jawaban" in html
    assert 'id="sumber-survei"' in html and "20 Nov 2026" in html


@pytest.fixture
def june():
    clock.freeze(datetime(2026, 6, 1, 3, tzinfo=UTC))


async def test_trend_chart_has_six_points_per_indicator(june, client, world, runtime, setup):
    for month in range(6, 12):  # June .. November 2026
        clock.freeze(datetime(2026, month, 10, 3, tzinfo=UTC))
        async with runtime.transaction() as db:
            await record_feedback(
                db, data=FeedbackCreate(unit_id=world.bidang.id, employee_id=world.member.id, answers=[3] * 9)
            )
        milestone = await _milestone(runtime, world, setup, date(2026, month, 12))
        clock.freeze(NOW)
        await close_milestone(client, world, milestone.id, 4, date(2026, month, 14))
    await log_in(client, world.member)
    html = (await client.get(f"/people/{world.member.id}", params=PERIOD)).text
    svg = re.search(r'<svg class="trend__svg".*?</svg>', html, re.S)
    assert svg and '<title id="trend-title">' in svg.group(0)
    for key in ("timeliness", "quality", "satisfaction"):
        series = re.search(rf'<g class="trend__series trend__series--{key}".*?</g>', svg.group(0), re.S)
        assert series, key
        assert len(re.findall(r'<circle class="trend__point', series.group(0))) == 6, key
        assert re.search(
            r'<path class="trend__line" d="M [\d.]+ [\d.]+( L [\d.]+ [\d.]+){5}"', series.group(0)
        ), key
    # The same numbers as a table, for screen readers and for reading without the chart.
    table = re.search(r'<table class="data-table">.*?</table>', html, re.S).group(0)
    assert len(re.findall(r'<th scope="row">', table)) == 6 and "Juni 2026" in table


async def _evaluation_form(client, world):
    await log_in(client, world.lead)  # the member's supervisor (atasan langsung)
    page = await client.get(f"/people/{world.member.id}/evaluation", params=PERIOD)
    assert page.status_code == 200
    return _csrf(page.text)


async def test_supervisor_confirms_the_suggestion_on_the_evaluation_page(
    frozen, client, world, runtime, setup
):
    await close_milestone(client, world, setup.milestone.id, 5)  # suggests "above"
    token = await _evaluation_form(client, world)
    url = f"/people/{world.member.id}/evaluation?period=2026-11"
    response = await client.post(url, data={"csrf_token": token, "hasil_kerja": "above", "reason": ""})
    assert response.status_code == 303
    assert response.headers["location"] == f"/people/{world.member.id}/evaluation?period=2026-11&saved=1"
    async with runtime.sessionmaker() as db:
        rating = await db.scalar(select(Rating).where(Rating.user_id == world.member.id))
    assert (rating.period, rating.hasil_kerja, rating.hasil_kerja_suggested) == ("2026-11", "above", "above")
    page = (await client.get(response.headers["location"])).text
    assert "Tersimpan." in page and "saran Pantau dikonfirmasi" in page and world.lead.name in page
    behaviour = await client.post(
        f"/people/{world.member.id}/behaviour?period=2026-11",
        data={"csrf_token": token, "rating": "above", "note": "Sigap", "value_1": "Tertib administrasi"},
    )
    assert behaviour.status_code == 303
    person = (await client.get(f"/people/{world.member.id}", params=PERIOD)).text
    assert 'class="predikat predikat--sangat-baik">Sangat Baik<' in person


async def test_override_without_a_reason_shows_the_message_and_stores_nothing(
    frozen, client, world, runtime, setup
):
    await close_milestone(client, world, setup.milestone.id, 5)  # suggests "above"
    token = await _evaluation_form(client, world)
    response = await client.post(
        f"/people/{world.member.id}/evaluation?period=2026-11",
        data={"csrf_token": token, "hasil_kerja": "meets", "reason": "  "},
    )
    assert response.status_code == 422 and "text/html" in response.headers["content-type"]
    # The service's English message, in the page's language.
    assert "wajib disertai alasan" in response.text and "Rating hasil kerja belum tersimpan." in response.text
    assert re.search(r'id="hasil-meets" name="hasil_kerja" value="meets" required checked', response.text)
    assert 'aria-invalid="true"' in response.text
    assert await _count(runtime, Rating) == 0
    assert await _count(runtime, HistoryEntry, HistoryEntry.entity == "rating") == 0


@pytest.mark.parametrize("token", [None, "palsu"])
async def test_evaluation_forms_without_a_valid_csrf_token_are_refused(
    frozen, client, world, runtime, setup, token
):
    await _evaluation_form(client, world)
    form = {"hasil_kerja": "meets", "reason": "Uji"} | ({"csrf_token": token} if token else {})
    assert (
        await client.post(f"/people/{world.member.id}/evaluation?period=2026-11", data=form)
    ).status_code == 403
    behaviour = {"rating": "meets"} | ({"csrf_token": token} if token else {})
    assert (
        await client.post(f"/people/{world.member.id}/behaviour?period=2026-11", data=behaviour)
    ).status_code == 403
    assert await _count(runtime, Rating) == 0


async def test_a_leader_who_is_not_the_supervisor_sees_but_cannot_rate(frozen, client, world):
    await log_in(client, world.leader)
    assert (await client.get(f"/people/{world.member.id}", params=PERIOD)).status_code == 200
    assert (await client.get(f"/people/{world.member.id}/evaluation", params=PERIOD)).status_code == 403


async def test_distribution_page_shows_counts_and_the_admin_sets_the_organisation_result(
    frozen, client, world, runtime
):
    await rate(client, world, world.member, "above", "above")  # Sangat Baik
    await rate(client, world, world.lead, "above", "above")  # Sangat Baik
    await rate(client, world, world.outsider, "meets", "meets")  # Baik
    url = f"/units/{world.dinas.id}/distribution"
    await log_in(client, world.leader)
    leader_view = await client.get(url, params=PERIOD)
    assert leader_view.status_code == 200
    bar = r'Sangat Baik</span>\s*<span[^>]*>.*?</span>\s*<span class="dist-bar__value">'
    bar += r"<strong>2</strong> · 66,67%"
    assert re.search(bar, leader_view.text, re.S)
    assert f'href="/people/{world.member.id}?period=2026-11"' in leader_view.text
    assert f'href="/api/v1/units/{world.dinas.id}/performance.csv?period=2026-11"' in leader_view.text
    assert 'name="result"' not in leader_view.text
    refused = await client.post(
        f"/units/{world.dinas.id}/organisation-result?period=2026-11",
        data={"csrf_token": _csrf(leader_view.text), "result": "Baik"},
    )
    assert refused.status_code == 403 and await _count(runtime, OrganisationResult) == 0

    client.cookies.clear()
    await log_in(client, world.admin)
    token = _csrf((await client.get(url, params=PERIOD)).text)
    response = await client.post(
        f"/units/{world.dinas.id}/organisation-result?period=2026-11",
        data={"csrf_token": token, "result": "Butuh Perbaikan"},
    )
    assert response.status_code == 303 and response.headers["location"] == f"{url}?period=2026-11&saved=1"
    page = (await client.get(response.headers["location"])).text
    assert "Distribusi belum sesuai SE MenPANRB 03/2023" in page
    assert "Predikat Butuh Perbaikan 0% di bawah batas minimal 60%" in page
    api = await client.get(
        f"/api/v1/units/{world.dinas.id}/distribution", params=PERIOD, headers=world.auth(world.admin)
    )
    assert api.json()["organisation_result"] == "Butuh Perbaikan"


@pytest.fixture
def october():
    clock.freeze(datetime(2026, 10, 10, 3, tzinfo=UTC))


async def test_targets_page_saves_a_target_and_warns_when_it_was_never_reached(
    october, client, world, runtime, setup
):
    clock.freeze(datetime(2026, 10, 20, 3, tzinfo=UTC))
    await close_milestone(client, world, setup.milestone.id, 3, date(2026, 10, 20))
    clock.freeze(NOW)
    url = f"/admin/units/{world.bidang.id}/targets"
    await log_in(client, world.admin)
    page = await client.get(url, params=PERIOD)
    assert page.status_code == 200 and "Bawaan Pantau" in page.text
    response = await client.post(
        f"{url}?period=2026-11", data={"csrf_token": _csrf(page.text), "target_quality": "4,8"}
    )
    assert response.status_code == 303 and response.headers["location"] == f"{url}?period=2026-11&saved=1"
    saved = (await client.get(response.headers["location"])).text
    assert "Tersimpan." in saved and "belum pernah tercapai" in saved
    assert 'name="target_quality" type="number"' in saved and 'value="4.8"' in saved
    api = await client.get(
        f"/api/v1/units/{world.bidang.id}/targets", params=PERIOD, headers=world.auth(world.admin)
    )
    assert api.json()["targets"]["quality"] == {
        "target": 4.8,
        "unit": "1-5",
        "source": {"kind": "this_unit", "unit_id": world.bidang.id, "period": "2026-11"},
    }


async def test_targets_form_shows_the_validation_message_and_stores_nothing(frozen, client, world, runtime):
    url = f"/admin/units/{world.bidang.id}/targets"
    await log_in(client, world.admin)
    token = _csrf((await client.get(url, params=PERIOD)).text)
    response = await client.post(f"{url}?period=2026-11", data={"csrf_token": token, "target_quality": "9"})
    assert response.status_code == 422 and "antara 1 dan 5" in response.text and 'value="9"' in response.text
    assert await _count(runtime, Target) == 0


async def test_a_leader_reads_the_targets_page_but_cannot_post_the_form(frozen, client, world, runtime):
    url = f"/admin/units/{world.bidang.id}/targets"
    await log_in(client, world.leader)
    page = await client.get(url, params=PERIOD)
    assert page.status_code == 200 and 'name="target_quality"' not in page.text
    response = await client.post(
        f"{url}?period=2026-11", data={"csrf_token": _csrf(page.text), "target_quality": "4"}
    )
    assert response.status_code == 403
    assert await _count(runtime, Target) == 0
    client.cookies.clear()
    await log_in(client, world.sibling_leader)
    assert (await client.get(url, params=PERIOD)).status_code == 404


@pytest.fixture
def november_first():
    clock.freeze(datetime(2026, 11, 1, 3, tzinfo=UTC))


async def test_person_page_shows_each_milestones_working_days_delivery_pending_quality_and_history(
    november_first, client, world, runtime, setup
):
    delivered = await _milestone(runtime, world, setup, date(2026, 11, 10))  # a Tuesday
    moved = await _milestone(runtime, world, setup, date(2026, 11, 16))
    async with runtime.transaction() as db:
        own = await factories.make_milestone(
            db, project=setup.project, lead=world.lead, assignee_ids=[world.lead.id, world.member.id]
        )
    clock.freeze(datetime(2026, 11, 12, 3, tzinfo=UTC))  # the member reports the work done on Thursday
    update = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates",
        json={"milestone_id": delivered.id, "progress_pct": 100},
        headers=world.auth(world.member),
    )
    assert update.status_code == 201, update.text
    moving = await client.patch(
        f"/api/v1/milestones/{moved.id}",
        json={"due_date": "2026-11-18", "reason": "Menunggu tanda tangan kepala dinas"},
        headers=world.auth(world.lead),
    )
    assert moving.status_code == 200, moving.text
    clock.freeze(NOW)
    await close_milestone(client, world, delivered.id, 4)  # closed 20 November, delivered 12 November
    await close_milestone(client, world, moved.id, 4)
    await close_milestone(client, world, own.id, 4)  # the lead is an assignee: quality waits
    await log_in(client, world.member)
    html = (await client.get(f"/people/{world.member.id}", params=PERIOD)).text
    item = html[html.index(f"#milestone-{delivered.id}") :]
    item = item[: item.index("</li>")]
    assert "12 Nov 2026" in item and "2 hari kerja" in item and "10 hari kalender" in item
    moved_item = html[html.index(f"#milestone-{moved.id}") :]
    moved_item = moved_item[
        : moved_item.index('<li class="source">') if '<li class="source">' in moved_item else None
    ]
    assert "Riwayat tonggak" in moved_item and "tenggat dipindah" in moved_item
    assert "Menunggu tanda tangan kepala dinas" in moved_item and world.lead.name in moved_item
    assert "menunggu nilai dari atasan ketua tim" in html
