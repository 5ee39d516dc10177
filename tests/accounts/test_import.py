import io

from openpyxl import Workbook
from sqlalchemy import func, select

from server.accounts.models import User

HEADER = "NIP,Nama,Unit,NIP Atasan,Peran,Email\n"


def _csv(world, rows: list[str]) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


async def _upload(client, world, content: bytes, filename="pegawai.csv", dry_run=False):
    return await client.post(
        "/api/v1/users/import",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (filename, content, "text/csv")},
        headers=world.auth(world.admin),
    )


async def _count(runtime) -> int:
    async with runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(User))


async def test_clean_file_imports_everyone_with_supervisors_in_any_order(client, world, runtime):
    bidang = world.bidang.name
    content = _csv(
        world,
        [
            f"198703102012011005,Sari Lestari,{bidang},199001012011011001,staff,sari@bukitintan.go.id",
            f"1990 0101 201101 1 001,Hadi Pratama,{bidang},{world.leader.nip},pimpinan,",
        ],
    )
    before = await _count(runtime)
    response = await _upload(client, world, content)
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 2, "imported": 2, "dry_run": False}
    assert await _count(runtime) == before + 2
    async with runtime.sessionmaker() as session:
        sari = await session.scalar(select(User).where(User.nip == "198703102012011005"))
        hadi = await session.scalar(select(User).where(User.nip == "199001012011011001"))
    assert sari.supervisor_id == hadi.id and hadi.supervisor_id == world.leader.id
    assert hadi.role == "leader" and sari.username == "198703102012011005" and sari.password_hash is None


async def test_bad_file_reports_every_row_and_imports_nothing(client, world, runtime):
    content = _csv(
        world,
        [
            "198713102012011005,Bad Date,Bidang Pelayanan,,staff,",
            "198703102012011006,No Unit,Dinas Tidak Ada,,staff,",
            f"{world.member.nip},Existing,Bidang Pelayanan,,staff,",
            "198703102012011007,Twin,Bidang Pelayanan,,staff,",
            "198703102012011007,Twin Again,Bidang Pelayanan,,staff,",
            "198703102012011008,Orphan,Bidang Pelayanan,196001011990011009,staff,",
            "198703102012011009,Fine,Bidang Pelayanan,,staff,",
        ],
    )
    before = await _count(runtime)
    response = await _upload(client, world, content)
    assert response.status_code == 422
    problems = {p["row"]: " ".join(p["errors"]) for p in response.json()["detail"]}
    assert "birth date" in problems[2]
    assert "Unknown unit" in problems[3]
    assert "already has an account" in problems[4]
    assert "Duplicate of row 5" in problems[6]
    assert "Unknown supervisor" in problems[7]
    assert 8 not in problems
    assert await _count(runtime) == before


async def test_dry_run_checks_without_importing(client, world, runtime):
    before = await _count(runtime)
    response = await _upload(
        client, world, _csv(world, ["198703102012011005,Sari,Bidang Pelayanan,,,"]), dry_run=True
    )
    assert response.status_code == 200 and response.json()["imported"] == 0
    assert await _count(runtime) == before


async def test_xlsx_and_semicolon_csv_are_read(client, world, runtime):
    book = Workbook()
    book.active.append(["NIP", "Nama", "Unit"])
    book.active.append(["198703102012011005", "Sari", world.bidang.id])
    buffer = io.BytesIO()
    book.save(buffer)
    assert (await _upload(client, world, buffer.getvalue(), "pegawai.xlsx")).status_code == 200
    semicolon = b"NIP;Nama;Unit\n199103102012012005;Rina;Bidang Pelayanan\n"
    assert (await _upload(client, world, semicolon)).status_code == 200


async def test_missing_columns_and_non_admins_are_refused(client, world):
    assert (await _upload(client, world, b"Nama,Unit\nSari,Bidang\n")).status_code == 422
    response = await client.post(
        "/api/v1/users/import",
        files={"file": ("a.csv", b"NIP,Nama,Unit\n", "text/csv")},
        headers=world.auth(world.leader),
    )
    assert response.status_code == 403


async def test_admin_disables_a_user_and_sets_a_password_with_history(client, world, runtime):
    url = f"/api/v1/users/{world.member.id}"
    response = await client.patch(url, json={"password": "sandi-baru-123"}, headers=world.auth(world.admin))
    assert response.status_code == 200
    token = await client.post(
        "/api/v1/auth/token", data={"username": world.member.username, "password": "sandi-baru-123"}
    )
    assert token.status_code == 200
    disabled = await client.patch(url, json={"is_active": False}, headers=world.auth(world.admin))
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.status_code == 401
    assert (
        await client.patch(url, json={"role": "admin"}, headers=world.auth(world.leader))
    ).status_code == 403
    from server.audit import HistoryEntry

    async with runtime.sessionmaker() as session:
        entries = (
            await session.scalars(
                select(HistoryEntry)
                .where(HistoryEntry.entity == "user", HistoryEntry.entity_id == world.member.id)
                .order_by(HistoryEntry.id)
            )
        ).all()
    assert [e.action for e in entries] == ["created", "updated", "updated"]
    assert entries[1].after == {"password": "changed"} and entries[2].before == {"is_active": True}


async def test_odd_cells_are_row_problems_not_errors(client, world, runtime):
    content = _csv(
        world,
        [
            "198703102012011005,Sari,²,,staff,",  # a digit Python reads but no unit id
            f"198703102012011006,{'N' * 201},Bidang Pelayanan,,staff,",
            "198703102012011007,Rina\x00\tLestari,Bidang Pelayanan,,staff,",
        ],
    )
    before = await _count(runtime)
    response = await _upload(client, world, content)
    assert response.status_code == 422
    problems = {p["row"]: " ".join(p["errors"]) for p in response.json()["detail"]}
    assert problems == {2: "Unknown unit '²'", 3: "Name is longer than 200 characters"}
    assert await _count(runtime) == before
    clean = await _upload(
        client, world, _csv(world, ["198703102012011007,Rina\x00\tLestari,Bidang Pelayanan,,,"])
    )
    assert clean.status_code == 200
    async with runtime.sessionmaker() as session:
        assert (
            await session.scalar(select(User.name).where(User.nip == "198703102012011007")) == "Rina Lestari"
        )


async def test_row_numbers_count_the_blank_lines_too(client, world):
    content = (HEADER + "\n\n198713102012011005,Bad Date,Bidang Pelayanan,,staff,\n").encode()
    response = await _upload(client, world, content)
    assert response.status_code == 422 and response.json()["detail"][0]["row"] == 4
