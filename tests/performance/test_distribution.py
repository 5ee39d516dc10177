"""The distribution over all active staff of a unit (DOMAIN.md §1): the unrated counted as "belum dinilai",
`complete: false` and provisional warnings while any are unrated, the majority notice; page and exports.
On a fixed date: 20 November 2026 (WIB)."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from server import clock
from server.accounts.models import Role, User
from tests import factories
from tests.api import rate
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
PERIOD = {"period": "2026-11"}


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _distribution(client, world, unit=None):
    response = await client.get(
        f"/api/v1/units/{(unit or world.dinas).id}/distribution",
        params=PERIOD,
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200
    return response.json()


async def _set_result(client, world, result, unit=None):
    response = await client.put(
        f"/api/v1/units/{(unit or world.dinas).id}/organisation-result",
        params=PERIOD,
        json={"result": result},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_unrated_staff_are_counted_and_the_check_is_provisional(frozen, client, world):
    await rate(client, world, world.member, "below", "meets")  # Butuh Perbaikan
    body = await _set_result(client, world, "Butuh Perbaikan")
    # Everyone active in the dinas and its bidang except the dinas's own head and the admin.
    assert body["total"] == 3 and body["unrated"] == 2 and body["complete"] is False
    assert body["counts"]["Butuh Perbaikan"] == 1 and body["counts"]["belum_dinilai"] == 2
    assert body["percentages"]["Butuh Perbaikan"] == 33.33 and body["percentages"]["belum_dinilai"] == 66.67
    assert body["warnings"] == [
        "Sementara: 2 dari 3 pegawai belum berpredikat, sehingga pemeriksaan distribusi ini belum final.",
        "Predikat Butuh Perbaikan 33,33% di bawah batas minimal 60% untuk organisasi Butuh Perbaikan.",
    ]


async def test_rating_everyone_completes_the_distribution(frozen, client, world):
    for person in (world.member, world.lead, world.outsider):
        await rate(client, world, person, "below", "meets")
    body = await _set_result(client, world, "Butuh Perbaikan")
    assert body["complete"] is True and body["unrated"] == 0 and body["warnings"] == []
    assert body["percentages"]["Butuh Perbaikan"] == 100.0


async def test_inactive_staff_admins_and_the_units_own_heads_are_left_out(frozen, client, world, runtime):
    async with runtime.transaction() as db:
        gone = await factories.make_user(db, unit=world.bidang)
        await db.execute(update(User).where(User.id == gone.id).values(is_active=False))
        await factories.make_user(db, unit=world.bidang, role=Role.leader, name="Kepala Bidang")
    dinas = await _distribution(client, world)
    assert dinas["total"] == 4  # lead, member, outsider and the bidang's head (staff of the dinas)
    bidang = await _distribution(client, world, world.bidang)
    assert bidang["total"] == 3  # its own head is rated outside the bidang


async def test_a_notice_when_the_most_predikat_is_not_the_majority(frozen, client, world):
    await rate(client, world, world.member, "above", "above")  # Sangat Baik
    await rate(client, world, world.lead, "meets", "meets")  # Baik
    await rate(client, world, world.outsider, "meets", "meets")  # Baik
    body = await _set_result(client, world, "Istimewa")
    assert body["warnings"] == [] and body["complete"] is True
    assert body["notices"] == [
        "Predikat Sangat Baik 33,33% belum merupakan sebagian besar (lebih dari 50%) seperti yang "
        "dimaksud SE MenPANRB 03/2023 untuk organisasi Istimewa."
    ]
    assert (await _set_result(client, world, "Butuh Perbaikan"))["notices"] == []


async def test_the_distribution_page_shows_the_unrated_and_the_provisional_state(frozen, client, world):
    await rate(client, world, world.member, "above", "above")
    await _set_result(client, world, "Istimewa")
    await log_in(client, world.leader)
    html = (await client.get(f"/units/{world.dinas.id}/distribution", params=PERIOD)).text
    assert "Belum dinilai" in html and 'id="belum-lengkap"' in html
    assert "2 dari 3 pegawai belum dinilai lengkap" in html
    assert "Sementara: 2 dari 3 pegawai belum berpredikat" in html


async def test_the_export_names_unrated_staff_and_the_new_columns(frozen, client, world):
    await rate(client, world, world.member, "above", "above")
    response = await client.get(
        f"/api/v1/units/{world.dinas.id}/performance.csv", params=PERIOD, headers=world.auth(world.leader)
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[-3:] == [
        "Jawaban survei tidak dihitung",
        "Tonggak terbuka lewat tenggat",
        "Data berubah sejak dinilai",
    ]
    predikat = {row[1]: row[header.index("Predikat")] for row in rows[1:]}
    assert predikat[world.member.name] == "Sangat Baik"
    assert predikat[world.outsider.name] == "Belum dinilai"
