""" "Tim saya" (server/performance/team.py): the people a user rates, found from the rater's side, agree
with raters.rater_ids (who rates this person?) for everyone; each comes with this period's status, and
those without both ratings of the last ended period are pending. Read in a fixed number of queries."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, update

from server import clock
from server.accounts.models import Role, User
from server.accounts.raters import rater_ids
from server.calendar.periods import Period
from server.performance.team import rated_by, rates_anyone, team
from tests import factories

NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB; November has ended, December runs


@pytest.fixture
def frozen():
    clock.freeze(NOW)


@pytest.fixture
async def regency(world, runtime):
    """The world plus the cases the rule has: a bidang with its own head, a person whose supervisor left,
    one whose "supervisor" is an admin, one supervised by a staff member, and an inactive person."""
    async with runtime.transaction() as db:
        seksi = await factories.make_unit(db, name="Seksi Arsip", parent_id=world.bidang.id)
        head = await factories.make_user(db, unit=seksi, role=Role.leader, name="Kepala Seksi")
        in_seksi = await factories.make_user(db, unit=seksi, name="Staf Seksi")
        gone = await factories.make_user(db, unit=world.bidang, name="Atasan Pensiun")
        orphan = await factories.make_user(db, unit=world.bidang, supervisor_id=gone.id, name="Yatim")
        by_admin = await factories.make_user(
            db, unit=world.bidang, supervisor_id=world.admin.id, name="Oleh Admin"
        )
        inactive = await factories.make_user(
            db, unit=world.bidang, supervisor_id=world.lead.id, name="Nonaktif"
        )
        await db.execute(update(User).where(User.id.in_([gone.id, inactive.id])).values(is_active=False))
    return {"seksi": seksi, "head": head, "in_seksi": in_seksi, "orphan": orphan, "by_admin": by_admin}


async def test_the_team_of_every_user_agrees_with_who_rates_whom(regency, runtime):
    async with runtime.sessionmaker() as db:
        users = list((await db.scalars(select(User).where(User.is_active))).all())
        rates = {u.id: set(await rater_ids(db, u)) for u in users}
        for rater in users:
            # Admins neither rate nor are evaluated in Pantau (the distribution leaves them out too).
            rated = {u.id for u in users if rater.id in rates[u.id] and u.role != Role.admin}
            expected = rated if rater.role != Role.admin else set()
            found = {p["user"].id for p in await rated_by(db, rater)}
            assert found == expected, rater.name
            assert await rates_anyone(db, rater) == bool(expected), rater.name


async def test_a_leader_rates_their_reports_and_the_people_without_a_supervisor_up_to_a_head(
    world, regency, runtime
):
    async with runtime.sessionmaker() as db:
        leader = await db.get(User, world.leader.id)
        relations = {p["user"].name: p["relation"] for p in await rated_by(db, leader)}
        head = await db.get(User, regency["head"].id)
        under_head = {p["user"].name for p in await rated_by(db, head)}
    # The lead by supervision; the bidang's people without a usable supervisor by leading the dinas; the
    # seksi's staff belong to the seksi's head, and the head (no supervisor) to the dinas's leader.
    assert relations == {
        "Ketua Tim": "supervisor",
        world.outsider.name: "unit_leader",
        "Yatim": "unit_leader",
        "Oleh Admin": "unit_leader",
        "Kepala Seksi": "unit_leader",
    }
    assert under_head == {"Staf Seksi"}


async def test_the_team_api_gives_each_persons_status_and_the_pending_evaluations(
    frozen, client, world, setup, runtime
):
    headers = world.auth(world.lead)
    # The member is rated for November (both ratings); nobody else in the lead's team is.
    for path, body in (
        ("behaviour", {"rating": "meets"}),
        ("evaluation", {"hasil_kerja": "meets", "reason": "Dialog"}),
    ):
        response = await client.put(
            f"/api/v1/users/{world.member.id}/{path}",
            params={"period": "2026-11"},
            json=body,
            headers=headers,
        )
        assert response.status_code == 200, response.text
    response = await client.get("/api/v1/me/team", params={"period": "2026-11"}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == body["evaluation_period"] == "2026-11"
    [member] = body["people"]
    assert member["user_id"] == world.member.id and member["relation"] == "supervisor"
    assert member["hasil_kerja"] == member["perilaku"] == "meets" and member["predikat"] == "Baik"
    assert member["rated"] is True and member["evaluation_pending"] is False
    assert body["pending_evaluations"] == []

    # December runs: its evaluations are not due, November's are; the member is done for November.
    december = (await client.get("/api/v1/me/team", headers=headers)).json()
    assert december["period"] == "2026-12" and december["evaluation_period"] == "2026-11"
    assert december["people"][0]["rated"] is False and december["pending_evaluations"] == []

    leader = (await client.get("/api/v1/me/team", headers=world.auth(world.leader))).json()
    pending = {p["user_id"]: p["evaluation_missing"] for p in leader["people"] if p["evaluation_pending"]}
    assert pending == {
        world.lead.id: ["hasil_kerja", "perilaku"],
        world.outsider.id: ["hasil_kerja", "perilaku"],
    }
    assert set(leader["pending_evaluations"]) == set(pending)


async def test_open_overdue_work_shows_in_the_team(frozen, client, world, setup, runtime):
    async with runtime.transaction() as db:
        project = setup.project
        lead = await db.get(User, world.lead.id)
        late = await factories.make_milestone(
            db,
            project=project,
            lead=lead,
            due_date=datetime(2026, 12, 1).date(),
            assignee_ids=[world.member.id],
        )
    body = (await client.get("/api/v1/me/team", headers=world.auth(world.lead))).json()
    [member] = body["people"]
    assert [o["milestone_id"] for o in member["open_overdue"]] == [late.id]
    assert member["open_overdue"][0]["late_working_days"] > 0


async def test_an_admin_and_a_person_without_reports_have_an_empty_team(client, world):
    for user in (world.admin, world.member):
        body = (await client.get("/api/v1/me/team", headers=world.auth(user))).json()
        assert body["people"] == [] and body["pending_evaluations"] == []


async def test_a_bad_period_is_a_422(client, world):
    response = await client.get(
        "/api/v1/me/team", params={"period": "2026-13"}, headers=world.auth(world.lead)
    )
    assert response.status_code == 422 and "period" in response.json()["detail"]


async def test_the_team_is_read_in_a_fixed_number_of_queries(frozen, world, runtime):
    async def statements_for_team() -> int:
        async with runtime.sessionmaker() as db:
            leader = await db.get(User, world.leader.id)
            connection = await db.connection()
            raw = connection.sync_connection
            seen: list[str] = []

            def count(conn, _cursor, statement, *_):
                if conn is raw:
                    seen.append(statement)

            engine = db.bind.sync_engine
            event.listen(engine, "before_cursor_execute", count)
            try:
                found = await team(db, rater=leader, period=Period("month", 2026, 11))
            finally:
                event.remove(engine, "before_cursor_execute", count)
            return len(found.members), len(seen)

    few, few_queries = await statements_for_team()
    async with runtime.transaction() as db:
        for n in range(6):
            await factories.make_user(db, unit=world.bidang, supervisor_id=world.leader.id, name=f"Staf {n}")
    many, many_queries = await statements_for_team()
    assert many == few + 6
    assert many_queries == few_queries
