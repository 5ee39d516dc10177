from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from server import clock
from server.accounts.models import Role, Unit, User
from server.config import get_settings
from server.projects.boards import unit_snapshot
from server.projects.models import Milestone, ProgressUpdate, Project
from tests.realtime.test_snapshot_queries import build_unit

NOW = datetime(2026, 11, 20, 3, tzinfo=UTC)


async def test_unit_board_lists_active_staff_without_a_recent_update_as_quiet(runtime):
    clock.freeze(NOW)
    async with runtime.transaction() as session:
        unit_id = await build_unit(session, projects=3, milestones_per_project=2, people=6, tag="q")
        sub_id = await build_unit(session, projects=1, milestones_per_project=2, people=2, tag="r")
        await session.execute(update(Unit).where(Unit.id == sub_id).values(parent_id=unit_id))
        users = (
            await session.scalars(select(User.id).where(User.unit_id == unit_id).order_by(User.id))
        ).all()
        sub_users = (
            await session.scalars(select(User.id).where(User.unit_id == sub_id).order_by(User.id))
        ).all()
        project_id, milestone_id = (
            await session.execute(
                select(Project.id, Milestone.id).join(Milestone).where(Project.unit_id == unit_id).limit(1)
            )
        ).one()
        # build_unit's own updates are 18 days old; these two are within the week.
        await session.execute(
            insert(ProgressUpdate),
            [
                {
                    "project_id": project_id,
                    "milestone_id": milestone_id,
                    "author_id": author_id,
                    "progress_pct": 50,
                    "created_at": NOW - timedelta(days=2),
                }
                for author_id in (users[1], sub_users[0])
            ],
        )
        await session.execute(update(User).where(User.id == users[2]).values(is_active=False))
        await session.execute(update(User).where(User.id == users[3]).values(role=Role.leader))

    async with runtime.read_sessionmaker() as session:
        adoption = (await unit_snapshot(session, unit_id))["adoption"]

    assert adoption["days"] == get_settings().stale_after_days == 7
    # Six staff in the unit and two in its sub-unit, less the inactive one and the leader.
    assert adoption["staff_count"] == 6
    assert adoption["quiet"] == [
        {"id": users[0], "name": "Pegawai q 0"},
        {"id": users[4], "name": "Pegawai q 4"},
        {"id": users[5], "name": "Pegawai q 5"},
        {"id": sub_users[1], "name": "Pegawai r 1"},
    ]
