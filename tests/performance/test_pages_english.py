"""The sentences the performance domain words with values — indicator explanations, unrealistic-target
and distribution warnings — in the page's language, while the API keeps sending them in Indonesian
whatever language the client asks for. On a fixed date: 20 November 2026 (WIB)."""

import html
from datetime import UTC, date, datetime

import pytest

from server import clock
from server.feedback.models import FeedbackCreate
from server.feedback.service import record_feedback
from tests.api import close_milestone, rate
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
PERIOD = {"period": "2026-11"}
ENGLISH = {"accept-language": "en-US,en;q=0.9"}


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _page(client, url, headers=None) -> str:
    response = await client.get(url, params=PERIOD, headers=headers)
    assert response.status_code == 200
    return html.unescape(response.text)


async def test_person_page_explains_the_indicators_in_the_page_language(
    frozen, client, world, runtime, setup
):
    await close_milestone(client, world, setup.milestone.id, 4)
    async with runtime.transaction() as db:
        await record_feedback(
            db, data=FeedbackCreate(unit_id=world.bidang.id, employee_id=world.member.id, answers=[4] * 9)
        )
    await log_in(client, world.member)
    url = f"/people/{world.member.id}"

    english = await _page(client, url, ENGLISH)
    assert (
        "The average of the milestones closed in this period (1), weighted by milestone weight: a milestone "
        "on time scores 100, and each working day late takes off 5 points (never below 0). Working days are "
        "Monday to Friday except holidays, counted against the due date in force on each day, up to the "
        "delivery date."
    ) in english
    quality = "The team lead's quality scores (1–5) of the closed milestones (1), averaged by their weights."
    assert quality in english
    assert (
        "25 × the mean score of elements U6 (staff competence) and U7 (staff conduct) in the 1 survey "
        "answers that name this staff member; not enough answers yet (at least 10), so it does not count "
        "towards the suggested rating."
    ) in english
    for fragment in ("Rata-rata tertimbang", "tonggak capaian yang ditutup", "jawaban survei yang menyebut"):
        assert fragment not in english

    indonesian = await _page(client, url)
    assert (
        "Rata-rata tertimbang (bobot tonggak capaian) dari 1 tonggak capaian yang ditutup pada periode ini: "
        "tepat waktu bernilai 100, setiap hari kerja terlambat mengurangi 5 poin (minimal 0)."
    ) in indonesian
    assert "The average of the milestones" not in indonesian


async def test_the_api_explains_in_indonesian_whatever_language_the_client_asks_for(
    frozen, client, world, setup
):
    await close_milestone(client, world, setup.milestone.id, 4)
    url = f"/api/v1/users/{world.member.id}/performance"
    for language in ({}, ENGLISH):
        body = (await client.get(url, params=PERIOD, headers=world.auth(world.member) | language)).json()
        explanations = {i["key"]: i["explanation"] for i in body["indicators"]}
        assert explanations == {
            "timeliness": "Rata-rata tertimbang (bobot tonggak capaian) dari 1 tonggak capaian yang ditutup "
            "pada periode ini: tepat waktu bernilai 100, setiap hari kerja terlambat mengurangi 5 poin "
            "(minimal 0). Hari kerja: Senin–Jumat kecuali hari libur, dihitung terhadap tenggat yang berlaku "
            "pada hari itu sampai tanggal penyerahan.",
            "quality": "Rata-rata tertimbang nilai kualitas (1–5) dari ketua tim atas 1 tonggak capaian yang "
            "ditutup.",
            "satisfaction": "Belum ada responden survei kepuasan masyarakat yang menyebut pegawai ini.",
        }
        rule = (
            "Saran hasil kerja: setiap indikator yang dihitung dinilai sendiri (capaian ≥ 110% di atas "
            "ekspektasi, ≥ 90% sesuai ekspektasi, selain itu di bawah ekspektasi); saran di atas ekspektasi "
            "bila lebih dari separuhnya di atas dan tidak ada yang di bawah, di bawah ekspektasi bila lebih "
            "dari separuhnya di bawah, selain itu sesuai ekspektasi."
        )
        predikat = (
            "Predikat belum ada karena rating hasil kerja dan perilaku kerja belum ditetapkan oleh atasan."
        )
        assert body["explanation"] == " ".join([*explanations.values(), rule, predikat])


@pytest.fixture
def october():
    clock.freeze(datetime(2026, 10, 10, 3, tzinfo=UTC))


async def test_targets_page_warns_in_the_page_language_and_the_api_in_indonesian(
    october, client, world, setup
):
    clock.freeze(datetime(2026, 10, 20, 3, tzinfo=UTC))
    await close_milestone(client, world, setup.milestone.id, 3, date(2026, 10, 15))  # on its due date
    clock.freeze(NOW)
    put = await client.put(
        f"/api/v1/units/{world.bidang.id}/targets",
        params=PERIOD,
        json={"targets": {"quality": {"target": 4.8}}},
        headers=world.auth(world.admin) | ENGLISH,
    )
    assert put.json()["warnings"] == [
        "Target ini belum pernah tercapai: target kualitas hasil kerja 4,8 lebih tinggi dari capaian "
        "tertinggi unit (3) dalam 4 periode terakhir."
    ]
    await log_in(client, world.admin)
    url = f"/admin/units/{world.bidang.id}/targets"
    english = await _page(client, url, ENGLISH)
    assert (
        "This target has never been reached: the quality of work target of 4.8 is above the unit's best "
        "result (3) in the last 4 periods."
    ) in english
    assert "belum pernah tercapai" not in english
    assert "target kualitas hasil kerja 4,8 lebih tinggi" in await _page(client, url)


async def test_distribution_page_warns_in_the_page_language_and_the_api_in_indonesian(frozen, client, world):
    await rate(client, world, world.member, "above", "above")  # Sangat Baik
    await rate(client, world, world.lead, "above", "above")  # Sangat Baik
    await rate(client, world, world.outsider, "meets", "meets")  # Baik
    put = await client.put(
        f"/api/v1/units/{world.dinas.id}/organisation-result",
        params=PERIOD,
        json={"result": "Butuh Perbaikan"},
        headers=world.auth(world.admin) | ENGLISH,
    )
    assert put.json()["warnings"] == [
        "Predikat Butuh Perbaikan 0% di bawah batas minimal 60% untuk organisasi Butuh Perbaikan.",
        "Predikat Sangat Baik 66,67% melebihi batas 10% untuk organisasi Butuh Perbaikan.",
    ]
    await log_in(client, world.leader)
    url = f"/units/{world.dinas.id}/distribution"
    english = await _page(client, url, ENGLISH)
    assert (
        "Predikat Needs improvement: 0%, below the minimum of 60% for an organisation rated Needs improvement."
    ) in english
    above = "Predikat Very good: 66.67%, above the limit of 10% for an organisation rated Needs improvement."
    assert above in english
    # The rules table names the predikats in English too.
    assert "Poor and/or Needs improvement at least 10%" in english
    assert "at least one staff member rated Needs improvement or Poor" in english
    for indonesian in ("melebihi batas", "di bawah batas minimal", "dan/atau", "Butuh Perbaikan"):
        assert indonesian not in english

    page = await _page(client, url)
    assert "Predikat Sangat Baik 66,67% melebihi batas 10% untuk organisasi Butuh Perbaikan." in page
    assert "Kurang dan/atau Butuh Perbaikan paling sedikit 10%" in page
