"""Nothing typed is lost (issue 13 item 3): a form posted after its session ended leads, once signed in
again, back to the form's page (not its POST address, which answers GET with 405); a refused update is
said beside its form on the form's own page; the evaluation page saves both ratings in one action; a
page's refusal is said in the page's words, beside the field."""

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from server import clock
from server.audit import HistoryEntry
from server.performance.models import Rating, Target
from server.projects.models import ProgressUpdate
from tests.api import close_milestone
from tests.web import csrf_of, log_in, sign_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
PERIOD = {"period": "2026-11"}


async def _count(runtime, model, *where) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(model).where(*where))


def _next_of(response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def _update(setup, **fields):
    return {
        "csrf_token": "from-a-session-that-ended",
        "milestone_id": str(setup.milestone.id),
        "progress_pct": "40",
        "note": "Berkas diverifikasi",
        "blockers": "",
        "back": f"/projects/{setup.project.id}",
    } | fields


# --- an expired session -----------------------------------------------------------------------------


async def test_an_update_posted_without_a_session_leads_back_to_the_form_after_signing_in(
    client, world, runtime, setup
):
    page = f"/projects/{setup.project.id}"
    response = await client.post(f"{page}/updates", data=_update(setup))
    assert _next_of(response) == page  # the form's page, not /projects/{id}/updates (405 on GET)
    assert await _count(runtime, ProgressUpdate) == 0
    signed_in = await sign_in(client, world.member, _next_of(response))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == page
    form_page = await client.get(page)
    assert form_page.status_code == 200 and f'data-draft="update-{setup.milestone.id}"' in form_page.text
    assert "/static/drafts.js" in form_page.text


async def test_without_a_back_field_the_same_site_referer_names_the_page(client, world, setup):
    referer = "http://test/?saved=1"
    response = await client.post(
        f"/projects/{setup.project.id}/updates",
        data=_update(setup, back=""),
        headers={"referer": referer},
    )
    assert _next_of(response) == "/?saved=1"


@pytest.mark.parametrize("referer", [None, "https://evil.example/projects/1", "http://test/login?next=/"])
async def test_without_back_or_a_usable_referer_the_page_above_the_post_address_is_used(
    client, world, setup, referer
):
    headers = {"referer": referer} if referer else {}
    response = await client.post(
        f"/projects/{setup.project.id}/updates", data=_update(setup, back=""), headers=headers
    )
    assert _next_of(response) == f"/projects/{setup.project.id}"


async def test_an_off_site_back_field_is_not_followed(client, world, setup):
    response = await client.post(
        f"/projects/{setup.project.id}/updates", data=_update(setup, back="https://evil.example/")
    )
    assert _next_of(response) == f"/projects/{setup.project.id}"


async def test_the_evaluation_form_posted_without_a_session_returns_to_the_evaluation_page(client, world):
    url = f"/people/{world.member.id}/evaluation?period=2026-11"
    response = await client.post(url, data={"csrf_token": "x", "hasil_kerja": "meets"})
    assert _next_of(response) == url
    behaviour = await client.post(f"/people/{world.member.id}/behaviour?period=2026-11", data={"rating": "x"})
    assert _next_of(behaviour) == f"/people/{world.member.id}?period=2026-11"


async def test_a_page_asked_for_without_a_session_is_still_the_next_page(client, world, setup):
    response = await client.get(f"/projects/{setup.project.id}", headers={"referer": "http://test/"})
    assert _next_of(response) == f"/projects/{setup.project.id}"


# --- a refused update, on the form's own page ---------------------------------------------------------


async def _signed_in_token(client, user, page="/") -> str:
    await log_in(client, user)
    return csrf_of((await client.get(page)).text)


async def test_a_refused_update_is_shown_beside_its_form_on_the_project_page(client, world, runtime, setup):
    page = f"/projects/{setup.project.id}"
    token = await _signed_in_token(client, world.member, page)
    await client.post(f"{page}/updates", data=_update(setup, csrf_token=token, progress_pct="50", back=page))
    lower = await client.post(
        f"{page}/updates", data=_update(setup, csrf_token=token, progress_pct="20", note="", back=page)
    )
    assert lower.status_code == 422
    html = lower.text
    assert "<h1>" + setup.project.name in html.replace("\n", "")  # the project page itself, drawn again
    item = html[html.index(f'id="milestone-{setup.milestone.id}"') :]
    item = item[: item.index("</li>")]
    assert f'id="update-refused-{setup.milestone.id}"' in item and "Pembaruan belum tersimpan" in item
    assert f'data-draft="update-{setup.milestone.id}" open' in item  # the form is shown, not folded
    assert "should" not in html and "Value error" not in html
    assert await _count(runtime, ProgressUpdate) == 1


async def test_a_refused_update_keeps_what_was_typed_without_javascript(client, world, runtime, setup):
    page = f"/projects/{setup.project.id}"
    token = await _signed_in_token(client, world.member, page)
    await client.post(f"{page}/updates", data=_update(setup, csrf_token=token, progress_pct="50", back=page))
    typed = {"progress_pct": "20", "note": "", "blockers": "Printer <rusak> & kertas habis"}
    lower = await client.post(f"{page}/updates", data=_update(setup, csrf_token=token, back=page, **typed))
    assert lower.status_code == 422
    item = lower.text[lower.text.index(f'id="milestone-{setup.milestone.id}"') :]
    item = item[: item.index("</li>")]
    assert 'value="Printer &lt;rusak&gt; &amp; kertas habis"' in item, "the blocker text comes back, escaped"
    assert (
        f'value="20" required aria-invalid="true" aria-describedby="update-refused-{setup.milestone.id}"'
        in item
    )
    assert await _count(runtime, ProgressUpdate) == 1


async def test_a_refused_update_from_my_work_is_shown_there(client, world, runtime, setup):
    token = await _signed_in_token(client, world.member)
    response = await client.post(
        f"/projects/{setup.project.id}/updates",
        data=_update(setup, csrf_token=token, progress_pct="banyak", back="/"),
    )
    assert response.status_code == 422
    assert "Pekerjaan saya" in response.text
    item = response.text[response.text.index(f'id="m-{setup.milestone.id}"') :]
    assert "angka bulat antara 0 dan 100" in item[: item.index("</li>")]
    assert await _count(runtime, ProgressUpdate) == 0


async def test_an_update_of_a_milestone_closed_meanwhile_is_said_at_the_top(client, world, runtime, setup):
    page = f"/projects/{setup.project.id}"
    token = await _signed_in_token(client, world.member, page)
    await close_milestone(client, world, setup.milestone.id, 4)
    response = await client.post(f"{page}/updates", data=_update(setup, csrf_token=token, back=page))
    assert response.status_code == 409
    assert f'id="update-refused-{setup.milestone.id}"' in response.text
    assert await _count(runtime, ProgressUpdate) == 0


async def test_a_saved_update_still_returns_to_its_page_saying_so(client, world, runtime, setup):
    page = f"/projects/{setup.project.id}"
    token = await _signed_in_token(client, world.member, page)
    response = await client.post(f"{page}/updates", data=_update(setup, csrf_token=token, back=page))
    assert response.status_code == 303 and response.headers["location"] == f"{page}?saved=1"
    assert await _count(runtime, ProgressUpdate) == 1


# --- the evaluation page: both ratings in one action ----------------------------------------------------


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _evaluation(client, world) -> str:
    await log_in(client, world.lead)  # the member's supervisor
    page = await client.get(f"/people/{world.member.id}/evaluation", params=PERIOD)
    assert page.status_code == 200
    return page.text


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def _evaluation_form(html: str, **fields) -> dict[str, str]:
    return {
        "csrf_token": csrf_of(html),
        "shown_hasil": _hidden(html, "shown_hasil"),
        "shown_perilaku": _hidden(html, "shown_perilaku"),
    } | fields


async def _rating(runtime, world) -> Rating | None:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(Rating).where(Rating.user_id == world.member.id))


async def test_saving_hasil_kerja_also_saves_the_perilaku_just_typed(frozen, client, world, runtime, setup):
    await close_milestone(client, world, setup.milestone.id, 5)  # suggests "above"
    html = await _evaluation(client, world)
    posts = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html)
    ratings = [a for a in posts if a not in ("/logout", "/language") and "/dialog" not in a]
    assert ratings == [f"/people/{world.member.id}/evaluation?period=2026-11"]  # one form for both ratings
    response = await client.post(
        f"/people/{world.member.id}/evaluation?period=2026-11",
        data=_evaluation_form(html, save="hasil", hasil_kerja="above", rating="meets", note="Tepat janji"),
    )
    assert response.status_code == 303
    rating = await _rating(runtime, world)
    assert rating and rating.hasil_kerja == "above" and rating.perilaku == "meets"
    assert rating.perilaku_note == "Tepat janji"


async def test_an_untouched_part_is_not_saved_again(frozen, client, world, runtime, setup):
    await close_milestone(client, world, setup.milestone.id, 5)
    html = await _evaluation(client, world)
    response = await client.post(
        f"/people/{world.member.id}/evaluation?period=2026-11",
        data=_evaluation_form(html, save="perilaku", hasil_kerja="above", reason="", rating="meets"),
    )
    assert response.status_code == 303
    rating = await _rating(runtime, world)
    assert rating and rating.perilaku == "meets" and rating.hasil_kerja is None  # the suggestion, untouched
    assert await _count(runtime, HistoryEntry, HistoryEntry.entity == "rating") == 1


async def test_a_refused_part_stores_neither_and_keeps_both_as_typed(frozen, client, world, runtime, setup):
    await close_milestone(client, world, setup.milestone.id, 5)
    html = await _evaluation(client, world)
    response = await client.post(
        f"/people/{world.member.id}/evaluation?period=2026-11",
        data=_evaluation_form(
            html,
            save="perilaku",
            hasil_kerja="meets",
            reason="Belum konsisten",
            rating="",
            note="Catatan saya",
        ),
    )
    assert response.status_code == 422
    assert 'id="perilaku-error"' in response.text and "Rating perilaku kerja" in response.text
    assert "Belum konsisten</textarea>" in response.text and "Catatan saya</textarea>" in response.text
    assert "Ikut dibatalkan" in response.text  # hasil kerja was undone with it
    assert "Input should be" not in response.text
    assert await _rating(runtime, world) is None
    assert await _count(runtime, HistoryEntry, HistoryEntry.entity == "rating") == 0


# --- the page's words, beside the field ------------------------------------------------------------------


async def _targets_token(client, world) -> str:
    await log_in(client, world.admin)
    page = await client.get(f"/admin/units/{world.bidang.id}/targets", params=PERIOD)
    return csrf_of(page.text)


async def test_inconsistent_thresholds_are_refused_beside_the_field_never_a_500(
    frozen, client, world, runtime
):
    url = f"/admin/units/{world.bidang.id}/targets?period=2026-11"
    token = await _targets_token(client, world)
    response = await client.post(
        url, data={"csrf_token": token, "threshold_above": "50", "threshold_meets": "80"}
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="threshold_meets-error"' in html and 'aria-invalid="true"' in html
    assert "harus lebih tinggi" in html and "thresholds.meets" not in html
    inherited = await client.post(url, data={"csrf_token": token, "threshold_meets": "130"})  # above 110
    assert inherited.status_code == 422 and 'id="threshold_meets-error"' in inherited.text
    assert await _count(runtime, Target) == 0


async def test_a_value_out_of_range_is_said_beside_its_field_in_the_page_language(
    frozen, client, world, runtime
):
    url = f"/admin/units/{world.bidang.id}/targets?period=2026-11"
    token = await _targets_token(client, world)
    response = await client.post(
        url,
        data={
            "csrf_token": token,
            "target_quality": "9",
            "threshold_above": "2000",
            "target_timeliness": "x",
        },
    )
    assert response.status_code == 422
    html = response.text
    assert re.search(r'id="target_quality-error" class="field-error">Harus antara 1 dan 5', html)
    assert re.search(
        r'id="threshold_above-error" class="field-error">Harus lebih dari 0 dan paling tinggi 1\.000', html
    )
    assert 'id="target_timeliness-error"' in html
    assert "quality target" not in html and "threshold is" not in html
    assert await _count(runtime, Target) == 0


def test_a_request_model_refusal_is_said_in_the_page_words():
    """The error page for a model's refusal that reaches the app's handler (FastAPI's locations start
    with "body"): pydantic's English never shows."""
    from server.pages import i18n
    from server.pages.forms import errors_problem

    errors = [
        {
            "type": "string_too_short",
            "loc": ("body", "note"),
            "msg": "String should have at least 1 character",
            "ctx": {"min_length": 1},
        },
        {"type": "int_parsing", "loc": ("query", "progress_pct"), "msg": "Input should be a valid integer"},
    ]
    token = i18n.activate("id")
    try:
        assert (
            errors_problem(errors)
            == "Catatan: wajib diisi; Persentase kemajuan: harus berupa bilangan bulat."
        )
    finally:
        i18n.deactivate(token)


async def test_a_file_form_posted_without_a_session_returns_to_its_page(client, world):
    response = await client.post(
        "/admin/import/check",
        data={"csrf_token": "x"},
        files={"file": ("pegawai.csv", b"nip,name\n", "text/csv")},
    )
    assert _next_of(response) == "/admin/import"
