"""Names of people and units: cleaned and bounded when they come in, shown as stored when they go out
(a row from before a rule existed must not turn a list into a 500)."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from server.accounts.models import Unit, User
from tests.services import backend

# SQLite keeps a text of any length; PostgreSQL's column stops a name at 200 characters, so there the
# stored rule-breaker is the empty name.
STORED_NAMES = ["", "N" * 50_000] if backend() == "sqlite" else [""]


async def _store(runtime, model, row_id: int, **values) -> None:
    """Write straight into the row, as an older version or import may have left it."""
    async with runtime.transaction() as db:
        row = await db.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)


@pytest.mark.parametrize("name", STORED_NAMES, ids=len)
async def test_users_and_units_with_names_that_break_todays_rules_are_still_listed(
    client, world, runtime, name
):
    await _store(runtime, User, world.member.id, name=name, username="x")
    await _store(runtime, Unit, world.bidang.id, name=name)
    users = await client.get("/api/v1/users", headers=world.auth(world.admin))
    assert users.status_code == 200, users.text
    assert name in [u["name"] for u in users.json()]
    units = await client.get("/api/v1/units", headers=world.auth(world.admin))
    assert units.status_code == 200 and name in [u["name"] for u in units.json()]
    me = await client.get("/api/v1/me", headers=world.auth(world.member))
    assert me.status_code == 200 and me.json()["name"] == name


async def test_a_new_users_name_loses_its_control_characters(client, world):
    response = await client.post(
        "/api/v1/users",
        json={
            "username": "budi.s",
            "password": "kata-sandi-yang-kuat-1",
            "name": " Budi\x00 Santoso\n",
            "nip": "199001012015031001",
            "role": "staff",
            "unit_id": world.bidang.id,
            "email": " budi@example.id\x07 ",
        },
        headers=world.auth(world.admin),
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Budi Santoso"


@pytest.mark.parametrize("username", ["budi santoso", "budi\x00", "bu", "ｂｕｄｉ", "budi/../x"])
async def test_a_username_outside_letters_digits_dot_dash_underscore_is_refused(client, world, username):
    response = await client.post(
        "/api/v1/users",
        json={
            "username": username,
            "password": "kata-sandi-yang-kuat-1",
            "name": "Budi",
            "nip": "199001012015031001",
            "role": "staff",
            "unit_id": world.bidang.id,
        },
        headers=world.auth(world.admin),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]


async def test_a_unit_renamed_to_a_blank_or_oversized_name_is_refused(client, world):
    for name in ("\t\x00 ", "U" * 201):
        response = await client.patch(
            f"/api/v1/units/{world.bidang.id}", json={"name": name}, headers=world.auth(world.admin)
        )
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "name"]


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_an_imported_50000_character_name_is_refused_on_its_row_and_nothing_is_stored(
    client, world, runtime, kind
):
    rows = [
        ["NIP", "Nama", "Unit"],
        ["198703102012011005", "Sari Lestari", world.bidang.name],
        ["198703102012011006", "N" * 50_000, world.bidang.name],
    ]
    content = "\n".join(",".join(row) for row in rows).encode() if kind == "csv" else _xlsx(rows)
    response = await client.post(
        "/api/v1/users/import",
        files={"file": (f"pegawai.{kind}", content, "application/octet-stream")},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 422, response.text
    assert [(p["row"], p["errors"]) for p in response.json()["detail"]] == [
        (3, ["Name is longer than 200 characters"])
    ]
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(User.nip == "198703102012011005")) == 0
    listed = await client.get("/api/v1/users", headers=world.auth(world.admin))
    assert listed.status_code == 200
