"""A password change or reset revokes every token and session of the user; a deactivation too, and a
reactivation revives none of them."""

from sqlalchemy import select

from server.accounts.models import User
from server.audit import HistoryEntry
from tests.factories import PASSWORD
from tests.web import csrf_of, log_in, sign_in

NEW_PASSWORD = "kopi-tubruk-pagi"


async def _token(client, username, password=PASSWORD) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _patch_user(client, world, user, body):
    return await client.patch(f"/api/v1/users/{user.id}", json=body, headers=world.auth(world.admin))


async def test_a_token_issued_before_a_password_reset_is_refused(client, world):
    old = await _token(client, world.member.username)
    assert (await client.get("/api/v1/me", headers=old)).status_code == 200
    assert (await _patch_user(client, world, world.member, {"password": NEW_PASSWORD})).status_code == 200
    assert (await client.get("/api/v1/me", headers=old)).status_code == 401
    new = await _token(client, world.member.username, NEW_PASSWORD)
    assert (await client.get("/api/v1/me", headers=new)).status_code == 200


async def test_a_password_reset_ends_the_users_web_sessions(app, client, world, from_address):
    async with from_address("10.5.0.1") as browser:
        await log_in(browser, world.member)
        assert (await browser.get("/")).status_code == 200
        assert (await _patch_user(client, world, world.member, {"password": NEW_PASSWORD})).status_code == 200
        after = await browser.get("/")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


async def test_a_reactivated_users_old_token_stays_refused(client, world):
    old = await _token(client, world.member.username)
    assert (await _patch_user(client, world, world.member, {"is_active": False})).status_code == 200
    assert (await client.get("/api/v1/me", headers=old)).status_code == 401
    assert (await _patch_user(client, world, world.member, {"is_active": True})).status_code == 200
    assert (await client.get("/api/v1/me", headers=old)).status_code == 401
    assert (
        await client.get("/api/v1/me", headers=await _token(client, world.member.username))
    ).status_code == 200


async def test_a_reactivated_users_old_session_stays_ended(client, world, from_address):
    async with from_address("10.5.0.2") as browser:
        await log_in(browser, world.member)
        await _patch_user(client, world, world.member, {"is_active": False})
        await _patch_user(client, world, world.member, {"is_active": True})
        assert (await browser.get("/")).status_code == 303


async def test_other_changes_keep_tokens_and_sessions(client, world, from_address):
    token = await _token(client, world.member.username)
    async with from_address("10.5.0.3") as browser:
        await log_in(browser, world.member)
        assert (await _patch_user(client, world, world.member, {"name": "Anggota Baru"})).status_code == 200
        assert (await browser.get("/")).status_code == 200
    assert (await client.get("/api/v1/me", headers=token)).status_code == 200


async def test_changing_your_own_password_revokes_every_token_and_session(client, world, from_address):
    token = await _token(client, world.member.username)
    async with from_address("10.5.0.4") as browser:
        await log_in(browser, world.member)
        changed = await client.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=token,
        )
        assert changed.status_code == 204, changed.text
        assert (await browser.get("/")).status_code == 303
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    refused = await client.post(
        "/api/v1/auth/token", data={"username": world.member.username, "password": PASSWORD}
    )
    assert refused.status_code == 401
    assert (
        await client.get("/api/v1/me", headers=await _token(client, world.member.username, NEW_PASSWORD))
    ).status_code == 200


async def test_your_own_password_change_is_kept_in_the_history(client, world, runtime):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = await client.post("/api/v1/me/password", json=body, headers=world.auth(world.member))
    assert response.status_code == 204
    async with runtime.sessionmaker() as db:
        entry = await db.scalar(
            select(HistoryEntry).where(HistoryEntry.entity == "user", HistoryEntry.action == "updated")
        )
        stored = await db.get(User, world.member.id)
    assert (entry.actor_id, entry.entity_id, entry.after) == (
        world.member.id,
        world.member.id,
        {"password": "changed"},
    )
    assert NEW_PASSWORD not in stored.password_hash and stored.password_hash.startswith("$argon2")


async def test_a_wrong_current_password_is_refused_and_counted_like_a_sign_in(world, from_address):
    body = {"current_password": "bukan-ini", "new_password": NEW_PASSWORD}
    async with from_address("10.5.0.5") as http:
        answers = [
            await http.post("/api/v1/me/password", json=body, headers=world.auth(world.member))
            for _ in range(6)
        ]
        sign_in_after = await http.post(
            "/api/v1/auth/token", data={"username": world.member.username, "password": PASSWORD}
        )
    assert [a.status_code for a in answers] == [422] * 5 + [429]
    assert answers[0].json() == {"detail": "The current password is incorrect"}
    assert sign_in_after.status_code == 429  # the same counters as signing in


async def test_a_new_password_must_follow_the_password_rules(client, world):
    headers = world.auth(world.member)
    for new, message in (
        ("pendek", "Password must have at least 8 characters"),
        ("12345678", "This password is too easy to guess"),
        (f"{world.member.username}-2026", "The password must not contain the username or NIP"),
        (PASSWORD, "The new password must differ from the current one"),
    ):
        response = await client.post(
            "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": new}, headers=headers
        )
        assert (response.status_code, response.json()) == (422, {"detail": message})
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200  # nothing changed


async def test_changing_your_password_needs_a_sign_in(client, world):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (await client.post("/api/v1/me/password", json=body)).status_code == 401


async def test_the_password_page_keeps_this_browser_signed_in_and_signs_out_the_others(world, from_address):
    async with from_address("10.6.0.1") as here, from_address("10.6.0.2") as elsewhere:
        await log_in(here, world.member)
        await log_in(elsewhere, world.member)
        page = await here.get("/account/password")
        assert page.status_code == 200 and 'name="current_password"' in page.text
        form = {
            "csrf_token": csrf_of(page.text),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        }
        changed = await here.post("/account/password", data=form)
        assert changed.status_code == 303 and changed.headers["location"] == "/account/password?saved=1"
        done = await here.get(changed.headers["location"])
        assert done.status_code == 200 and "Kata sandi Anda sudah diganti" in done.text
        assert (await here.get("/")).status_code == 200
        assert (await elsewhere.get("/")).status_code == 303
        assert (await sign_in(elsewhere, world.member, password=NEW_PASSWORD)).status_code == 303


async def _password_form(browser, **fields):
    page = await browser.get("/account/password")
    form = {"csrf_token": csrf_of(page.text), "current_password": PASSWORD}
    return await browser.post("/account/password", data=form | fields)


async def test_the_password_page_says_each_problem_at_its_field(client, world):
    await log_in(client, world.member)
    mismatch = await _password_form(client, new_password=NEW_PASSWORD, new_password_confirm="lain-lagi-ya")
    assert mismatch.status_code == 422
    assert (
        'id="new_password_confirm-error"' in mismatch.text
        and "Kedua isian kata sandi baru tidak sama." in mismatch.text
    )
    weak = await _password_form(client, new_password="12345678", new_password_confirm="12345678")
    assert weak.status_code == 422 and 'id="new_password-error"' in weak.text
    assert "Kata sandi ini terlalu mudah ditebak." in weak.text
    wrong = await _password_form(
        client, current_password="bukan-ini", new_password=NEW_PASSWORD, new_password_confirm=NEW_PASSWORD
    )
    assert wrong.status_code == 422 and 'id="current_password-error"' in wrong.text
    assert (await client.get("/")).status_code == 200  # still signed in, password unchanged
    assert (await sign_in(client, world.member)).status_code == 303


async def test_the_password_page_refuses_a_form_without_its_csrf_token(client, world):
    await log_in(client, world.member)
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    assert (await client.post("/account/password", data=form)).status_code == 403
    assert (await sign_in(client, world.member)).status_code == 303  # the old password still works


async def test_the_password_page_needs_a_sign_in(client, world):
    response = await client.get("/account/password")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def _edit_form(csrf, world, **fields):
    return {
        "csrf_token": csrf,
        "name": world.member.name,
        "role": "staff",
        "unit_id": str(world.bidang.id),
        "supervisor_nip": world.lead.nip,
        "is_active": "1",
    } | fields


async def test_a_reset_on_the_admin_page_signs_the_person_out_everywhere(client, world, from_address):
    token = await _token(client, world.member.username)
    async with from_address("10.6.0.3") as admin, from_address("10.6.0.4") as member:
        await log_in(member, world.member)
        await log_in(admin, world.admin)
        csrf = csrf_of((await admin.get(f"/admin/users/{world.member.id}")).text)
        form = _edit_form(csrf, world, password=NEW_PASSWORD, password_confirm=NEW_PASSWORD)
        saved = await admin.post(f"/admin/users/{world.member.id}", data=form)
        assert saved.status_code == 303
        assert (await member.get("/")).status_code == 303
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    assert (await sign_in(client, world.member, password=NEW_PASSWORD)).status_code == 303


async def test_a_guessable_password_on_the_admin_page_is_said_at_the_password_field(client, world):
    await log_in(client, world.admin)
    csrf = csrf_of((await client.get(f"/admin/users/{world.member.id}")).text)
    form = _edit_form(csrf, world, password="12345678", password_confirm="12345678")
    refused = await client.post(f"/admin/users/{world.member.id}", data=form)
    assert refused.status_code == 422
    assert 'id="password-error"' in refused.text and "Kata sandi ini terlalu mudah ditebak." in refused.text
    assert 'id="name-error"' not in refused.text
