"""Pantau always keeps an active admin: the last one cannot be demoted or deactivated."""

import asyncio

from sqlalchemy import func, select

from server.accounts.models import Role, User
from tests import factories
from tests.web import csrf_of, log_in

LAST_ADMIN = "The last active admin cannot be demoted or deactivated: make another person an admin first"


async def _patch(client, world, actor, user, body):
    return await client.patch(f"/api/v1/users/{user.id}", json=body, headers=world.auth(actor))


async def _active_admins(runtime) -> int:
    async with runtime.sessionmaker() as db:
        return await db.scalar(
            select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active)
        )


async def test_the_last_admin_cannot_demote_themselves(client, world, runtime):
    for body in (
        {"role": "staff"},
        {"role": "leader"},
        {"is_active": False},
        {"role": "staff", "is_active": False},
    ):
        response = await _patch(client, world, world.admin, world.admin, body)
        assert (response.status_code, response.json()) == (409, {"detail": LAST_ADMIN})
    assert await _active_admins(runtime) == 1
    assert (await client.get("/api/v1/me", headers=world.auth(world.admin))).json()["role"] == "admin"


async def test_an_admin_may_step_down_while_another_admin_remains(client, world, runtime):
    async with runtime.transaction() as db:
        other = await factories.make_user(db, unit=world.dinas, role=Role.admin)
    assert (await _patch(client, world, world.admin, world.admin, {"role": "staff"})).status_code == 200
    response = await _patch(client, world, other, other, {"is_active": False})
    assert (response.status_code, response.json()) == (409, {"detail": LAST_ADMIN})


async def test_an_inactive_admin_does_not_count_as_the_one_that_remains(client, world, runtime):
    async with runtime.transaction() as db:
        retired = await factories.make_user(db, unit=world.dinas, role=Role.admin)
        retired.is_active = False
    assert (await _patch(client, world, world.admin, world.admin, {"role": "staff"})).status_code == 409


async def test_two_admins_demoting_each_other_at_once_leave_one(client, world, runtime):
    async with runtime.transaction() as db:
        other = await factories.make_user(db, unit=world.dinas, role=Role.admin)
    answers = await asyncio.gather(
        _patch(client, world, world.admin, other, {"role": "staff"}),
        _patch(client, world, other, world.admin, {"role": "staff"}),
    )
    assert sorted(a.status_code for a in answers) in ([200, 403], [200, 409])
    assert await _active_admins(runtime) == 1


async def test_the_admin_page_keeps_the_last_admin_too(client, world, runtime):
    await log_in(client, world.admin)
    page = await client.get(f"/admin/users/{world.admin.id}")
    form = {
        "csrf_token": csrf_of(page.text),
        "name": world.admin.name,
        "role": "staff",
        "unit_id": str(world.dinas.id),
        "is_active": "1",
    }
    response = await client.post(f"/admin/users/{world.admin.id}", data=form)
    assert response.status_code == 422 and "alert--error" in response.text
    assert await _active_admins(runtime) == 1
