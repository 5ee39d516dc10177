"""A unit board's snapshot builds its projects and latest updates as JSON-ready dicts, without the read
models (server/projects/reads.py `project_jsons`, `update_json`). They must be exactly what the API's
models dump, or board.js and API clients would see two different shapes."""

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, insert, select, update

from server import clock
from server.accounts.models import Unit, User
from server.audit import HistoryEntry
from server.calendar.models import Holiday
from server.projects.boards import unit_snapshot
from server.projects.models import Milestone, MilestoneAssignee, MilestoneDueDate, ProgressUpdate, Project
from server.projects.reads import project_reads, update_reads
from tests.realtime.test_snapshot_queries import build_unit

NOW = datetime(2026, 11, 20, 3, 4, 5, 123456, tzinfo=UTC)


def _text(value) -> str:
    """Byte-for-byte comparison, key order included, as the board socket serialises it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def _varied_unit(session) -> int:
    """A unit and a sub-unit whose projects cover every branch of the read fields: completed, empty,
    closed late and closed without a date, zero weights, several or no assignees, updates with
    microseconds, blockers and no note."""
    unit_id = await build_unit(session, projects=6, milestones_per_project=6, tag="v")
    sub_id = await build_unit(session, projects=2, milestones_per_project=3, tag="w")
    await session.execute(update(Unit).where(Unit.id == sub_id).values(parent_id=unit_id, population=900))
    projects = (
        await session.scalars(select(Project.id).where(Project.unit_id == unit_id).order_by(Project.id))
    ).all()
    users = (await session.scalars(select(User.id).where(User.unit_id == unit_id).order_by(User.id))).all()
    milestones = {
        p: (
            await session.scalars(
                select(Milestone.id).where(Milestone.project_id == p).order_by(Milestone.id)
            )
        ).all()
        for p in projects
    }
    first, completed, weightless, mixed = projects[:4]
    await session.execute(
        update(Project).where(Project.id == first).values(description="Catatan “penting” ✓\nbaris dua")
    )
    await session.execute(
        insert(Project),
        [
            {
                "name": "Proyek kosong ✓",
                "unit_id": unit_id,
                "lead_id": users[3],
                "start_date": date(2026, 11, 1),
                "due_date": date(2026, 11, 1),
                "created_at": datetime(2026, 11, 19, 8, 30, 0, 987654, tzinfo=UTC),
            }
        ],
    )
    await session.execute(
        update(Milestone)
        .where(Milestone.project_id == completed)
        .values(status="closed", progress_pct=100, closed_on=date(2026, 11, 18), quality=5)
    )
    await session.execute(
        update(Milestone).where(Milestone.id == milestones[completed][0]).values(closed_on=None, quality=None)
    )
    await session.execute(update(Milestone).where(Milestone.project_id == weightless).values(weight=0))
    # A closed milestone whose delivery the lead did not accept and whose quality waits for the rater.
    await session.execute(
        update(Milestone)
        .where(Milestone.id == milestones[completed][1])
        .values(
            delivered_on=date(2026, 11, 16),
            delivery_accepted=False,
            delivery_reason="Belum “lengkap” ✓",
            quality=None,
            quality_status="pending",
            quality_note=None,
            late_working_days=3,
            closed_at=datetime(2026, 11, 18, 23, 59, 1, 5, tzinfo=UTC),
        )
    )
    await session.execute(
        update(Milestone)
        .where(Milestone.id == milestones[completed][2])
        .values(quality_note="Rapi ✓", delivered_on=date(2026, 11, 18))
    )
    # An open milestone moved after it was already late, and a holiday among its late days.
    moved = milestones[mixed][1]
    await session.execute(
        insert(MilestoneDueDate),
        [
            {
                "milestone_id": moved,
                "due_date": date(2026, 11, 24),
                "set_on": date(2026, 11, 13),
                "set_at": NOW,
            }
        ],
    )
    await session.execute(update(Milestone).where(Milestone.id == moved).values(due_date=date(2026, 11, 24)))
    await session.execute(
        insert(Holiday), [{"date": date(2026, 11, 12), "name": "Libur ✓", "updated_at": NOW}]
    )
    await session.execute(
        insert(HistoryEntry),
        [
            {
                "at": datetime(2026, 11, 10, 2, 0, 0, 123, tzinfo=UTC),
                "actor_id": users[1],
                "entity": "milestone",
                "entity_id": moved,
                "action": action,
                "before": before,
                "after": after,
                "reason": reason,
                "project_id": mixed,
            }
            for action, before, after, reason in (
                ("created", None, {"title": "x"}, None),
                ("rescheduled", {"due_date": "2026-11-10"}, {"due_date": "2026-11-24"}, "Data “desa” ✓"),
                ("corrected", {"quality": 2, "closed_on": None}, {"quality": 3}, None),
            )
        ],
    )
    await session.execute(
        update(Milestone).where(Milestone.id == milestones[mixed][2]).values(progress_pct=33, weight=7)
    )
    await session.execute(
        delete(MilestoneAssignee).where(MilestoneAssignee.milestone_id == milestones[mixed][0])
    )
    await session.execute(
        insert(MilestoneAssignee),
        [{"milestone_id": milestones[mixed][1], "user_id": u} for u in (users[5], users[0])],
    )
    await session.execute(
        insert(ProgressUpdate),
        [
            {
                "project_id": mixed,
                "milestone_id": milestones[mixed][n % 6],
                "author_id": users[n],
                "progress_pct": n * 7,
                "note": None if n % 2 else f"catatan {n} ✓",
                "blockers": "menunggu data" if n % 3 == 0 else None,
                "created_at": NOW - timedelta(days=n, microseconds=n * 7919),
            }
            for n in range(5)
        ],
    )
    return unit_id


async def test_unit_snapshot_sends_the_projects_and_latest_updates_the_api_reads_would(runtime):
    clock.freeze(NOW)
    async with runtime.transaction() as session:
        unit_id = await _varied_unit(session)

    async with runtime.read_sessionmaker() as session:
        snapshot = await unit_snapshot(session, unit_id)
        projects = (
            await session.scalars(
                select(Project)
                .where(Project.id.in_([p["id"] for p in snapshot["projects"]]))
                .order_by(Project.id)
            )
        ).all()
        reads = await project_reads(session, list(projects))
        latest = (
            await session.scalars(
                select(ProgressUpdate).where(
                    ProgressUpdate.id.in_([u["id"] for u in snapshot["latest_updates"].values()])
                )
            )
        ).all()
        updates = {
            str(u.project_id): u.model_dump(mode="json") for u in await update_reads(session, list(latest))
        }
    updates = {project_id: updates[project_id] for project_id in snapshot["latest_updates"]}

    assert len(snapshot["projects"]) == 9 and any(p["status"] == "completed" for p in snapshot["projects"])
    milestones = {m["id"]: m for p in snapshot["projects"] for m in p["milestones"]}
    assert {m["quality_status"] for m in milestones.values()} == {None, "scored", "pending"}
    assert any(m["delivery_accepted"] is False and m["delivered_on"] for m in milestones.values())
    moved = next(m for m in milestones.values() if m["history"])
    assert [h["kind"] for h in moved["history"]] == ["rescheduled", "corrected"]
    # Late on Wed 11 Nov against Tue 10 Nov (Thu 12 Nov is a holiday); from Fri 13 Nov on, 24 Nov is in force.
    assert moved["late_working_days"] == 1 and moved["days_overdue"] == 0
    assert {m["late_working_days"] for m in milestones.values() if m["status"] == "open"} > {0, 1}
    assert _text(snapshot["projects"]) == _text([r.model_dump(mode="json") for r in reads])
    assert _text(snapshot["latest_updates"]) == _text(updates)
