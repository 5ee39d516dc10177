"""The bell in the header, the notifications page and the notification settings page, without
JavaScript."""

import re

from sqlalchemy import func, select, update

from server.accounts.models import User
from server.notifications import service as notifications
from server.notifications.models import Notification, NotificationPreference
from server.text import N_
from tests.web import csrf_of, log_in


async def _tell(runtime, user, project="Proyek Jalan Desa", url="/projects/7"):
    async with runtime.transaction() as db:
        (made,) = await notifications.notify(
            db,
            user_ids=[user.id],
            kind="blocker",
            message=N_("Kendala baru di %(project)s"),
            params={"project": project},
            url=url,
        )
    return made


def _bell_count(html: str) -> str:
    match = re.search(r"<span class=\"bell__count\" data-bell-count( hidden)?>(\d+)</span>", html)
    assert match, "no bell in the header"
    return "hidden" if match.group(1) else match.group(2)


async def test_the_header_bell_shows_the_unread_count(client, world, runtime):
    await log_in(client, world.member)
    assert _bell_count((await client.get("/")).text) == "hidden"
    await _tell(runtime, world.member)
    await _tell(runtime, world.member)
    page = (await client.get("/")).text
    assert _bell_count(page) == "2"
    assert f'data-bell="{world.member.id}"' in page
    assert "/static/bell.js" in page


async def test_the_list_opens_one_and_marks_all_read(client, world, runtime):
    first = await _tell(runtime, world.member, project="Proyek <b>Satu</b>")
    await _tell(runtime, world.member, project="Proyek Dua", url=None)
    await log_in(client, world.member)
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert "Kendala baru di Proyek &lt;b&gt;Satu&lt;/b&gt;" in page.text
    assert "Kendala baru di Proyek Dua" in page.text
    opened = await client.post(f"/notifications/{first.id}/open", data={"csrf_token": csrf_of(page.text)})
    assert (opened.status_code, opened.headers["location"]) == (303, "/projects/7")
    assert _bell_count((await client.get("/notifications")).text) == "1"

    page = await client.get("/notifications")
    marked = await client.post("/notifications/read", data={"csrf_token": csrf_of(page.text)})
    assert marked.status_code == 303
    page = await client.get(marked.headers["location"])
    assert _bell_count(page.text) == "hidden"
    assert "Semua notifikasi sudah ditandai dibaca" in page.text


async def test_someone_elses_notification_is_not_opened(client, world, runtime):
    theirs = await _tell(runtime, world.lead)
    await log_in(client, world.member)
    page = await client.get("/notifications")
    response = await client.post(f"/notifications/{theirs.id}/open", data={"csrf_token": csrf_of(page.text)})
    assert response.headers["location"] == "/notifications"
    async with runtime.transaction() as db:
        assert (await db.get(Notification, theirs.id)).read_at is None


async def test_a_form_without_its_token_changes_nothing(client, world, runtime):
    await _tell(runtime, world.member)
    await log_in(client, world.member)
    response = await client.post("/notifications/read", data={})
    assert response.status_code == 403
    async with runtime.transaction() as db:
        assert await notifications.unread_count(db, world.member.id) == 1


async def test_preferences_are_saved_per_kind(client, world, runtime):
    async with runtime.transaction() as db:
        await db.execute(update(User).where(User.id == world.member.id).values(email="anggota@example.go.id"))
    await log_in(client, world.member)
    page = await client.get("/account/notifications")
    assert page.status_code == 200
    assert 'id="no-email"' not in page.text
    form = {"csrf_token": csrf_of(page.text), "blocker": "email", "stale": "digest"}
    saved = await client.post("/account/notifications", data=form)
    assert (saved.status_code, saved.headers["location"]) == (303, "/account/notifications?saved=1")
    async with runtime.transaction() as db:
        chosen = await notifications.preferences_of(db, world.member.id)
    assert (chosen["blocker"], chosen["stale"], chosen["dialog"]) == ("email", "digest", "in_app")
    page = (await client.get("/account/notifications?saved=1")).text
    assert re.search(r'name="blocker" value="email" checked', page)


async def test_without_an_email_address_the_email_choices_are_off_and_refused(client, world, runtime):
    async with runtime.transaction() as db:
        await db.execute(update(User).where(User.id == world.member.id).values(email=None))
    await log_in(client, world.member)
    page = await client.get("/account/notifications")
    assert 'id="no-email"' in page.text
    assert re.search(r'name="blocker" value="email" disabled', page.text)
    refused = await client.post(
        "/account/notifications", data={"csrf_token": csrf_of(page.text), "blocker": "email"}
    )
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    async with runtime.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(NotificationPreference)) == 0


async def test_signed_out_goes_to_sign_in(client):
    response = await client.get("/notifications")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["location"]
