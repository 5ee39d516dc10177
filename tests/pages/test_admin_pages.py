"""The admin pages (units, users, staff import, history), driven like a browser without JavaScript."""

import re

import pytest
from sqlalchemy import func, select

from server.accounts.models import Unit, User
from server.accounts.uploads import ImportUpload
from server.audit import HistoryEntry
from tests import factories
from tests.web import csrf_of, log_in, sign_in

ADMIN_PAGES = [
    "/admin/units",
    "/admin/units/{unit}",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/import",
    "/admin/import/example.csv",
    "/admin/history",
]
CLEAN_ROWS = (
    "198703102012011005,Sari Lestari,Bidang Pelayanan,199001012011011001,staff,sari@bukitintan.go.id\n"
    "1990 0101 201101 1 001,Hadi Pratama,Bidang Pelayanan,,pimpinan,\n"
)


async def _count(runtime, model, *where) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(model).where(*where))


async def _get(runtime, model, id_):
    async with runtime.sessionmaker() as db:
        return await db.get(model, id_)


async def _admin_page(client, world, path="/admin/units", *, admin=None):
    await log_in(client, admin or world.admin)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["leader", "member"])
async def test_only_an_admin_opens_the_admin_pages(client, world, path, who):
    await log_in(client, getattr(world, who))
    response = await client.get(path.format(unit=world.bidang.id, user=world.member.id))
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "Anda tidak memiliki akses ke halaman ini" in response.text


async def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = await client.get("/admin/users")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


async def test_admin_home_links_the_admin_pages(client, world):
    await log_in(client, world.admin)
    html = (await client.get("/")).text
    for path in ("/admin/units", "/admin/users", "/admin/import", "/admin/history"):
        assert f'href="{path}"' in html
    assert f'href="/board/unit/{world.bidang.id}"' in html and 'href="/static/admin.css"' in html


async def test_units_page_links_each_unit_and_creates_one(client, world, runtime):
    token = await _admin_page(client, world)
    page = (await client.get("/admin/units")).text
    for link in (
        "/board/unit/{id}",
        "/units/{id}/distribution",
        "/admin/units/{id}/targets",
        "/survey/{id}/poster",
    ):
        assert f'href="{link.format(id=world.bidang.id)}"' in page
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
    async with runtime.sessionmaker() as db:
        unit = await db.scalar(select(Unit).where(Unit.name == "Bidang Data"))
    assert (unit.parent_id, unit.population) == (world.dinas.id, 2500)
    assert response.headers["location"] == f"/admin/units?saved={unit.id}#unit-{unit.id}"
    assert "Bidang Data sudah diperbarui" in (await client.get(response.headers["location"])).text


async def test_unit_form_shows_what_is_wrong_and_stores_nothing(client, world, runtime):
    token = await _admin_page(client, world)
    before = await _count(runtime, Unit)
    response = await client.post(
        "/admin/units", data={"csrf_token": token, "name": " ", "parent_id": "", "population": "-3"}
    )
    assert response.status_code == 422
    assert 'id="name" name="name"' in response.text and 'aria-invalid="true"' in response.text
    assert "Wajib diisi." in response.text and "bilangan bulat 1 atau lebih" in response.text
    moved = await client.post(
        f"/admin/units/{world.dinas.id}",
        data={
            "csrf_token": token,
            "name": world.dinas.name,
            "parent_id": str(world.bidang.id),
            "population": "",
        },
    )
    assert moved.status_code == 422 and "alert--error" in moved.text  # the service's message, re-rendered
    assert await _count(runtime, Unit) == before
    assert (await _get(runtime, Unit, world.dinas.id)).parent_id is None


async def test_editing_a_unit_changes_name_and_population(client, world, runtime):
    token = await _admin_page(client, world, f"/admin/units/{world.bidang.id}")
    response = await client.post(
        f"/admin/units/{world.bidang.id}",
        data={
            "csrf_token": token,
            "name": "Bidang Pelayanan Terpadu",
            "parent_id": str(world.dinas.id),
            "population": "800",
        },
    )
    assert response.status_code == 303
    unit = await _get(runtime, Unit, world.bidang.id)
    assert (unit.name, unit.population, unit.parent_id) == ("Bidang Pelayanan Terpadu", 800, world.dinas.id)


@pytest.mark.parametrize("token", [None, "palsu"])
async def test_admin_forms_without_the_csrf_token_change_nothing(client, world, runtime, token):
    await _admin_page(client, world)
    form = {"csrf_token": token} if token else {}
    units = await _count(runtime, Unit)
    assert (await client.post("/admin/units", data=form | {"name": "Bidang X"})).status_code == 403
    assert (
        await client.post(f"/admin/units/{world.bidang.id}", data=form | {"name": "Baru"})
    ).status_code == 403
    edit = form | {"name": "Diubah", "role": "staff", "unit_id": str(world.bidang.id), "email": ""}
    assert (await client.post(f"/admin/users/{world.member.id}", data=edit)).status_code == 403
    files = {"file": ("pegawai.csv", ("NIP,Nama,Unit\n" + CLEAN_ROWS).encode(), "text/csv")}
    assert (await client.post("/admin/import/check", data=form, files=files)).status_code == 403
    assert await _count(runtime, Unit) == units
    assert (await _get(runtime, User, world.member.id)).name == world.member.name
    assert (await _get(runtime, Unit, world.bidang.id)).name == world.bidang.name
    assert await _count(runtime, ImportUpload) == 0


async def test_user_search_finds_by_nip_with_or_without_spaces(client, world):
    await log_in(client, world.admin)
    nip = world.member.nip
    for q in (nip, f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}", nip[:12]):
        html = (await client.get("/admin/users", params={"q": q})).text
        assert f'href="/admin/users/{world.member.id}"' in html, q
    html = (await client.get("/admin/users", params={"q": nip})).text
    assert f'href="/admin/users/{world.lead.id}"' not in html and "1 pengguna cocok" in html
    by_name = (await client.get("/admin/users", params={"q": "anggota"})).text
    assert f'href="/admin/users/{world.member.id}"' in by_name


async def test_user_list_pages_25_at_a_time(client, world, runtime):
    async with runtime.transaction() as db:
        for n in range(25):
            await factories.make_user(db, unit=world.bidang, name=f"Zaenal {n:02d}")
    await log_in(client, world.admin)
    first = (await client.get("/admin/users")).text
    assert "Halaman 1 dari 2" in first and 'href="/admin/users?page=2"' in first
    second = (await client.get("/admin/users", params={"page": 2})).text
    assert "Zaenal 24" in second and "Zaenal 00" not in second


async def test_admin_edits_a_user_and_the_change_is_in_their_history(client, world, runtime):
    token = await _admin_page(client, world, f"/admin/users/{world.member.id}")
    response = await client.post(
        f"/admin/users/{world.member.id}",
        data={
            "csrf_token": token,
            "name": "Anggota Tim Baru",
            "role": "leader",
            "unit_id": str(world.dinas.id),
            "supervisor_nip": world.leader.nip,
            "email": "anggota@bukitintan.go.id",
            "is_active": "1",
            "password": "",
            "password_confirm": "",
        },
    )
    assert (
        response.status_code == 303
        and response.headers["location"] == f"/admin/users/{world.member.id}?saved=1"
    )
    member = await _get(runtime, User, world.member.id)
    assert (member.name, member.role, member.unit_id, member.supervisor_id) == (
        "Anggota Tim Baru",
        "leader",
        world.dinas.id,
        world.leader.id,
    )
    page = (await client.get(response.headers["location"])).text
    assert "Tersimpan." in page and "Riwayat akun" in page
    assert '<span class="changes__before">Anggota Tim</span>' in page  # before → after, by name
    assert (
        '<span class="changes__after">Kepala Dinas</span>' in page
        and '<span class="changes__after">Pimpinan</span>' in page
    )


async def test_disabling_a_user_ends_their_sign_in(client, world, runtime):
    token = await _admin_page(client, world, f"/admin/users/{world.member.id}")
    form = {
        "csrf_token": token,
        "name": world.member.name,
        "role": "staff",
        "unit_id": str(world.bidang.id),
        "supervisor_nip": world.lead.nip,
        "email": "",
    }  # the unchecked box sends no is_active
    response = await client.post(f"/admin/users/{world.member.id}", data=form)
    assert response.status_code == 303
    assert (await _get(runtime, User, world.member.id)).is_active is False
    async with runtime.sessionmaker() as db:
        entry = await db.scalar(
            select(HistoryEntry).where(HistoryEntry.entity == "user", HistoryEntry.action == "updated")
        )
    assert (entry.entity_id, entry.before, entry.after) == (
        world.member.id,
        {"is_active": True},
        {"is_active": False},
    )
    client.cookies.clear()
    refused = await sign_in(client, world.member)
    assert refused.status_code == 401


async def test_an_admin_cannot_disable_their_own_account(client, world, runtime):
    token = await _admin_page(client, world, f"/admin/users/{world.admin.id}")
    form = {"csrf_token": token, "name": world.admin.name, "role": "admin", "unit_id": str(world.dinas.id)}
    response = await client.post(f"/admin/users/{world.admin.id}", data=form)
    assert response.status_code == 422 and "akun sendiri" in response.text
    assert (await _get(runtime, User, world.admin.id)).is_active is True


async def test_admin_creates_a_user_with_a_password(client, world, runtime):
    token = await _admin_page(client, world, "/admin/users/new")
    form = {
        "csrf_token": token,
        "username": "sari.l",
        "nip": "19870310 201201 2 005",
        "name": "Sari Lestari",
        "role": "staff",
        "unit_id": str(world.bidang.id),
        "supervisor_nip": world.lead.nip,
        "email": "",
        "password": "rahasia-baru",
        "password_confirm": "rahasia-baru",
    }
    response = await client.post("/admin/users/new", data=form)
    assert response.status_code == 303
    async with runtime.sessionmaker() as db:
        sari = await db.scalar(select(User).where(User.username == "sari.l"))
    assert (sari.nip, sari.supervisor_id) == ("198703102012012005", world.lead.id)
    assert response.headers["location"] == f"/admin/users/{sari.id}?saved=1"
    again = await client.post("/admin/users/new", data=form | {"username": "sari.lain"})
    assert (
        again.status_code == 409 and 'value="sari.lain"' in again.text
    )  # the same NIP already has an account
    assert await _count(runtime, User, User.nip == "198703102012012005") == 1
    bad = await client.post("/admin/users/new", data=form | {"nip": "123", "password_confirm": "beda"})
    assert bad.status_code == 422 and "NIP harus 18 angka" in bad.text and "tidak sama" in bad.text


async def _check(client, token, content: bytes, filename="pegawai.csv"):
    return await client.post(
        "/admin/import/check", data={"csrf_token": token}, files={"file": (filename, content, "text/csv")}
    )


async def test_a_bad_file_shows_each_bad_row_and_imports_nothing(client, world, runtime):
    token = await _admin_page(client, world, "/admin/import")
    users = await _count(runtime, User)
    content = (
        b"NIP,Nama,Unit,Peran\n"
        b"198713102012011005,Tanggal Salah,Bidang Pelayanan,\n"
        b"198703102012011006,Tanpa Unit,Dinas Tidak Ada,\n"
        b"198703102012011009,Peran Salah,Bidang Pelayanan,ketua\n"
        b"198703102012011010,Benar,Bidang Pelayanan,pegawai\n"
    )
    response = await _check(client, token, content)
    assert response.status_code == 422
    table = re.search(r'<table class="data-table report-table[^"]*">.*?</table>', response.text, re.S)
    rows = re.findall(r'<th scope="row"[^>]*>(\d+)</th><td[^>]*>(\d+)</td>', table.group(0))
    assert rows == [("2", "198713102012011005"), ("3", "198703102012011006"), ("4", "198703102012011009")]
    # Each bad row lists its problems, as the importer words them.
    assert len(re.findall(r'<ul class="problems"><li>', table.group(0))) == 3
    assert "3 dari 4 baris bermasalah" in response.text
    assert 'action="/admin/import/apply"' not in response.text
    assert await _count(runtime, User) == users and await _count(runtime, ImportUpload) == 0


async def test_a_clean_file_is_checked_then_imported(client, world, runtime):
    token = await _admin_page(client, world, "/admin/import")
    users = await _count(runtime, User)
    checked = await _check(client, token, ("NIP,Nama,Unit,NIP Atasan,Peran,Email\n" + CLEAN_ROWS).encode())
    assert checked.status_code == 200
    assert "File bersih: 2 baris siap diimpor." in checked.text
    assert await _count(runtime, User) == users  # step 1 writes no account
    upload_id = re.search(r'name="upload_id" value="(\d+)"', checked.text).group(1)
    imported = await client.post("/admin/import/apply", data={"csrf_token": token, "upload_id": upload_id})
    assert imported.status_code == 303 and imported.headers["location"] == "/admin/import?selesai=2"
    assert "2 akun pegawai berhasil diimpor" in (await client.get(imported.headers["location"])).text
    async with runtime.sessionmaker() as db:
        sari = await db.scalar(select(User).where(User.nip == "198703102012011005"))
        hadi = await db.scalar(select(User).where(User.nip == "199001012011011001"))
    assert sari.supervisor_id == hadi.id and hadi.role == "leader"
    assert await _count(runtime, User) == users + 2 and await _count(runtime, ImportUpload) == 0
    twice = await client.post("/admin/import/apply", data={"csrf_token": token, "upload_id": upload_id})
    assert twice.status_code == 409 and await _count(runtime, User) == users + 2


async def test_another_admins_checked_file_cannot_be_imported(client, world, runtime):
    async with runtime.transaction() as db:
        other = await factories.make_user(db, unit=world.dinas, role="admin")
    token = await _admin_page(client, world, "/admin/import")
    checked = await _check(client, token, ("NIP,Nama,Unit\n" + CLEAN_ROWS).encode())
    upload_id = re.search(r'name="upload_id" value="(\d+)"', checked.text).group(1)
    client.cookies.clear()
    other_token = await _admin_page(client, world, "/admin/import", admin=other)
    response = await client.post(
        "/admin/import/apply", data={"csrf_token": other_token, "upload_id": upload_id}
    )
    assert response.status_code == 409 and await _count(runtime, User, User.nip == "198703102012011005") == 0


async def test_example_csv_checks_clean(client, world):
    token = await _admin_page(client, world, "/admin/import")
    example = await client.get("/admin/import/example.csv")
    assert example.headers["content-type"].startswith("text/csv")
    assert "attachment" in example.headers["content-disposition"]
    assert example.text.lstrip("\ufeff").startswith("NIP,Nama,Unit,NIP Atasan,Peran,Email")
    assert "File bersih: 2 baris" in (await _check(client, token, example.content)).text


async def test_history_lists_changes_and_filters_by_entity(client, world, runtime, setup):
    token = await _admin_page(client, world, f"/admin/users/{world.member.id}")
    await client.post(
        f"/admin/users/{world.member.id}",
        data={
            "csrf_token": token,
            "name": "Nama Baru",
            "role": "staff",
            "unit_id": str(world.bidang.id),
            "supervisor_nip": world.lead.nip,
            "email": "",
            "is_active": "1",
        },
    )
    everything = (await client.get("/admin/history")).text
    assert f'href="/admin/users/{world.member.id}"' in everything
    assert f'href="/projects/{setup.project.id}#milestone-{setup.milestone.id}"' in everything
    assert "Nama Baru" in everything and "WIB" in everything
    users_only = await client.get("/admin/history", params={"entity": "user"})
    assert users_only.status_code == 200
    assert f"Akun pengguna #{world.member.id}" in users_only.text and "#milestone-" not in users_only.text
    milestones = (await client.get("/admin/history", params={"entity": "milestone"})).text
    assert f"#milestone-{setup.milestone.id}" in milestones and "Akun pengguna #" not in milestones
    by_actor = (await client.get("/admin/history", params={"actor": world.lead.nip})).text
    assert f"#milestone-{setup.milestone.id}" in by_actor and "Akun pengguna #" not in by_actor
    bad = await client.get("/admin/history", params={"period": "kemarin", "date_from": "x"})
    assert bad.status_code == 422 and "Periode tidak dapat dibaca" in bad.text
    main = re.search(r"<main.*?</main>", everything, re.S).group(0)
    assert 'method="post"' not in main  # read-only: nothing on the page changes or deletes an entry
