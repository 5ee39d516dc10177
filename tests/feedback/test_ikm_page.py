"""The published IKM page (/units/{id}/ikm, public): the unit's IKM, mutu and kinerja, the nine unsur with
their NRR, respondents against the minimum sample; the same numbers as the API; linked from the QR poster.
On a fixed date: 20 November 2026 (WIB)."""

import re
from datetime import UTC, datetime

import pytest

from server import clock
from server.feedback import service
from server.feedback.ikm import ELEMENTS, period_min_sample
from server.feedback.models import FeedbackCreate

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _answers(runtime, unit_id: int, *answers: list[int]) -> None:
    async with runtime.transaction() as db:
        for values in answers:
            await service.record_feedback(db, data=FeedbackCreate(unit_id=unit_id, answers=values))


def _text(html: str) -> str:
    """The page's words without tags, spaces folded: what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_published_ikm_shows_the_result_and_the_nine_unsur(frozen, client, world, runtime):
    # U1 answered 4 and 3 (NRR 3.50); every other unsur 4 and 4 (NRR 4.00): IKM 25 × 35.5/9 = 98.61, A.
    await _answers(runtime, world.bidang.id, [4] * 9, [3] + [4] * 8)
    response = await client.get(f"/units/{world.dinas.id}/ikm", params={"period": "2026-11"})
    assert response.status_code == 200
    api = (await client.get(f"/api/v1/units/{world.dinas.id}/ikm", params={"period": "2026-11"})).json()
    assert api["ikm"] == 98.61 and api["n"] == 2
    html = response.text
    assert re.search(r'id="ikm-value">98,61<', html)
    assert re.search(r'id="ikm-mutu">A<', html) and re.search(r'id="ikm-kinerja">Sangat Baik<', html)
    table = html[html.index('id="ikm-unsur"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r"<td>(U\d)</td>\s*<th scope=\"row\">([^<]+)</th>\s*<td class=\"num\">([^<]+)</td>", table
    )
    assert rows == [(code, name, "3,50" if code == "U1" else "4,00") for code, name in ELEMENTS]
    sample = _text(html[html.index('id="ikm-sample"') :])
    # The dinas serves 1,000 people a month: Krejcie and Morgan's table asks for 278 respondents.
    assert sample.startswith(f'id="ikm-sample"> 2 responden · sampel minimum {api["min_sample"]} ')
    assert api["min_sample"] == 278 and "belum memenuhi sampel minimum" in sample
    assert 'href="/static/ikm.css"' in html, "the print layout"


async def test_a_quarter_counts_three_months_of_the_population(frozen, client, world, runtime):
    await _answers(runtime, world.bidang.id, [3] * 9)
    html = (await client.get(f"/units/{world.dinas.id}/ikm", params={"period": "2026-Q4"})).text
    assert re.search(r'id="ikm-value">75,00<', html) and re.search(r'id="ikm-kinerja">Kurang Baik<', html)
    assert f"sampel minimum {period_min_sample(1000, months=3)} " in _text(html)
    year = await client.get(f"/units/{world.dinas.id}/ikm", params={"period": "2026"})
    assert year.status_code == 200 and re.search(r'id="ikm-value">75,00<', year.text)


async def test_no_answers_is_no_ikm_never_zero(frozen, client, world):
    response = await client.get(f"/units/{world.sibling.id}/ikm", params={"period": "2026-11"})
    assert response.status_code == 200
    assert 'id="ikm-none"' in response.text and 'id="ikm-value"' not in response.text
    assert "0 responden" in _text(response.text)
    assert "Jumlah masyarakat yang dilayani unit ini belum dicatat" in response.text, "population unknown"


async def test_the_page_is_public_and_defaults_to_this_month(frozen, client, world):
    response = await client.get(f"/units/{world.dinas.id}/ikm")
    assert response.status_code == 200, "no sign-in: the regulation requires the result to be published"
    assert "November 2026" in response.text


async def test_an_unknown_unit_is_not_found(client, world):
    assert (await client.get("/units/99999/ikm")).status_code == 404
    assert (await client.get("/units/99999/ikm", params={"period": "nonsense"})).status_code == 404


async def test_a_period_that_cannot_be_read_is_a_message_at_the_period_field(frozen, client, world):
    response = await client.get(f"/units/{world.dinas.id}/ikm", params={"period": "2026-13<b>"})
    assert response.status_code == 422
    html = response.text
    assert 'aria-describedby="period-error"' in html and 'aria-invalid="true"' in html
    error = html[html.index('id="period-error"') :]
    assert error.index("2026-13&lt;b&gt;") < error.index("</span>"), "what was asked, escaped, at the field"
    assert 'id="ikm-unsur"' not in html


async def test_the_survey_poster_links_to_the_published_ikm(client, world):
    html = (await client.get(f"/survey/{world.bidang.id}/poster")).text
    assert f'href="http://test/units/{world.bidang.id}/ikm" id="ikm-link"' in html
    assert f'href="/units/{world.bidang.id}/ikm"' in html


async def test_the_poster_prints_the_ikm_address_on_the_public_url(client, world, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "public_url", "https://pantau.bukitintan.go.id")
    html = (await client.get(f"/survey/{world.bidang.id}/poster", headers={"Host": "evil.example"})).text
    assert f">https://pantau.bukitintan.go.id/units/{world.bidang.id}/ikm</a>" in html
