"""Period locks (API and the admin page): only a period that has ended is locked; after a lock no rating,
organisation result or source change counts into it; unlocking needs a reason; both are in the history.
On a fixed date: 20 November 2026 (WIB)."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from server import clock
from server.audit import HistoryEntry
from server.calendar.locks import periods_containing
from server.calendar.models import PeriodLock
from tests import factories
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
REASON = {"reason": "Koreksi nilai kualitas setelah banding pegawai"}


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _lock(client, world, period, who=None):
    return await client.post(f"/api/v1/periods/{period}/lock", headers=world.auth(who or world.admin))


async def _history(runtime):
    async with runtime.sessionmaker() as db:
        rows = await db.scalars(
            select(HistoryEntry).where(HistoryEntry.entity == "period").order_by(HistoryEntry.id)
        )
        return list(rows.all())


async def test_periods_of_a_year_list_months_quarters_and_the_year(frozen, client, world):
    response = await client.get("/api/v1/periods", params={"year": 2026}, headers=world.auth(world.member))
    assert response.status_code == 200
    body = response.json()
    assert [p["period"] for p in body] == [
        *(f"2026-{m:02d}" for m in range(1, 13)),
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
        "2026",
    ]
    assert all(p["locked"] is False and p["locked_at"] is None for p in body)
    ended = {p["period"]: p["ended"] for p in body}
    assert ended["2026-10"] and ended["2026-Q3"] and not ended["2026-11"] and not ended["2026-Q4"]
    assert (await client.get("/api/v1/periods", params={"year": 2026})).status_code == 401
    bad = await client.get("/api/v1/periods", params={"year": 1999}, headers=world.auth(world.member))
    assert bad.status_code == 422


async def test_the_admin_locks_an_ended_period_and_it_is_in_the_history(frozen, client, world, runtime):
    response = await _lock(client, world, "2026-10")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == "2026-10" and body["locked"] is True
    assert body["locked_at"] == "2026-11-20T03:00:00Z"
    listed = (
        await client.get("/api/v1/periods", params={"year": 2026}, headers=world.auth(world.member))
    ).json()
    assert next(p for p in listed if p["period"] == "2026-10")["locked"] is True
    again = await _lock(client, world, "2026-10")  # nothing changes
    assert again.status_code == 200 and again.json()["locked_at"] == "2026-11-20T03:00:00Z"
    [entry] = await _history(runtime)
    assert (entry.action, entry.period, entry.actor_id) == ("locked", "2026-10", world.admin.id)
    assert entry.entity_id == 202610


@pytest.mark.parametrize("period", ["2026-11", "2026-Q4", "2026", "2030-01"])
async def test_a_period_that_has_not_ended_cannot_be_locked(frozen, client, world, runtime, period):
    response = await _lock(client, world, period)
    assert response.status_code == 422
    assert "has not ended" in response.json()["detail"] and period in response.json()["detail"]
    async with runtime.sessionmaker() as db:
        assert (await db.scalars(select(PeriodLock))).all() == []


async def test_an_unreadable_period_is_422(frozen, client, world):
    assert (await _lock(client, world, "2026-13")).status_code == 422
    unlock = await client.post("/api/v1/periods/oktober/unlock", json=REASON, headers=world.auth(world.admin))
    assert unlock.status_code == 422


async def test_only_an_admin_locks_and_unlocks(frozen, client, world):
    for who in (world.leader, world.lead, world.member):
        assert (await _lock(client, world, "2026-10", who)).status_code == 403
        unlock = await client.post("/api/v1/periods/2026-10/unlock", json=REASON, headers=world.auth(who))
        assert unlock.status_code == 403


async def test_unlocking_needs_a_reason_of_ten_characters_kept_in_the_history(frozen, client, world, runtime):
    await _lock(client, world, "2026-Q3")
    url = "/api/v1/periods/2026-Q3/unlock"
    short = await client.post(url, json={"reason": "  salah   "}, headers=world.auth(world.admin))
    assert short.status_code == 422 and "10 characters" in short.json()["detail"]
    assert (await client.post(url, json={}, headers=world.auth(world.admin))).status_code == 422
    unlocked = await client.post(url, json=REASON, headers=world.auth(world.admin))
    assert unlocked.status_code == 200
    assert unlocked.json() == {
        "period": "2026-Q3",
        "locked": False,
        "locked_at": None,
        "locked_by": None,
        "ended": True,
    }
    locked, opened = await _history(runtime)
    assert (locked.action, opened.action) == ("locked", "unlocked")
    assert opened.reason == REASON["reason"] and opened.entity_id == 202623


@pytest.fixture
def october():
    clock.freeze(datetime(2026, 10, 5, 3, tzinfo=UTC))


async def test_after_a_lock_ratings_organisation_results_and_closes_dated_in_it_are_refused(
    october, client, world, runtime, setup
):
    async with runtime.transaction() as db:
        october_work = await factories.make_milestone(
            db, project=setup.project, lead=world.lead, assignee_ids=[world.member.id]
        )
    clock.freeze(NOW)
    await _lock(client, world, "2026-10")
    params = {"period": "2026-10"}
    rating = await client.put(
        f"/api/v1/users/{world.member.id}/behaviour",
        params=params,
        json={"rating": "meets"},
        headers=world.auth(world.lead),
    )
    assert rating.status_code == 409 and "2026-10" in rating.json()["detail"]
    result = await client.put(
        f"/api/v1/units/{world.bidang.id}/organisation-result",
        params=params,
        json={"result": "Baik"},
        headers=world.auth(world.admin),
    )
    assert result.status_code == 409 and "2026-10" in result.json()["detail"]
    close = await client.post(
        f"/api/v1/milestones/{october_work.id}/close",
        json={"quality": 4, "closed_on": "2026-10-30"},
        headers=world.auth(world.lead),
    )
    assert close.status_code == 409 and "2026-10" in close.json()["detail"]
    today = await client.post(
        f"/api/v1/milestones/{october_work.id}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    assert today.status_code == 200  # November is open


async def test_after_unlocking_the_period_can_be_rated_again(frozen, client, world):
    await _lock(client, world, "2026-10")
    await client.post("/api/v1/periods/2026-10/unlock", json=REASON, headers=world.auth(world.admin))
    rating = await client.put(
        f"/api/v1/users/{world.member.id}/behaviour",
        params={"period": "2026-10"},
        json={"rating": "meets"},
        headers=world.auth(world.lead),
    )
    assert rating.status_code == 200


# --- the admin page -------------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


async def test_the_admin_nav_links_the_periods_page(frozen, client, world):
    await log_in(client, world.admin)
    page = await client.get("/admin/units")
    assert 'href="/admin/periods"' in page.text


async def test_the_admin_locks_and_unlocks_on_the_periods_page(frozen, client, world, runtime):
    await log_in(client, world.admin)
    page = await client.get("/admin/periods", params={"year": 2026})
    assert page.status_code == 200
    html = page.text
    assert 'action="/admin/periods/2026-10/lock"' in html
    assert 'action="/admin/periods/2026-11/lock"' not in html  # still running
    assert "Dapat dikunci setelah periode berakhir." in html
    token = _csrf(html)
    locked = await client.post("/admin/periods/2026-10/lock", data={"csrf_token": token})
    assert locked.status_code == 303
    assert locked.headers["location"] == "/admin/periods?year=2026&saved=locked#periode-2026-10"
    shown = (await client.get(locked.headers["location"])).text
    assert "Periode sudah dikunci." in shown and 'action="/admin/periods/2026-10/unlock"' in shown
    assert "Terkunci" in shown and world.admin.name in shown

    refused = await client.post("/admin/periods/2026-10/unlock", data={"csrf_token": token, "reason": "x"})
    assert refused.status_code == 422 and "10" in refused.text
    assert 'aria-invalid="true"' in refused.text
    async with runtime.sessionmaker() as db:
        assert (await db.get(PeriodLock, "2026-10")).locked is True

    unlocked = await client.post("/admin/periods/2026-10/unlock", data={"csrf_token": token} | REASON)
    assert unlocked.status_code == 303
    async with runtime.sessionmaker() as db:
        assert (await db.get(PeriodLock, "2026-10")).locked is False


async def test_a_running_period_posted_to_the_lock_form_shows_why_not(frozen, client, world):
    await log_in(client, world.admin)
    token = _csrf((await client.get("/admin/periods")).text)
    response = await client.post("/admin/periods/2026-11/lock", data={"csrf_token": token})
    assert response.status_code == 422 and "belum berubah" in response.text


async def test_only_an_admin_opens_the_periods_page(frozen, client, world):
    await log_in(client, world.leader)
    assert (await client.get("/admin/periods")).status_code == 403
    assert (await client.post("/admin/periods/2026-10/lock", data={})).status_code == 403


async def test_the_periods_page_without_the_csrf_token_changes_nothing(frozen, client, world, runtime):
    await log_in(client, world.admin)
    await client.get("/admin/periods")
    assert (await client.post("/admin/periods/2026-10/lock", data={})).status_code == 403
    async with runtime.sessionmaker() as db:
        assert await db.get(PeriodLock, "2026-10") is None


def test_every_day_counts_in_its_month_quarter_and_year():
    assert [str(p) for p in periods_containing(date(2026, 11, 20))] == ["2026-11", "2026-Q4", "2026"]


async def test_the_admin_history_lists_locks_and_unlocks_with_the_reason(frozen, client, world):
    await _lock(client, world, "2026-10")
    await client.post("/api/v1/periods/2026-10/unlock", json=REASON, headers=world.auth(world.admin))
    await log_in(client, world.admin)
    page = await client.get("/admin/history", params={"entity": "period"})
    assert page.status_code == 200
    assert "dikunci" in page.text and "dibuka kuncinya" in page.text
    assert REASON["reason"] in page.text
    assert 'href="/admin/periods?year=2026#periode-2026-10"' in page.text
