"""Data berubah sejak dinilai: when a source of a confirmed hasil kerja changes afterwards, the
performance object says so and lists what changed, until the rater confirms again. On a fixed date:
20 November 2026 (WIB)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from server import clock
from server.feedback.models import Feedback, FeedbackCreate
from server.feedback.service import record_feedback
from server.performance.models import Rating
from tests.api import close_milestone
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
PERIOD = {"period": "2026-11"}


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _performance(client, world, period="2026-11"):
    response = await client.get(
        f"/api/v1/users/{world.member.id}/performance",
        params={"period": period},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200
    return response.json()


async def _confirm(client, world, period="2026-11", reason=None):
    """The rater (the member's supervisor) confirms the suggested hasil kerja."""
    suggested = (await _performance(client, world, period))["hasil_kerja_suggested"]
    body = {"hasil_kerja": suggested or "meets"} | ({"reason": reason} if reason else {})
    response = await client.put(
        f"/api/v1/users/{world.member.id}/evaluation",
        params={"period": period},
        json=body,
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_later_close_in_the_rated_period_marks_the_rating_stale(frozen, client, world, setup):
    await close_milestone(client, world, setup.milestone.id, 4)
    confirmed = await _confirm(client, world)
    assert confirmed["stale_since_rating"] is False and confirmed["changes"] == []
    assert confirmed["confirmed_at"] == "2026-11-20T03:00:00Z"

    await close_milestone(client, world, setup.other_milestone.id, 3)
    body = await _performance(client, world)
    assert body["stale_since_rating"] is True
    assert body["changes"] == [
        {
            "kind": "milestone",
            "id": setup.other_milestone.id,
            "change": "added",
            "before": None,
            "after": {"closed_on": "2026-11-20", "late_working_days": 0, "quality": 3},
        }
    ]
    assert body["hasil_kerja"] is not None  # the rating stands; it is only marked

    again = await _confirm(client, world, reason="Dikonfirmasi ulang setelah tonggak kedua")
    assert again["stale_since_rating"] is False and again["changes"] == []


async def test_a_correction_and_a_reopening_show_before_and_after(frozen, client, world, setup):
    await close_milestone(client, world, setup.milestone.id, 4)
    await close_milestone(client, world, setup.other_milestone.id, 4)
    await _confirm(client, world)
    corrected = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/correct",
        json={"quality": 3, "reason": "Salah input nilai kualitas"},
        headers=world.auth(world.lead),
    )
    assert corrected.status_code == 200, corrected.text
    reopened = await client.post(
        f"/api/v1/milestones/{setup.other_milestone.id}/correct",
        json={"reopen": True, "reason": "Hasil belum lengkap, dikerjakan ulang"},
        headers=world.auth(world.lead),
    )
    assert reopened.status_code == 200, reopened.text
    body = await _performance(client, world)
    assert body["stale_since_rating"] is True
    by_id = {c["id"]: c for c in body["changes"]}
    assert by_id[setup.milestone.id]["change"] == "changed"
    assert by_id[setup.milestone.id]["before"]["quality"] == 4
    assert by_id[setup.milestone.id]["after"]["quality"] == 3
    assert by_id[setup.other_milestone.id]["change"] == "removed"
    assert by_id[setup.other_milestone.id]["after"] is None


async def test_a_survey_answer_counted_or_excluded_after_confirmation_is_a_change(
    frozen, client, world, runtime
):
    async with runtime.transaction() as db:
        first = await record_feedback(
            db, data=FeedbackCreate(unit_id=world.bidang.id, employee_id=world.member.id, answers=[4] * 9)
        )
    await _confirm(client, world, reason="Belum ada data tonggak")
    async with runtime.transaction() as db:
        second = await record_feedback(
            db, data=FeedbackCreate(unit_id=world.bidang.id, employee_id=world.member.id, answers=[3] * 9)
        )
        await db.execute(update(Feedback).where(Feedback.id == first.id).values(status="suspect"))
    body = await _performance(client, world)
    assert body["stale_since_rating"] is True
    assert [(c["kind"], c["id"], c["change"]) for c in body["changes"]] == [
        ("feedback", first.id, "removed"),
        ("feedback", second.id, "added"),
    ]


async def test_nothing_is_stale_without_a_confirmed_hasil_kerja(frozen, client, world, runtime, setup):
    response = await client.put(
        f"/api/v1/users/{world.member.id}/behaviour",
        params=PERIOD,
        json={"rating": "meets"},
        headers=world.auth(world.lead),
    )
    assert response.status_code == 200
    await close_milestone(client, world, setup.milestone.id, 4)
    body = await _performance(client, world)
    assert body["stale_since_rating"] is False and body["confirmed_at"] is None


async def test_a_rating_confirmed_before_snapshots_were_kept_is_not_marked(
    frozen, client, world, runtime, setup
):
    """Ratings carried over by the migration have no snapshot: nothing is known to have changed."""
    async with runtime.transaction() as db:
        db.add(Rating(user_id=world.member.id, period="2026-11", hasil_kerja="meets", perilaku="meets"))
    await close_milestone(client, world, setup.milestone.id, 4)
    body = await _performance(client, world)
    assert body["hasil_kerja"] == "meets" and body["stale_since_rating"] is False


async def test_a_change_in_another_period_does_not_mark_the_rating(frozen, client, world, setup):
    await _confirm(client, world, period="2026-10", reason="Tidak ada tonggak bulan ini")
    await close_milestone(client, world, setup.milestone.id, 4)  # November
    assert (await _performance(client, world, "2026-10"))["stale_since_rating"] is False


async def test_the_evaluation_page_says_data_changed_until_the_rater_confirms_again(
    frozen, client, world, setup
):
    await close_milestone(client, world, setup.milestone.id, 4)
    await _confirm(client, world)
    await close_milestone(client, world, setup.other_milestone.id, 3)
    await log_in(client, world.lead)
    page = await client.get(f"/people/{world.member.id}/evaluation", params=PERIOD)
    assert page.status_code == 200
    assert "Data berubah sejak dinilai" in page.text
    notice = page.text[page.text.index('id="data-berubah"') :]
    notice = notice[: notice.index("</div>")]
    assert setup.other_milestone.title in notice and "baru dihitung" in notice
    assert "Tetapkan lagi hasil kerja" in page.text
    person = await client.get(f"/people/{world.member.id}", params=PERIOD)
    assert "Data berubah sejak dinilai" in person.text

    await _confirm(client, world, reason="Dikonfirmasi ulang setelah tonggak kedua")
    page = await client.get(f"/people/{world.member.id}/evaluation", params=PERIOD)
    assert "Data berubah sejak dinilai" not in page.text
