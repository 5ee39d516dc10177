"""The admin's review of answers stored but not counted: the API and /admin/survey-answers."""

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server import clock
from server.audit import HistoryEntry
from server.calendar.models import PeriodLock
from server.calendar.periods import parse_period
from server.feedback import service
from server.feedback.integrity import origin_of
from server.feedback.models import Feedback, FeedbackCreate
from tests.web import csrf_of, log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
REASON = "Loket 2 melayani antrean panjang hari itu"


async def arrange(runtime, world, *, suspects: int = 2) -> list[int]:
    """Five counted answers naming the member from one address, then `suspects` suspect ones; their ids."""
    clock.freeze(NOW)
    origin = origin_of(runtime.secret_key, at=NOW, device_id=None, address="10.0.0.51")
    async with runtime.transaction() as db:
        rows = [
            await service.record_feedback(
                db,
                data=FeedbackCreate(unit_id=world.bidang.id, employee_id=world.member.id, answers=[3] * 9),
                origin=origin,
            )
            for _ in range(5 + suspects)
        ]
    assert [f.status for f in rows] == ["counted"] * 5 + ["suspect"] * suspects
    return [f.id for f in rows]


async def status_of(runtime, feedback_id: int) -> tuple[str, int | None]:
    async with runtime.sessionmaker() as db:
        feedback = await db.get(Feedback, feedback_id)
        return feedback.status, feedback.reviewed_by


async def lock(runtime, period: str) -> None:
    async with runtime.transaction() as db:
        db.add(PeriodLock(period=period, locked=True, locked_at=NOW))


# --- API -------------------------------------------------------------------------------------------------


async def test_admin_lists_the_answers_not_counted_by_default(client, world, runtime):
    ids = await arrange(runtime, world)
    response = await client.get(
        "/api/v1/feedback/answers",
        params={"period": "2026-11", "unit_id": world.dinas.id},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200
    listed = response.json()
    assert [a["id"] for a in listed] == ids[:4:-1]  # newest first
    assert listed[0] | {"created_at": None} == {
        "id": ids[-1],
        "unit_id": world.bidang.id,
        "employee_id": world.member.id,
        "period": "2026-11",
        "created_at": None,
        "status": "suspect",
        "answers": [3] * 9,
        "comment": None,
        "reviewed_by": None,
    }
    everything = await client.get(
        "/api/v1/feedback/answers",
        params={"period": "2026-11", "status": "all"},
        headers=world.auth(world.admin),
    )
    assert len(everything.json()) == 7
    sibling = await client.get(
        "/api/v1/feedback/answers",
        params={"period": "2026-11", "unit_id": world.sibling.id},
        headers=world.auth(world.admin),
    )
    assert sibling.json() == []


@pytest.mark.parametrize("who", ["leader", "member", "anonymous"])
async def test_only_the_admin_reviews_answers(client, world, runtime, who):
    ids = await arrange(runtime, world)
    headers = {} if who == "anonymous" else world.auth(getattr(world, who))
    listed = await client.get("/api/v1/feedback/answers", headers=headers)
    cleared = await client.post(f"/api/v1/feedback/{ids[-1]}/clear", json={"reason": REASON}, headers=headers)
    expected = 401 if who == "anonymous" else 403
    assert (listed.status_code, cleared.status_code) == (expected, expected)
    assert await status_of(runtime, ids[-1]) == ("suspect", None)


async def test_clearing_a_suspect_answer_counts_it_keeps_the_history_and_recomputes(client, world, runtime):
    ids = await arrange(runtime, world)
    response = await client.post(
        f"/api/v1/feedback/{ids[-1]}/clear", json={"reason": REASON}, headers=world.auth(world.admin)
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reviewed_by"]) == ("counted", world.admin.id)
    async with runtime.sessionmaker() as db:
        [entry] = (await db.scalars(select(HistoryEntry).where(HistoryEntry.entity == "feedback"))).all()
        named = await service.answers_naming(db, user_ids=[world.member.id], period=parse_period("2026-11"))
        excluded = await service.excluded_naming(
            db, user_ids=[world.member.id], period=parse_period("2026-11")
        )
    assert (entry.entity_id, entry.action, entry.actor_id, entry.reason) == (
        ids[-1],
        "counted",
        world.admin.id,
        REASON,
    )
    assert (entry.before, entry.after, entry.subject_user_id, entry.period) == (
        {"status": "suspect"},
        {"status": "counted"},
        world.member.id,
        "2026-11",
    )
    assert len(named[world.member.id]) == 6 and excluded[world.member.id] == 1
    ikm = (await client.get(f"/api/v1/units/{world.bidang.id}/ikm", params={"period": "2026-11"})).json()
    assert (ikm["n"], ikm["excluded"]) == (6, 1)


async def test_excluding_a_counted_answer_stops_counting_it(client, world, runtime):
    ids = await arrange(runtime, world, suspects=0)
    response = await client.post(
        f"/api/v1/feedback/{ids[0]}/exclude", json={"reason": REASON}, headers=world.auth(world.admin)
    )
    assert response.status_code == 200 and response.json()["status"] == "excluded"
    ikm = (await client.get(f"/api/v1/units/{world.bidang.id}/ikm", params={"period": "2026-11"})).json()
    assert (ikm["n"], ikm["excluded"]) == (4, 1)


@pytest.mark.parametrize(("decision", "target"), [("clear", 0), ("exclude", -1)])
async def test_a_decision_on_an_answer_of_another_status_is_409(client, world, runtime, decision, target):
    ids = await arrange(runtime, world)
    response = await client.post(
        f"/api/v1/feedback/{ids[target]}/{decision}", json={"reason": REASON}, headers=world.auth(world.admin)
    )
    assert response.status_code == 409 and "answer" in response.json()["detail"]


async def test_a_duplicate_cannot_be_cleared(client, world, runtime):
    clock.freeze(NOW)
    origin = origin_of(runtime.secret_key, at=NOW, device_id="g" * 32, address=None)
    async with runtime.transaction() as db:
        for _ in range(2):
            duplicate = await service.record_feedback(
                db, data=FeedbackCreate(unit_id=world.dinas.id, answers=[4] * 9), origin=origin
            )
    assert duplicate.status == "duplicate"
    response = await client.post(
        f"/api/v1/feedback/{duplicate.id}/clear", json={"reason": REASON}, headers=world.auth(world.admin)
    )
    assert response.status_code == 409 and "is duplicate" in response.json()["detail"]


@pytest.mark.parametrize("locked", ["2026-11", "2026-Q4", "2026"])
async def test_no_decision_while_the_answers_period_is_locked(client, world, runtime, locked):
    ids = await arrange(runtime, world)
    await lock(runtime, locked)
    response = await client.post(
        f"/api/v1/feedback/{ids[-1]}/clear", json={"reason": REASON}, headers=world.auth(world.admin)
    )
    assert response.status_code == 409 and response.json()["detail"].startswith("period locked")
    assert await status_of(runtime, ids[-1]) == ("suspect", None)


@pytest.mark.parametrize("reason", ["", "   singkat  ", None])
async def test_a_decision_needs_a_reason_of_ten_characters(client, world, runtime, reason):
    ids = await arrange(runtime, world)
    body = {} if reason is None else {"reason": reason}
    response = await client.post(
        f"/api/v1/feedback/{ids[-1]}/clear", json=body, headers=world.auth(world.admin)
    )
    assert response.status_code == 422
    assert await status_of(runtime, ids[-1]) == ("suspect", None)


async def test_unknown_answer_is_404_and_bad_status_filter_is_422(client, world):
    headers = world.auth(world.admin)
    assert (
        await client.post("/api/v1/feedback/99999/clear", json={"reason": REASON}, headers=headers)
    ).status_code == 404
    bad = await client.get("/api/v1/feedback/answers", params={"status": "hidden"}, headers=headers)
    assert bad.status_code == 422 and "status must be one of" in bad.json()["detail"]


# --- the page --------------------------------------------------------------------------------------------


async def test_admin_page_lists_excluded_answers_and_is_in_the_admin_menu(client, world, runtime):
    ids = await arrange(runtime, world)
    await log_in(client, world.admin)
    page = await client.get("/admin/survey-answers", params={"period": "2026-11", "unit": world.dinas.id})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'href="/admin/survey-answers"' in text  # the admin menu
    assert "5 dihitung, 0 duplikat, 2 mencurigakan, 0 dikecualikan admin" in text
    for feedback_id in ids[5:]:
        assert f'id="answer-{feedback_id}"' in text
        assert f'action="/admin/survey-answers/{feedback_id}/clear"' in text
    assert f'id="answer-{ids[0]}"' not in text  # counted ones only with the status filter
    assert world.member.name in text


async def test_admin_clears_a_suspect_answer_on_the_page(client, world, runtime):
    ids = await arrange(runtime, world)
    await log_in(client, world.admin)
    page = await client.get("/admin/survey-answers", params={"period": "2026-11"})
    form = {
        "csrf_token": csrf_of(page.text),
        "reason": REASON,
        "unit": "",
        "period": "2026-11",
        "status": "uncounted",
    }
    response = await client.post(f"/admin/survey-answers/{ids[-1]}/clear", data=form)
    assert response.status_code == 303
    assert response.headers["location"].startswith(
        "/admin/survey-answers?unit=&period=2026-11&status=uncounted&done=clear"
    )
    assert await status_of(runtime, ids[-1]) == ("counted", world.admin.id)
    after = await client.get(response.headers["location"])
    assert "sekarang dihitung" in after.text


async def test_page_shows_the_refusal_next_to_the_answer_and_keeps_the_reason(client, world, runtime):
    ids = await arrange(runtime, world)
    await lock(runtime, "2026-11")
    await log_in(client, world.admin)
    page = await client.get("/admin/survey-answers", params={"period": "2026-11"})
    form = {"csrf_token": csrf_of(page.text), "reason": REASON, "period": "2026-11", "status": "uncounted"}
    locked = await client.post(f"/admin/survey-answers/{ids[-1]}/clear", data=form)
    assert locked.status_code == 409
    text = html.unescape(locked.text)
    assert "2026-11" in text and f'id="reason-{ids[-1]}-error"' in text and f'value="{REASON}"' in text
    short = await client.post(f"/admin/survey-answers/{ids[-1]}/clear", data=form | {"reason": "ok"})
    assert short.status_code == 422 and "10" in html.unescape(short.text)
    assert await status_of(runtime, ids[-1]) == ("suspect", None)


async def test_page_needs_the_csrf_token_and_an_admin(client, world, runtime):
    ids = await arrange(runtime, world)
    await log_in(client, world.admin)
    forged = await client.post(f"/admin/survey-answers/{ids[-1]}/clear", data={"reason": REASON})
    assert forged.status_code == 403
    await client.post(
        "/logout", data={"csrf_token": csrf_of((await client.get("/admin/survey-answers")).text)}
    )
    await log_in(client, world.leader)
    assert (await client.get("/admin/survey-answers")).status_code == 403
    assert await status_of(runtime, ids[-1]) == ("suspect", None)


async def test_page_names_filters_it_cannot_read(client, world):
    await log_in(client, world.admin)
    page = await client.get(
        "/admin/survey-answers", params={"period": "November", "status": "x", "unit": "abc"}
    )
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert (
        "Periode tidak dapat dibaca" in text
        and "Status tidak dikenal" in text
        and "Unit tidak dikenal" in text
    )
    assert re.search(r'<option value="uncounted" selected>', text)


async def test_a_decision_is_in_the_admin_history(client, world, runtime):
    ids = await arrange(runtime, world)
    await client.post(
        f"/api/v1/feedback/{ids[-1]}/clear", json={"reason": REASON}, headers=world.auth(world.admin)
    )
    await log_in(client, world.admin)
    page = await client.get("/admin/history", params={"entity": "feedback"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f"Jawaban survei #{ids[-1]}" in text and "dihitung setelah ditinjau" in text
    assert "mencurigakan" in text and REASON in text and world.member.name in text
