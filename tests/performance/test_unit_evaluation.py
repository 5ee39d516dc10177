"""Targets, distribution, exports and live indicator events."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from server import clock
from tests.api import rate
from tests.realtime.boards import open_board, receive

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def test_defaults_then_inherited_targets_with_their_source(frozen, client, world):
    url = f"/api/v1/units/{world.bidang.id}/targets"
    fresh = (await client.get(url, params={"period": "2026-11"}, headers=world.auth(world.leader))).json()
    assert fresh["targets"]["timeliness"] == {"target": 90, "unit": "%", "source": {"kind": "default"}}
    assert fresh["thresholds"]["above"]["value"] == 110
    put = await client.put(
        f"/api/v1/units/{world.dinas.id}/targets",
        params={"period": "2026"},
        json={"targets": {"quality": {"target": 4.5}}},
        headers=world.auth(world.admin),
    )
    assert put.status_code == 200 and put.json()["warnings"] == []
    inherited = (await client.get(url, params={"period": "2026-11"}, headers=world.auth(world.leader))).json()
    assert inherited["targets"]["quality"]["target"] == 4.5
    assert inherited["targets"]["quality"]["source"] == {
        "kind": "parent_unit",
        "unit_id": world.dinas.id,
        "period": "2026",
    }
    own = await client.put(
        url,
        params={"period": "2026-11"},
        json={"targets": {"quality": {"target": 3.5}}},
        headers=world.auth(world.admin),
    )
    assert own.json()["targets"]["quality"]["source"]["kind"] == "this_unit"


async def test_target_permissions_and_validation(frozen, client, world):
    url = f"/api/v1/units/{world.bidang.id}/targets"
    assert (await client.get(url, headers=world.auth(world.member))).status_code == 404
    assert (await client.get(url, headers=world.auth(world.sibling_leader))).status_code == 404
    body = {"targets": {"timeliness": {"target": 95}}}
    assert (await client.put(url, json=body, headers=world.auth(world.leader))).status_code == 403
    assert (
        await client.put(url, json={"targets": {"speed": {"target": 1}}}, headers=world.auth(world.admin))
    ).status_code == 422
    assert (
        await client.put(url, json={"targets": {"quality": {"target": 9}}}, headers=world.auth(world.admin))
    ).status_code == 422


@pytest.fixture
def october():
    clock.freeze(datetime(2026, 10, 10, 3, tzinfo=UTC))


async def test_target_above_anything_achieved_warns_and_is_saved(october, client, world, setup):
    clock.freeze(datetime(2026, 10, 20, 3, tzinfo=UTC))
    closed = await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close",
        json={"quality": 3, "closed_on": "2026-10-20"},
        headers=world.auth(world.lead),
    )
    assert closed.status_code == 200, closed.text
    clock.freeze(NOW)
    response = await client.put(
        f"/api/v1/units/{world.bidang.id}/targets",
        params={"period": "2026-11"},
        json={"targets": {"quality": {"target": 4.8}}},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200
    assert response.json()["targets"]["quality"]["target"] == 4.8
    assert any("belum pernah tercapai" in w for w in response.json()["warnings"])


async def test_distribution_and_its_warnings(frozen, client, world):
    await rate(client, world, world.member, "above", "above")  # Sangat Baik
    await rate(client, world, world.lead, "above", "above")  # Sangat Baik
    await rate(client, world, world.outsider, "meets", "meets")  # Baik
    url = f"/api/v1/units/{world.dinas.id}/distribution"
    before = (await client.get(url, params={"period": "2026-11"}, headers=world.auth(world.leader))).json()
    assert before["total"] == 3 and before["counts"]["Sangat Baik"] == 2 and before["warnings"] == []
    assert before["percentages"]["Sangat Baik"] == 66.67 and before["organisation_result"] is None
    assert before["complete"] is True and before["unrated"] == 0 and before["counts"]["belum_dinilai"] == 0
    put = await client.put(
        f"/api/v1/units/{world.dinas.id}/organisation-result",
        params={"period": "2026-11"},
        json={"result": "Butuh Perbaikan"},
        headers=world.auth(world.admin),
    )
    assert put.status_code == 200 and put.json()["organisation_result"] == "Butuh Perbaikan"
    assert len(put.json()["warnings"]) == 2  # Butuh Perbaikan under 60%, Sangat Baik over 10%
    assert (await client.get(url, headers=world.auth(world.member))).status_code == 404
    bad = await client.put(
        f"/api/v1/units/{world.dinas.id}/organisation-result",
        json={"result": "Luar Biasa"},
        headers=world.auth(world.admin),
    )
    assert bad.status_code == 422


async def test_exports_have_one_row_per_asn_and_named_files(frozen, client, world, setup):
    await client.post(
        f"/api/v1/milestones/{setup.milestone.id}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    response = await client.get(
        f"/api/v1/units/{world.bidang.id}/performance.csv",
        params={"period": "2026-11"},
        headers=world.auth(world.leader),
    )
    assert response.status_code == 200
    assert 'filename="kinerja-bidang-pelayanan-2026-11.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "NIP" and len(rows) == 1 + 3  # lead, member, outsider
    member_row = next(r for r in rows if r[1] == world.member.name)
    assert member_row[3] == "100,00" and member_row[4] == "4,00"
    xlsx = await client.get(
        f"/api/v1/units/{world.bidang.id}/performance.xlsx",
        params={"period": "2026-11"},
        headers=world.auth(world.admin),
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 4 and sheet["A1"].value == "NIP"
    assert (
        await client.get(f"/api/v1/units/{world.bidang.id}/performance.csv", headers=world.auth(world.member))
    ).status_code == 404


async def test_closing_a_late_milestone_sends_indicator_changed_to_the_unit_board(
    frozen, client, world, runtime, setup, live_server
):
    from tests import factories

    async with runtime.transaction() as db:
        late = await factories.make_milestone(
            db,
            project=setup.project,
            lead=world.lead,
            due_date=date(2026, 11, 10),
            assignee_ids=[world.member.id],
        )
    async with open_board(live_server, "unit", world.dinas.id, world.auth(world.leader)) as ws:
        snapshot = await receive(ws)
        await client.post(
            f"/api/v1/milestones/{late.id}/close", json={"quality": 3}, headers=world.auth(world.lead)
        )
        messages = [await receive(ws) for _ in range(3)]
    assert [m["seq"] for m in messages] == [snapshot["seq"] + 1, snapshot["seq"] + 2, snapshot["seq"] + 3]
    assert messages[0]["type"] == "milestone.closed"
    changes = {m["data"]["key"]: m["data"] for m in messages[1:]}
    assert changes["timeliness"] == {
        "user_id": world.member.id,
        "period": "2026-11",
        "key": "timeliness",
        "value": 60.0,  # due Tuesday 10 November, closed Friday 20 November: 8 working days late
    }
    assert changes["quality"]["value"] == 3.0


async def test_survey_answers_naming_someone_feed_their_satisfaction_live(frozen, client, world, live_server):
    async with open_board(live_server, "unit", world.dinas.id, world.auth(world.leader)) as ws:
        snapshot = await receive(ws)
        for answers in ([4] * 9, [3] * 9, [4, 4, 4, 4, 3, 3, 3, 3, 3]):
            token = await client.get("/api/v1/feedback/token", params={"unit_id": world.bidang.id})
            response = await client.post(
                "/api/v1/feedback",
                json={
                    "unit_id": world.bidang.id,
                    "token": token.json()["token"],
                    "employee_id": world.member.id,
                    "answers": answers,
                },
            )
            assert response.status_code == 201, response.text
        events = [await receive(ws) for _ in range(3)]
    assert [e["seq"] for e in events] == [snapshot["seq"] + 1, snapshot["seq"] + 2, snapshot["seq"] + 3]
    assert events[-1]["type"] == "indicator.changed" and events[-1]["data"]["key"] == "satisfaction"
    body = (
        await client.get(
            f"/api/v1/users/{world.member.id}/performance",
            params={"period": "2026-11"},
            headers=world.auth(world.member),
        )
    ).json()
    satisfaction = next(i for i in body["indicators"] if i["key"] == "satisfaction")
    assert satisfaction["n"] == 3 and satisfaction["value"] == events[-1]["data"]["value"]
    # 25 × mean(NRR U6, NRR U7) = 25 × (10/3 + 10/3) / 2 = 83.33: only the unsur that judge the person
    # (all nine unsur, the unit's IKM, would give 87.04).
    assert satisfaction["value"] == 83.33
    assert satisfaction["sample_ok"] is False and satisfaction["min_sample"] == 10  # 10 answers naming them
    assert satisfaction["excluded"] == 0
    assert (
        satisfaction["counts_toward_rating"] is False and "belum cukup jawaban" in satisfaction["explanation"]
    )
    assert [s["kind"] for s in satisfaction["sources"]] == ["feedback"] * 3
