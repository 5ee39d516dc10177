"""Onboarding (issue 13 item 4): first passwords for imported accounts, the credential slips, the change
required at the first sign-in, and the password policy said on the password field."""

import re

import pytest
from sqlalchemy import select

from server.accounts import onboarding
from server.accounts.models import User
from server.accounts.passwords import password_problem
from server.accounts.security import verify_password
from server.audit import HistoryEntry
from tests.factories import PASSWORD
from tests.web import csrf_of, log_in, sign_in

BIDANG_ROWS = (
    "NIP,Nama,Unit,NIP Atasan,Peran,Email\n"
    "198703102012011005,Sari Lestari,Bidang Pelayanan,199001012011011001,staff,\n"
    "1990 0101 201101 1 001,Hadi Pratama,Bidang Pelayanan,,pimpinan,\n"
)
SARI, HADI = "198703102012011005", "199001012011011001"
CHANGED = "kopi-tubruk-pagi-7"


async def _import(client, world) -> None:
    response = await client.post(
        "/api/v1/users/import",
        files={"file": ("pegawai.csv", BIDANG_ROWS.encode(), "text/csv")},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200, response.text


async def _user(runtime, nip: str) -> User:
    async with runtime.sessionmaker() as db:
        return await db.scalar(select(User).where(User.nip == nip))


def _slips(html: str) -> dict[str, str]:
    """username -> first password, as printed on the slips."""
    found = re.findall(
        r'slip__secret">([^<]+)</dd></div>\s*<div><dt>[^<]+</dt><dd class="slip__secret" data-first-password>'
        r"([^<]+)</dd>",
        html,
    )
    return dict(found)


# --- the policy -----------------------------------------------------------------------------------------


def test_the_policy_says_what_is_wrong_with_a_password():
    said = {
        "pendek1": "Password must have at least 8 characters",
        "x" * 257: "Password must have at most 256 characters",
        "87654321": "This password is too easy to guess",
        "bismillah": "This password is one of the most common passwords: choose another",
        "Indonesia2026!": "This password is one of the most common passwords: choose another",
        "sari-198703102012011005": "The password must not contain the username or NIP",
        CHANGED: None,
    }
    for password, message in said.items():
        assert password_problem(password, username="sari", nip=SARI) == message, password


async def test_the_api_names_the_password_field_when_it_refuses_a_common_one(client, world):
    body = {
        "username": "baru.sekali",
        "password": "Passw0rd!",
        "name": "Pegawai Baru",
        "nip": "198703102012011099",
        "role": "staff",
        "unit_id": world.bidang.id,
    }
    response = await client.post("/api/v1/users", json=body, headers=world.auth(world.admin))
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "password"]
    assert "one of the most common passwords" in problem["msg"]


# --- first passwords --------------------------------------------------------------------------------------


async def test_first_passwords_are_made_for_imported_accounts_and_never_stored_plain(client, world, runtime):
    await _import(client, world)
    async with runtime.transaction() as db:
        made = await onboarding.generate_first_passwords(db, by_id=world.admin.id)
    assert [m.nip for m in made] == [HADI, SARI]  # by name; the accounts that have a password are left
    sari = await _user(runtime, SARI)
    first = next(m for m in made if m.nip == SARI)
    assert sari.must_change_password and sari.credentials_epoch == 1
    assert verify_password(first.password, sari.password_hash) and first.password not in sari.password_hash
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", first.password)
    assert not set(first.password) & set("01ilo")  # nothing to misread on paper
    async with runtime.sessionmaker() as db:
        entries = (
            await db.scalars(select(HistoryEntry).where(HistoryEntry.subject_user_id == sari.id))
        ).all()
    assert entries[-1].actor_id == world.admin.id and entries[-1].after == {"password": "first password"}
    assert all(first.password not in str(e.after) for e in entries)
    async with runtime.transaction() as db:  # made once: nobody waits any more
        assert await onboarding.generate_first_passwords(db, by_id=world.admin.id) == []
    assert (await _user(runtime, world.member.nip)).must_change_password is False


async def test_an_account_changed_since_its_password_was_drafted_is_skipped(client, world, runtime):
    await _import(client, world)
    async with runtime.sessionmaker() as db:
        waiting = await onboarding.waiting_for_first_password(db)
    drafts = await onboarding.draft_first_passwords(waiting)
    async with runtime.transaction() as db:  # meanwhile another admin made Sari a password
        sari = await db.scalar(select(User).where(User.nip == SARI))
        sari.credentials_epoch += 1
    async with runtime.transaction() as db:
        stored = await onboarding.store_first_passwords(db, by_id=world.admin.id, drafts=drafts)
    assert [s.nip for s in stored] == [HADI]
    assert (await _user(runtime, SARI)).password_hash is None


async def test_the_api_answers_with_the_first_passwords_once(client, world):
    await _import(client, world)
    refused = await client.post("/api/v1/users/first-passwords", json={}, headers=world.auth(world.leader))
    assert refused.status_code == 403
    made = await client.post("/api/v1/users/first-passwords", json={}, headers=world.auth(world.admin))
    assert made.status_code == 200
    assert [(m["nip"], m["username"]) for m in made.json()] == [(HADI, HADI), (SARI, SARI)]
    assert made.headers["cache-control"] == "no-store"
    again = await client.post("/api/v1/users/first-passwords", json={}, headers=world.auth(world.admin))
    assert again.json() == []


# --- the pages --------------------------------------------------------------------------------------------


async def test_after_an_import_the_admin_prints_slips_for_the_new_accounts(client, world, runtime):
    await _import(client, world)
    await log_in(client, world.admin)
    done = await client.get("/admin/import?selesai=2")
    assert 'action="/admin/users/first-passwords"' in done.text
    slips = await client.post(
        "/admin/users/first-passwords", data={"csrf_token": csrf_of(done.text), "scope": "all"}
    )
    assert slips.status_code == 200
    assert slips.headers["cache-control"] == "no-store"
    assert "Sari Lestari" in slips.text and "19870310 201201 1 005" in slips.text
    assert "http://test/login" in slips.text and "Ganti kata sandi ini saat pertama masuk" in slips.text
    printed = _slips(slips.text)
    assert set(printed) == {SARI, HADI}
    sari = await _user(runtime, SARI)
    assert verify_password(printed[SARI], sari.password_hash) and sari.must_change_password
    assert 'class="slip-sheet"' in slips.text and "print-slips" in slips.text


async def test_the_users_list_filters_accounts_without_a_password_and_prints_the_chosen(
    client, world, runtime
):
    await _import(client, world)
    await log_in(client, world.admin)
    listed = await client.get("/admin/users?without_password=1")
    assert "Sari Lestari" in listed.text and world.member.name not in listed.text
    sari = await _user(runtime, SARI)
    token = csrf_of(listed.text)
    nobody = await client.post(
        "/admin/users/first-passwords", data={"csrf_token": token, "scope": "selected"}
    )
    assert nobody.status_code == 422 and "Pilih paling sedikit satu akun" in nobody.text
    assert (await _user(runtime, SARI)).password_hash is None
    chosen = await client.post(
        "/admin/users/first-passwords",
        data={"csrf_token": token, "scope": "selected", "user_id": str(sari.id)},
    )
    assert chosen.status_code == 200 and set(_slips(chosen.text)) == {SARI}
    assert (await _user(runtime, HADI)).password_hash is None
    assert "1 akun lain masih belum punya kata sandi" in chosen.text


async def test_a_first_password_must_be_changed_before_anything_else(client, world, runtime):
    await _import(client, world)
    async with runtime.transaction() as db:
        made = await onboarding.generate_first_passwords(db, by_id=world.admin.id)
    first = next(m.password for m in made if m.nip == SARI)
    sari = await _user(runtime, SARI)
    signed_in = await sign_in(client, sari, next_="/help", password=first)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account/password"
    home = await client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/account/password"
    page = await client.get("/account/password")
    assert page.status_code == 200 and "Ganti kata sandi pertama Anda dulu." in page.text
    token = (await client.post("/api/v1/auth/token", data={"username": SARI, "password": first})).json()[
        "access_token"
    ]
    bearer = {"Authorization": f"Bearer {token}"}
    refused = await client.get("/api/v1/units", headers=bearer)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Change your password first (POST /api/v1/me/password)"}
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
    changed = await client.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(page.text),
            "current_password": first,
            "new_password": CHANGED,
            "new_password_confirm": CHANGED,
        },
    )
    assert changed.status_code == 303
    assert (await _user(runtime, SARI)).must_change_password is False
    assert (await client.get("/")).status_code == 200


async def test_changing_a_first_password_through_the_api_clears_the_requirement(client, world, runtime):
    await _import(client, world)
    made = await client.post("/api/v1/users/first-passwords", json={}, headers=world.auth(world.admin))
    first = next(m["password"] for m in made.json() if m["nip"] == HADI)
    token = (await client.post("/api/v1/auth/token", data={"username": HADI, "password": first})).json()[
        "access_token"
    ]
    body = {"current_password": first, "new_password": CHANGED}
    response = await client.post(
        "/api/v1/me/password", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 204
    assert (await _user(runtime, HADI)).must_change_password is False


async def test_the_password_page_says_each_refusal_on_its_field(client, world):
    await log_in(client, world.member)
    page = await client.get("/account/password")
    response = await client.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(page.text),
            "current_password": PASSWORD,
            "new_password": "87654321",
            "new_password_confirm": "87654321",
        },
    )
    assert response.status_code == 422
    field = re.search(r'<p class="field__error" id="new_password-error">([^<]+)</p>', response.text)
    assert field and field.group(1) == "Kata sandi ini terlalu mudah ditebak."
    assert 'id="current_password-error"' not in response.text


async def test_the_admin_form_says_a_common_password_on_the_password_field(client, world, runtime):
    await log_in(client, world.admin)
    page = await client.get(f"/admin/users/{world.member.id}")
    form = {
        "csrf_token": csrf_of(page.text),
        "name": world.member.name,
        "role": "staff",
        "unit_id": str(world.bidang.id),
        "is_active": "1",
        "password": "12345678",
        "password_confirm": "12345678",
    }
    response = await client.post(f"/admin/users/{world.member.id}", data=form)
    assert response.status_code == 422
    field = re.search(r'<p class="field__error" id="password-error">([^<]+)</p>', response.text)
    assert field and field.group(1) == "Kata sandi ini terlalu mudah ditebak."
    assert 'id="name-error"' not in response.text and "Terlalu panjang" not in response.text
    too_long = await client.post(
        f"/admin/users/{world.member.id}",
        data=form | {"name": "N" * 201, "password": "", "password_confirm": ""},
    )
    assert too_long.status_code == 422 and 'id="name-error"' in too_long.text
    assert 'id="password-error"' not in too_long.text
    assert (await _user(runtime, world.member.nip)).name == world.member.name


@pytest.mark.parametrize("who", ["admin", "leader", "member"])
async def test_everyone_reaches_the_password_page_from_the_header(client, world, who):
    await log_in(client, getattr(world, who))
    home = await client.get("/", follow_redirects=True)  # a leader's home is their unit's board
    assert home.status_code == 200 and 'href="/account/password"' in home.text
    page = await client.get("/account/password")
    assert page.status_code == 200 and 'name="new_password"' in page.text
    assert "Ganti kata sandi pertama Anda dulu." not in page.text


async def test_slips_for_nobody_waiting_are_refused_on_the_list(client, world):
    await log_in(client, world.admin)
    listed = await client.get("/admin/users?without_password=1")
    response = await client.post(
        "/admin/users/first-passwords", data={"csrf_token": csrf_of(listed.text), "scope": "all"}
    )
    assert response.status_code == 409
    assert "Tidak ada akun aktif yang menunggu kata sandi pertama." in response.text


async def test_the_new_user_form_says_a_common_password_on_the_password_field(client, world, runtime):
    await log_in(client, world.admin)
    page = await client.get("/admin/users/new")
    form = {
        "csrf_token": csrf_of(page.text),
        "username": "baru.sekali",
        "nip": "198703102012011099",
        "name": "Pegawai Baru",
        "role": "staff",
        "unit_id": str(world.bidang.id),
        "password": "bismillah123",
        "password_confirm": "bismillah123",
    }
    response = await client.post("/admin/users/new", data=form)
    assert response.status_code == 422
    field = re.search(r'<p class="field__error" id="password-error">([^<]+)</p>', response.text)
    # English until the Indonesian catalogue has the message (then: "... paling umum dipakai ...")
    assert field and ("common" in field.group(1) or "umum" in field.group(1))
    assert 'id="name-error"' not in response.text
    assert await _user(runtime, "198703102012011099") is None
