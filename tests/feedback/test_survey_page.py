import html
import re
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from server import clock
from server.feedback.models import Feedback
from server.feedback.pages import QUESTIONS
from server.feedback.routes import SURVEY_ANSWERS
from tests.feedback.survey import survey_token

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
async def fresh_rate_limits(runtime):
    yield
    await runtime.limiter.reset()


@asynccontextmanager
async def client_from(app, address: str):
    transport = httpx.ASGITransport(app=app, client=(address, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def stored(runtime) -> list[Feedback]:
    async with runtime.sessionmaker() as db:
        return list(await db.scalars(select(Feedback)))


async def form_token(client, unit_id: int) -> str:
    page = await client.get(f"/survey/{unit_id}")
    return re.search(r'name="token" value="([^"]+)"', page.text)[1]


def answers(**overrides: str) -> dict[str, str]:
    return {f"u{i}": str(1 + i % 4) for i in range(1, 10)} | overrides


async def test_form_shows_the_unit_the_nine_questions_and_their_own_answers(client, world):
    response = await client.get(f"/survey/{world.dinas.id}")
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert world.dinas.name in page
    for question in QUESTIONS:
        assert question.name in page and question.text in page
        for value, label in enumerate(question.options, start=1):
            assert re.search(
                rf'<input type="radio" id="{question.code.lower()}-{value}" name="{question.code.lower()}" '
                rf'value="{value}" required\s*>\s*<span class="choice__label">{re.escape(label)}</span>',
                page,
            ), (question.code, label)
    assert "Sangat mahal" in page and "Gratis" in page and "Tidak cepat" in page
    assert f'action="/survey/{world.dinas.id}"' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def picker(page: str) -> dict[int, str]:
    """The employee picker's choices as id -> name."""
    select_block = re.search(r'<select id="employee_id".*?</select>', page, re.S)[0]
    return {
        int(i): html.unescape(name)
        for i, name in re.findall(r'<option value="(\d+)"\s*>([^<]*)</option>', select_block)
    }


async def test_picker_lists_active_staff_of_the_unit_and_its_sub_units(client, world):
    dinas = picker((await client.get(f"/survey/{world.dinas.id}")).text)
    # Not the sibling dinas's leader, nor the admin: BKPSDM operators do not serve at the counter.
    assert dinas == {p.id: p.name for p in (world.leader, world.lead, world.member, world.outsider)}
    bidang = picker((await client.get(f"/survey/{world.bidang.id}")).text)
    assert world.leader.id not in bidang and world.member.id in bidang  # the unit above is not the bidang's


async def test_posting_the_form_stores_one_answer_and_thanks(client, world, runtime):
    clock.freeze(NOW)
    token = await form_token(client, world.dinas.id)
    form = answers(token=token, employee_id=str(world.member.id), comment="Petugas ramah.")
    response = await client.post(f"/survey/{world.dinas.id}", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/survey/{world.dinas.id}/thanks"
    [feedback] = await stored(runtime)
    assert feedback.answers == [2, 3, 4, 1, 2, 3, 4, 1, 2]
    assert (feedback.unit_id, feedback.employee_id, feedback.comment) == (
        world.dinas.id,
        world.member.id,
        "Petugas ramah.",
    )
    assert feedback.period == "2026-11"
    thanks = await client.get(response.headers["location"])
    assert thanks.status_code == 200 and "Terima kasih" in thanks.text
    assert f'href="/survey/{world.dinas.id}"' in thanks.text


async def test_employee_and_comment_are_optional(client, world, runtime):
    token = await form_token(client, world.dinas.id)
    response = await client.post(
        f"/survey/{world.dinas.id}", data=answers(token=token, employee_id="", comment=" ")
    )
    assert response.status_code == 303
    [feedback] = await stored(runtime)
    assert feedback.employee_id is None and feedback.comment is None


async def test_missing_answer_shows_the_form_again_with_what_was_given(client, world, runtime):
    token = await form_token(client, world.dinas.id)
    form = answers(token=token, comment="Ruang tunggu panas.")
    del form["u3"]
    response = await client.post(f"/survey/{world.dinas.id}", data=form)
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "Mohon jawab semua pertanyaan" in page
    assert '<a href="#u3">3. Waktu Penyelesaian</a>' in page
    assert 'id="u3-missing"' in page and 'id="u4-missing"' not in page
    assert re.search(r'name="u1" value="2" required\s+checked', page)  # kept
    assert "Ruang tunggu panas." in page
    assert await stored(runtime) == []


async def test_out_of_range_answer_counts_as_missing(client, world, runtime):
    token = await form_token(client, world.dinas.id)
    response = await client.post(f"/survey/{world.dinas.id}", data=answers(token=token, u9="5"))
    assert response.status_code == 422 and 'id="u9-missing"' in response.text
    assert await stored(runtime) == []


async def test_employee_outside_the_unit_is_refused_on_the_form(client, world, runtime):
    token = await form_token(client, world.dinas.id)
    form = answers(token=token, employee_id=str(world.sibling_leader.id))
    response = await client.post(f"/survey/{world.dinas.id}", data=form)
    assert response.status_code == 422
    assert "tidak terdaftar di unit ini" in response.text
    assert await stored(runtime) == []


@pytest.mark.parametrize("case", ["missing", "forged", "other unit", "expired", "garbage"])
async def test_post_without_a_valid_form_token_shows_a_fresh_form_with_the_answers(
    client, world, runtime, case
):
    clock.freeze(NOW - timedelta(hours=2, minutes=1))
    expired = await form_token(client, world.dinas.id)
    clock.freeze(NOW)
    tokens = {
        "missing": None,
        "forged": "A" * 43,
        "other unit": await survey_token(client, world.sibling.id),
        "expired": expired,
        "garbage": "abc.def",
    }
    form = answers(comment="Ruang tunggu sejuk.")
    if tokens[case] is not None:
        form["token"] = tokens[case]
    response = await client.post(f"/survey/{world.dinas.id}", data=form)
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "kedaluwarsa (berlaku 2 jam) atau tidak sah" in page
    assert "Ruang tunggu sejuk." in page and re.search(r'name="u1" value="2" required\s+checked', page)
    fresh = re.search(r'name="token" value="([^"]+)"', page)[1]
    assert fresh not in tokens.values()
    assert await stored(runtime) == []
    again = await client.post(f"/survey/{world.dinas.id}", data=form | {"token": fresh})
    assert again.status_code == 303 and len(await stored(runtime)) == 1


async def test_form_open_for_just_under_two_hours_is_still_accepted(client, world, runtime):
    clock.freeze(NOW - timedelta(hours=1, minutes=59))
    token = await form_token(client, world.dinas.id)
    clock.freeze(NOW)
    response = await client.post(f"/survey/{world.dinas.id}", data=answers(token=token))
    assert response.status_code == 303 and len(await stored(runtime)) == 1


async def test_one_form_sent_three_times_stores_one_answer(client, world, runtime):
    """Issue 11: one phone sent the survey three times with one form."""
    form = answers(token=await form_token(client, world.dinas.id), comment="Cepat.")
    first = await client.post(f"/survey/{world.dinas.id}", data=form)
    second = await client.post(f"/survey/{world.dinas.id}", data=form)
    third = await client.post(f"/survey/{world.dinas.id}", data=form)
    assert first.status_code == 303
    for again in (second, third):
        assert again.status_code == 409
        page = html.unescape(again.text)
        assert "sudah pernah dikirim" in page and "Cepat." in page
    assert len(await stored(runtime)) == 1


async def test_fresh_forms_from_the_same_browser_on_one_day_are_duplicates(client, world, runtime):
    """Issue 11, continued: with a fresh form each time, the 2nd and 3rd answers are stored, not counted."""
    clock.freeze(NOW)
    for _ in range(3):
        token = await form_token(client, world.dinas.id)
        response = await client.post(f"/survey/{world.dinas.id}", data=answers(token=token))
        assert response.status_code == 303  # the same thanks each time
    assert [f.status for f in sorted(await stored(runtime), key=lambda f: f.id)] == [
        "counted",
        "duplicate",
        "duplicate",
    ]
    ikm = (await client.get(f"/api/v1/units/{world.dinas.id}/ikm", params={"period": "2026-11"})).json()
    assert (ikm["n"], ikm["excluded"]) == (1, 2)


async def test_same_browser_counts_again_the_next_day_and_for_another_unit(client, world, runtime):
    clock.freeze(NOW)
    for unit in (world.dinas, world.sibling):
        token = await form_token(client, unit.id)
        assert (await client.post(f"/survey/{unit.id}", data=answers(token=token))).status_code == 303
    clock.freeze(NOW + timedelta(days=1))
    token = await form_token(client, world.dinas.id)
    assert (await client.post(f"/survey/{world.dinas.id}", data=answers(token=token))).status_code == 303
    assert [f.status for f in await stored(runtime)] == ["counted"] * 3


async def test_another_browser_on_the_same_day_is_counted(app, client, world, runtime):
    token = await form_token(client, world.dinas.id)
    await client.post(f"/survey/{world.dinas.id}", data=answers(token=token))
    async with client_from(app, "10.0.0.31") as phone:
        token = await form_token(phone, world.dinas.id)
        assert (await phone.post(f"/survey/{world.dinas.id}", data=answers(token=token))).status_code == 303
    assert [f.status for f in await stored(runtime)] == ["counted", "counted"]


async def test_form_sets_a_long_lived_http_only_device_cookie_once(client, world, runtime):
    first = await client.get(f"/survey/{world.dinas.id}")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("pantau_survey_device=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert int(re.search(r"Max-Age=(\d+)", cookie)[1]) >= 365 * 24 * 3600
    device = client.cookies["pantau_survey_device"]
    again = await client.get(f"/survey/{world.dinas.id}")
    assert "set-cookie" not in again.headers and client.cookies["pantau_survey_device"] == device
    await client.post(
        f"/survey/{world.dinas.id}", data=answers(token=await form_token(client, world.dinas.id))
    )
    [feedback] = await stored(runtime)
    assert feedback.device_hash and device not in feedback.device_hash


async def test_form_shares_the_api_rate_limit(app, world, runtime):
    for _ in range(SURVEY_ANSWERS.amount):
        await runtime.limiter.hit(SURVEY_ANSWERS, "10.0.0.9")
    async with client_from(app, "10.0.0.9") as kiosk:
        token = await form_token(kiosk, world.dinas.id)
        response = await kiosk.post(f"/survey/{world.dinas.id}", data=answers(token=token, comment="Lagi"))
        api_token = await survey_token(kiosk, world.dinas.id)
        api = await kiosk.post(
            "/api/v1/feedback", json={"unit_id": world.dinas.id, "answers": [3] * 9, "token": api_token}
        )
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 600
    assert "Terlalu banyak jawaban" in response.text and "Lagi" in response.text
    assert api.status_code == 429
    assert await stored(runtime) == []


async def test_unknown_unit_is_the_friendly_404_page(client, world):
    for response in (
        await client.get("/survey/999999"),
        await client.post("/survey/999999", data=answers()),
        await client.get("/survey/999999/thanks"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")


async def test_printable_poster_has_a_qr_code_to_the_units_survey(client, world):
    response = await client.get(f"/survey/{world.bidang.id}/poster")
    assert response.status_code == 200
    assert world.bidang.name in response.text and "<svg" in response.text
    assert f"http://test/survey/{world.bidang.id}" in response.text
    assert "https://" not in response.text.replace(f"http://test/survey/{world.bidang.id}", "")
    assert (await client.get("/survey/99999/poster")).status_code == 404
