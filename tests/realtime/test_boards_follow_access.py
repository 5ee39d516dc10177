"""Open boards follow access (server/realtime/access.py): a change that takes a board away from someone
closes their open sockets of it - 4401 when their credentials are gone, 4404 when the board is no longer
theirs to see - while everyone else's stay open. Run against both ways of serving boards (live_server),
and on both backends (in-process broker; Redis)."""

from server.accounts.service import start_web_session
from server.projects import editing
from server.projects import service as projects
from server.projects.models import MilestoneEdit
from server.realtime.events import access_changed
from tests.realtime.boards import close_code, open_board, receive
from tests.web import csrf_of, log_in


async def _post(client, world, setup, pct: int) -> dict:
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates",
        json={"milestone_id": setup.milestone.id, "progress_pct": pct},
        headers=world.auth(world.member),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _hand_over_their_work(runtime, world, setup) -> None:
    """A member with open work is not removed (it is reassigned first): the lead takes it over."""
    async with runtime.transaction() as session:
        for milestone in (setup.milestone, setup.other_milestone):
            await editing.edit_milestone(
                session,
                by=world.lead,
                milestone_id=milestone.id,
                data=MilestoneEdit(assignee_ids=[world.lead.id]),
            )


async def _still_live(ws, client, world, setup, pct: int) -> None:
    """The socket still streams: the next event reaches it."""
    posted = await _post(client, world, setup, pct)
    event = await receive(ws)
    while event["type"] != "progress.posted":  # a project.updated from the change itself may come first
        event = await receive(ws)
    assert event["data"]["update"]["id"] == posted["id"]


async def _patch_user(client, world, user, body: dict) -> None:
    response = await client.patch(f"/api/v1/users/{user.id}", json=body, headers=world.auth(world.admin))
    assert response.status_code == 200, response.text


async def test_signing_out_closes_the_boards_of_that_session_only(client, world, setup, runtime, live_server):
    await log_in(client, world.leader)
    signed_out = {"Cookie": f"pantau_session={client.cookies['pantau_session']}"}
    async with runtime.transaction() as session:
        other_browser, _ = await start_web_session(session, user=world.leader, hours=1)
    async with (
        open_board(live_server, "unit", world.dinas.id, signed_out) as closing,
        open_board(
            live_server, "unit", world.dinas.id, {"Cookie": f"pantau_session={other_browser}"}
        ) as kept,
    ):
        assert (await receive(closing))["type"] == "snapshot"
        assert (await receive(kept))["type"] == "snapshot"
        page = await client.get("/account/password")
        response = await client.post("/logout", data={"csrf_token": csrf_of(page.text)})
        assert response.status_code == 303
        assert await close_code(closing) == 4401
        await _still_live(kept, client, world, setup, 20)


async def test_removal_from_the_project_closes_their_project_board_with_4404(
    client, world, setup, runtime, live_server
):
    await _hand_over_their_work(runtime, world, setup)
    async with (
        open_board(live_server, "project", setup.project.id, world.auth(world.member)) as removed,
        open_board(live_server, "project", setup.project.id, world.auth(world.lead)) as lead,
    ):
        await receive(removed), await receive(lead)
        response = await client.delete(
            f"/api/v1/projects/{setup.project.id}/members/{world.member.id}", headers=world.auth(world.lead)
        )
        assert response.status_code == 204, response.text
        assert await close_code(removed) == 4404
        assert (await receive(lead))["type"] == "project.updated"


async def test_deactivation_closes_every_board_of_the_user_with_4401(client, world, setup, live_server):
    async with (
        open_board(live_server, "unit", world.dinas.id, world.auth(world.leader)) as unit_board,
        open_board(live_server, "project", setup.project.id, world.auth(world.leader)) as project_board,
        open_board(live_server, "unit", world.dinas.id, world.auth(world.admin)) as admins,
    ):
        for ws in (unit_board, project_board, admins):
            await receive(ws)
        await _patch_user(client, world, world.leader, {"is_active": False})
        assert await close_code(unit_board) == 4401
        assert await close_code(project_board) == 4401
        await _still_live(admins, client, world, setup, 30)


async def test_a_password_reset_closes_the_boards_of_every_session_and_token(
    client, world, setup, runtime, live_server
):
    async with runtime.transaction() as session:
        cookie, _ = await start_web_session(session, user=world.leader, hours=1)
    async with (
        open_board(live_server, "unit", world.dinas.id, world.auth(world.leader)) as with_token,
        open_board(
            live_server, "unit", world.dinas.id, {"Cookie": f"pantau_session={cookie}"}
        ) as with_cookie,
    ):
        await receive(with_token), await receive(with_cookie)
        await _patch_user(client, world, world.leader, {"password": "kata-sandi-baru-99"})
        assert await close_code(with_token) == 4401
        assert await close_code(with_cookie) == 4401


async def test_a_role_change_closes_the_unit_boards_they_no_longer_see_with_4404(
    client, world, setup, live_server
):
    async with (
        open_board(live_server, "unit", world.dinas.id, world.auth(world.leader)) as unit_board,
        open_board(live_server, "project", setup.project.id, world.auth(world.lead)) as unaffected,
    ):
        await receive(unit_board), await receive(unaffected)
        await _patch_user(client, world, world.leader, {"role": "staff"})
        assert await close_code(unit_board) == 4404
        await _still_live(unaffected, client, world, setup, 40)


async def test_a_unit_change_keeps_the_boards_still_visible_and_closes_the_others(
    client, world, setup, live_server
):
    """A leader moved from the dinas to its bidang still leads the bidang, but no longer the dinas."""
    async with (
        open_board(live_server, "unit", world.dinas.id, world.auth(world.leader)) as dinas_board,
        open_board(live_server, "unit", world.bidang.id, world.auth(world.leader)) as bidang_board,
    ):
        await receive(dinas_board), await receive(bidang_board)
        await _patch_user(client, world, world.leader, {"unit_id": world.bidang.id})
        assert await close_code(dinas_board) == 4404
        await _still_live(bidang_board, client, world, setup, 50)


async def test_moving_a_unit_closes_its_board_for_leaders_of_its_old_place(client, world, setup, live_server):
    async with (
        open_board(live_server, "unit", world.bidang.id, world.auth(world.leader)) as old_leader,
        open_board(live_server, "unit", world.bidang.id, world.auth(world.admin)) as admin,
    ):
        await receive(old_leader), await receive(admin)
        response = await client.patch(
            f"/api/v1/units/{world.bidang.id}",
            json={"parent_id": world.sibling.id},
            headers=world.auth(world.admin),
        )
        assert response.status_code == 200, response.text
        assert await close_code(old_leader) == 4404
        await _still_live(admin, client, world, setup, 60)


async def test_a_rolled_back_change_closes_nothing(client, world, setup, runtime, live_server):
    await _hand_over_their_work(runtime, world, setup)
    async with open_board(live_server, "project", setup.project.id, world.auth(world.member)) as ws:
        await receive(ws)
        checked = runtime.hub.access.rechecked
        try:
            async with runtime.transaction() as session:
                await projects.remove_member(
                    session, by=world.lead, project_id=setup.project.id, user_id=world.member.id
                )
                raise RuntimeError("the request failed after the removal")
        except RuntimeError:
            pass
        async with runtime.transaction() as session:  # a savepoint rolled back inside a committed one
            async with session.begin_nested() as nested:
                access_changed(session, user_ids=[world.member.id])
                await nested.rollback()
        assert runtime.hub.access.rechecked == checked, "a notice of a change that did not happen went out"
        await _still_live(ws, client, world, setup, 70)
