"""Quality is scored by someone else: when the lead is among a milestone's assignees, its quality waits for
the lead's rater (DOMAIN.md §1b), and counts for nobody until then."""

from datetime import date

from sqlalchemy import update

from server.accounts.models import User
from server.calendar.models import PeriodLock
from tests import factories
from tests.projects.scenes import milestone_history, on, plan, team_project

NOTE = "Bukti dukung: laporan terlampir"


async def _own_work(client, world, runtime, lead=None) -> tuple[int, dict]:
    """A project led by `lead` (world.lead) with a milestone assigned to the lead and the member, closed
    by the lead with a proposed 5 on Wed 2 Dec 2026."""
    lead = lead or world.lead
    on(date(2026, 11, 23))
    async with runtime.transaction() as db:
        project = await factories.make_project(
            db,
            by=world.admin,
            unit=world.bidang,
            lead=lead,
            start_date=date(2026, 11, 1),
            due_date=date(2026, 12, 31),
        )
        await factories.add_member(db, project=project, user=world.member, by=world.admin)
    response = await client.post(
        f"/api/v1/projects/{project.id}/milestones",
        json={"title": "Rencana kerja", "due_date": "2026-11-30", "assignee_ids": [lead.id, world.member.id]},
        headers=world.auth(lead),
    )
    assert response.status_code == 201, response.text
    milestone = response.json()
    on(date(2026, 12, 2))
    closed = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close",
        json={"quality": 5, "note": "Saya kerjakan sangat baik"},
        headers=world.auth(lead),
    )
    assert closed.status_code == 200, closed.text
    return project.id, closed.json()


async def _quality_of(client, world, user) -> object:
    response = await client.get(
        f"/api/v1/users/{user.id}/performance", params={"period": "2026-12"}, headers=world.auth(world.admin)
    )
    assert response.status_code == 200, response.text
    return next(i for i in response.json()["indicators"] if i["key"] == "quality")["value"]


async def test_a_lead_cannot_score_their_own_work(client, world, runtime):
    """Issue 11: a lead assigned a milestone to himself, closed it with quality 5, and his own suggestion
    became "above". The score is now only a proposal; it counts for nobody until the rater scores."""
    _, closed = await _own_work(client, world, runtime)
    assert closed["quality"] is None and closed["quality_status"] == "pending"
    assert closed["late_working_days"] == 2  # timeliness still counts: 1 and 2 Dec
    history = await milestone_history(runtime, closed["id"])
    assert history[-1].action == "closed" and history[-1].after["quality_proposed"] == 5
    assert history[-1].after["quality"] is None
    assert await _quality_of(client, world, world.lead) is None
    assert await _quality_of(client, world, world.member) is None


async def test_the_leads_rater_scores_the_pending_quality(client, world, runtime):
    _, closed = await _own_work(client, world, runtime)
    url = f"/api/v1/milestones/{closed['id']}/quality"
    for quality in (1, 2, 5):
        refused = await client.post(
            url, json={"quality": quality, "note": " "}, headers=world.auth(world.leader)
        )
        assert refused.status_code == 422 and "needs a note" in refused.text
    scored = await client.post(url, json={"quality": 4}, headers=world.auth(world.leader))
    assert scored.status_code == 200, scored.text
    milestone = scored.json()
    assert milestone["quality"] == 4 and milestone["quality_status"] == "scored"
    assert [(h["kind"], h["by"], h["after"]) for h in milestone["history"]] == [
        ("quality_scored", world.leader.id, {"quality": 4, "quality_status": "scored"})
    ]
    assert await _quality_of(client, world, world.lead) == 4
    again = await client.post(url, json={"quality": 3}, headers=world.auth(world.leader))
    assert again.status_code == 409


async def test_nobody_but_the_rater_scores_a_pending_quality(client, world, runtime):
    _, closed = await _own_work(client, world, runtime)
    url = f"/api/v1/milestones/{closed['id']}/quality"
    body = {"quality": 4, "note": NOTE}
    for person, status in (
        (world.lead, 403),
        (world.member, 403),
        (world.admin, 403),  # the lead has a rater: an admin operates the system and does not rate
        (world.outsider, 404),
        (world.sibling_leader, 404),
    ):
        response = await client.post(url, json=body, headers=world.auth(person))
        assert response.status_code == status, (person.name, response.text)
    assert (
        await client.post("/api/v1/milestones/99999/quality", json=body, headers=world.auth(world.leader))
    ).status_code == 404


async def test_the_rater_may_score_without_otherwise_seeing_the_project(client, world, runtime):
    async with runtime.transaction() as db:
        await db.execute(update(User).where(User.id == world.lead.id).values(supervisor_id=world.outsider.id))
    project_id, closed = await _own_work(client, world, runtime)
    assert (
        await client.get(f"/api/v1/projects/{project_id}", headers=world.auth(world.outsider))
    ).status_code == 404
    scored = await client.post(
        f"/api/v1/milestones/{closed['id']}/quality", json={"quality": 3}, headers=world.auth(world.outsider)
    )
    assert scored.status_code == 200 and scored.json()["quality"] == 3
    leader = await client.post(
        f"/api/v1/milestones/{closed['id']}/quality", json={"quality": 4}, headers=world.auth(world.leader)
    )
    assert leader.status_code == 403, "the supervisor is the rater, not the unit's leader"


async def test_an_admin_scores_with_a_note_when_the_lead_has_no_rater(client, world, runtime):
    _, closed = await _own_work(client, world, runtime, lead=world.leader)  # the Kepala Dinas: the top
    url = f"/api/v1/milestones/{closed['id']}/quality"
    without_note = await client.post(url, json={"quality": 4}, headers=world.auth(world.admin))
    assert without_note.status_code == 422 and "note" in without_note.text
    scored = await client.post(url, json={"quality": 4, "note": NOTE}, headers=world.auth(world.admin))
    assert scored.status_code == 200 and scored.json()["quality"] == 4


async def test_a_milestone_scored_by_its_lead_is_not_pending(client, world, runtime):
    on(date(2026, 11, 23))
    project = await team_project(runtime, world, start=date(2026, 11, 1), due=date(2026, 12, 31))
    milestone = await plan(client, world, project.id, date(2026, 11, 30))
    closed = await client.post(
        f"/api/v1/milestones/{milestone['id']}/close", json={"quality": 3}, headers=world.auth(world.lead)
    )
    assert closed.json()["quality_status"] == "scored" and closed.json()["quality"] == 3
    response = await client.post(
        f"/api/v1/milestones/{milestone['id']}/quality", json={"quality": 4}, headers=world.auth(world.leader)
    )
    assert response.status_code == 409


async def test_scoring_quality_in_a_locked_period_is_409(client, world, runtime):
    _, closed = await _own_work(client, world, runtime)
    async with runtime.transaction() as db:
        db.add(PeriodLock(period="2026-Q4", locked=True))
    response = await client.post(
        f"/api/v1/milestones/{closed['id']}/quality", json={"quality": 4}, headers=world.auth(world.leader)
    )
    assert response.status_code == 409 and "2026-Q4" in response.text
