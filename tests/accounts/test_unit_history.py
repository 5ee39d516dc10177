"""Creating and changing a unit, through the API and the admin pages, is kept in the history: who, when,
from what to what; a refused change leaves no trace; /admin/history lists unit entries and filters on them."""

from sqlalchemy import select

from server.audit import HistoryEntry
from tests.web import csrf_of, log_in


async def _unit_history(runtime, unit_id):
    async with runtime.sessionmaker() as db:
        query = (
            select(HistoryEntry)
            .where(HistoryEntry.entity == "unit", HistoryEntry.entity_id == unit_id)
            .order_by(HistoryEntry.id)
        )
        return list((await db.scalars(query)).all())


async def _form_token(client, world, path):
    await log_in(client, world.admin)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


async def test_creating_a_unit_through_the_api_adds_one_entry_naming_the_admin(client, world, runtime):
    response = await client.post(
        "/api/v1/units",
        json={"name": "Bidang Data", "parent_id": world.dinas.id, "population": 500},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 201
    [entry] = await _unit_history(runtime, response.json()["id"])
    assert (entry.action, entry.actor_id, entry.before) == ("created", world.admin.id, None)
    assert entry.after == {"name": "Bidang Data", "parent_id": world.dinas.id, "population": 500}


async def test_moving_and_renaming_a_unit_through_the_api_records_before_and_after(client, world, runtime):
    before = await _unit_history(runtime, world.bidang.id)
    response = await client.patch(
        f"/api/v1/units/{world.bidang.id}",
        json={"name": "Bidang Layanan Kesehatan", "parent_id": world.sibling.id},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200
    history = await _unit_history(runtime, world.bidang.id)
    assert len(history) == len(before) + 1
    entry = history[-1]
    assert (entry.action, entry.actor_id) == ("updated", world.admin.id)
    assert entry.before == {"name": "Bidang Pelayanan", "parent_id": world.dinas.id}
    assert entry.after == {"name": "Bidang Layanan Kesehatan", "parent_id": world.sibling.id}


async def test_a_unit_edit_that_changes_nothing_adds_no_entry(client, world, runtime):
    before = await _unit_history(runtime, world.dinas.id)
    response = await client.patch(
        f"/api/v1/units/{world.dinas.id}",
        json={"name": world.dinas.name, "population": world.dinas.population},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200
    assert await _unit_history(runtime, world.dinas.id) == before


async def test_a_refused_unit_edit_through_the_api_writes_no_entry(client, world, runtime):
    before = await _unit_history(runtime, world.dinas.id)
    under_own_bidang = await client.patch(
        f"/api/v1/units/{world.dinas.id}",
        json={"name": "Dinas Baru", "parent_id": world.bidang.id},
        headers=world.auth(world.admin),
    )
    assert under_own_bidang.status_code == 422
    unknown_parent = await client.patch(
        f"/api/v1/units/{world.dinas.id}", json={"parent_id": 9999}, headers=world.auth(world.admin)
    )
    assert unknown_parent.status_code == 422
    assert await _unit_history(runtime, world.dinas.id) == before


async def test_creating_a_unit_on_the_admin_page_adds_one_entry(client, world, runtime):
    token = await _form_token(client, world, "/admin/units")
    response = await client.post(
        "/admin/units",
        data={
            "csrf_token": token,
            "name": "Bidang Data",
            "parent_id": str(world.dinas.id),
            "population": "2.500",
        },
    )
    assert response.status_code == 303
    unit_id = int(response.headers["location"].split("saved=")[1].split("#")[0])
    [entry] = await _unit_history(runtime, unit_id)
    assert (entry.action, entry.actor_id) == ("created", world.admin.id)
    assert entry.after == {"name": "Bidang Data", "parent_id": world.dinas.id, "population": 2500}


async def test_editing_a_unit_on_the_admin_page_records_only_what_changed(client, world, runtime):
    path = f"/admin/units/{world.bidang.id}"
    token = await _form_token(client, world, path)
    before = await _unit_history(runtime, world.bidang.id)
    response = await client.post(
        path,
        data={
            "csrf_token": token,
            "name": "Bidang Pelayanan Terpadu",
            "parent_id": str(world.sibling.id),
            "population": "",  # as it was: not named in the entry
        },
    )
    assert response.status_code == 303
    history = await _unit_history(runtime, world.bidang.id)
    assert len(history) == len(before) + 1
    entry = history[-1]
    assert (entry.action, entry.actor_id) == ("updated", world.admin.id)
    assert entry.before == {"name": "Bidang Pelayanan", "parent_id": world.dinas.id}
    assert entry.after == {"name": "Bidang Pelayanan Terpadu", "parent_id": world.sibling.id}


async def test_a_refused_unit_edit_on_the_admin_page_writes_no_entry(client, world, runtime):
    path = f"/admin/units/{world.dinas.id}"
    token = await _form_token(client, world, path)
    before = await _unit_history(runtime, world.dinas.id)
    response = await client.post(
        path,
        data={"csrf_token": token, "name": "Dinas Baru", "parent_id": str(world.bidang.id), "population": ""},
    )
    assert response.status_code == 422
    assert await _unit_history(runtime, world.dinas.id) == before


async def test_history_page_shows_unit_changes_and_filters_on_units(client, world, runtime):
    await client.patch(
        f"/api/v1/units/{world.bidang.id}",
        json={"name": "Bidang Layanan Kesehatan", "parent_id": world.sibling.id, "population": 2500},
        headers=world.auth(world.admin),
    )
    await client.patch(
        f"/api/v1/users/{world.member.id}", json={"name": "Nama Baru"}, headers=world.auth(world.admin)
    )
    await log_in(client, world.admin)
    everything = (await client.get("/admin/history")).text
    assert '<option value="unit">Unit kerja</option>' in everything
    assert f'href="/admin/units/{world.bidang.id}">Unit kerja #{world.bidang.id}</a>' in everything

    units = await client.get("/admin/history", params={"entity": "unit"})
    assert units.status_code == 200
    assert '<option value="unit" selected>' in units.text
    assert f"Unit kerja #{world.bidang.id}" in units.text and "Akun pengguna #" not in units.text
    # the change reads as names, not ids: parent unit before → after, and the population as a number
    assert "Unit induk" in units.text and "Populasi layanan" in units.text
    assert f">{world.dinas.name}</span>" in units.text and f">{world.sibling.name}</span>" in units.text
    assert ">2.500</span>" in units.text
    assert "Sistem" in units.text  # the fixture's units were made by no one: shown as the system

    users = (await client.get("/admin/history", params={"entity": "user"})).text
    assert "Nama Baru" in users and "Unit kerja #" not in users
