"""The busiest reads (a post's event, a board's snapshot) select table columns and run as Core
statements (server/models_base.py `table_of`), not through the ORM. The session must still write what it
holds before they run, as it does before an ORM select: what a change in the same session has not
written yet must be in what they read."""

from server import clock
from server.audit import HistoryEntry
from server.projects.history import milestone_histories
from server.projects.models import Milestone, Project
from server.projects.reads import project_jsons


async def test_a_projects_json_shows_the_sessions_unwritten_changes(runtime, setup):
    async with runtime.transaction() as session:
        milestone = await session.get(Milestone, setup.milestone.id)
        project = await session.get(Project, setup.project.id)
        assert milestone is not None and project is not None
        milestone.title = "Judul yang belum ditulis"
        session.add(
            HistoryEntry(
                project_id=project.id,
                entity="milestone",
                entity_id=milestone.id,
                action="edited",
                actor_id=setup.project.lead_id,
                at=clock.now(),
                before={"title": "lama"},
                after={"title": "Judul yang belum ditulis"},
                reason=None,
            )
        )
        assert session.sync_session.dirty and session.sync_session.new
        (found,) = await project_jsons(session, [project], [project.id])
        (shown,) = [m for m in found["milestones"] if m["id"] == milestone.id]
        assert shown["title"] == "Judul yang belum ditulis"
        assert [item["kind"] for item in shown["history"]] == ["edited"]
        await session.rollback()


async def test_a_milestones_history_read_writes_the_pending_entry_first(runtime, setup):
    async with runtime.transaction() as session:
        session.add(
            HistoryEntry(
                project_id=setup.project.id,
                entity="milestone",
                entity_id=setup.milestone.id,
                action="rescheduled",
                actor_id=setup.project.lead_id,
                at=clock.now(),
                before=None,
                after=None,
                reason="Cuaca",
            )
        )
        histories = await milestone_histories(session, [setup.milestone.id])
        assert [item["reason"] for item in histories[setup.milestone.id]] == ["Cuaca"]
        assert not session.sync_session.new, "written by the read's flush"
        await session.rollback()
