"""Posting a progress update: the busiest write there is (every assignee, several times a week, each post
sent at once to every board that shows the project), so it is written for few statements.

What a post checks and what its event shows are read in one statement (`_post_query`): the project (if
the poster may see it), its members and the time of its latest update, and the milestone under its row
lock. The milestone's progress and the update are written with plain statements through the session
(no unit of work to flush for two rows whose values are all in hand), and the event's project JSON is
built from the rows (reads.project_jsons) with the members and the latest update already known; the
update's JSON, built once from its values, is both the event's and the API's answer. Anything
a post refuses is found again by the checks one at a time (`_refusal`), so the answers and their order
(404, 403, 409, 422) are those of every other write. tests/projects/test_post_statements.py counts the
statements."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, String, bindparam, cast, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import attributes

from server import clock
from server.accounts.models import Role, User
from server.accounts.service import unit_parents
from server.errors import Conflict, Forbidden, Invalid
from server.evidence.models import EvidenceRead
from server.evidence.service import attach
from server.models_base import table_of
from server.projects.access import (
    own_projects_clause,
    require_not_archived,
    require_poster,
    visible_project,
    visible_projects_clause,
)
from server.projects.blockers import BLOCKER_OPENED, blocker_opened_event, opened_blocker
from server.projects.changes import emit_all, locked_milestone
from server.projects.models import (
    Milestone,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ProjectMember,
    UpdateCreate,
)
from server.projects.notices import tell_blocker_opened, tell_milestone_reported
from server.projects.read_json import update_json
from server.projects.reads import PROJECT_COLUMNS, UPDATE_COLUMNS, UpdateRead, project_jsons

_UPDATES = table_of(ProgressUpdate)
_MILESTONES = table_of(Milestone)
_PROJECT = table_of(Project).c
# A posted update's values in the order read_json.update_json takes them (a row of UPDATE_COLUMNS).
_UPDATE_JSON_ORDER = tuple(column.key for column in UPDATE_COLUMNS)


def _post_statement() -> Select[Any]:
    """What a post reads, built once (building it cost a post as much as running it): the project as
    PROJECT_COLUMNS, its member ids as text ("3,7"), its latest update's time, and the milestone
    `:milestone_id` if it is one of the project's, locked until the transaction ends (PostgreSQL; SQLite
    runs writers one at a time), so that an update racing a close lands before it or sees it closed.
    `_post_query` adds who may see the project. Table columns throughout: it runs as Core."""
    member = table_of(ProjectMember).c
    milestone = _MILESTONES.c
    members = (
        select(func.aggregate_strings(cast(member.user_id, String), ","))
        .where(member.project_id == _PROJECT.id)
        .scalar_subquery()
    )
    last_update = (
        select(func.max(_UPDATES.c.created_at)).where(_UPDATES.c.project_id == _PROJECT.id).scalar_subquery()
    )
    columns: tuple[Any, ...] = (
        *PROJECT_COLUMNS,
        members,
        last_update,
        milestone.title,
        milestone.status,
        milestone.progress_pct,
    )
    of_the_project = (milestone.id == bindparam("milestone_id")) & (milestone.project_id == _PROJECT.id)
    return (
        select(*columns)
        .join(_MILESTONES, of_the_project)
        .where(_PROJECT.id == bindparam("project_id"))
        .with_for_update(of=_MILESTONES)
    )


_POST_STATEMENT = _post_statement()
# The post's two writes, built once as well.
_SET_PROGRESS = (
    update(_MILESTONES)
    .where(_MILESTONES.c.id == bindparam("milestone"))
    .values(progress_pct=bindparam("progress"))
)
_INSERT_UPDATE = insert(_UPDATES).returning(_UPDATES.c.id)


# Who may see the project, as everywhere else (access.visible_projects_clause: an admin every project, a
# staff member their own), with the statement built once for the two roles whose rule does not depend on
# the unit tree: building it per post cost ~6% of a post.
_POST_AS_STAFF = _POST_STATEMENT.where(own_projects_clause(bindparam("viewer_id")))


def _post_query(by: User, parents: dict[int, int | None]) -> Select[Any]:
    """The post's statement for `by` (bind `viewer_id`): the project only if `by` may see it."""
    if by.role == Role.admin:
        return _POST_STATEMENT
    if by.role == Role.staff and by.id is not None:
        return _POST_AS_STAFF
    return _POST_STATEMENT.where(visible_projects_clause(by, parents))


async def _refusal(session: AsyncSession, by: User, project_id: int, data: UpdateCreate) -> Exception:
    """Why the post is refused, found as every other write finds it, one check after the other: the
    project unseen (404), not a poster (403), archived (409), no milestone or not one of the project's
    (422). Only reached when the post's one statement found nothing to post to."""
    project = await visible_project(session, by, project_id)
    await require_poster(session, by, project)
    require_not_archived(project)
    if data.milestone_id is None:
        return Invalid("milestone_id is required: say which milestone this update is about")
    milestone = await locked_milestone(session, data.milestone_id)
    if milestone is None or milestone.project_id != project.id:
        return Invalid(f"Milestone {data.milestone_id} is not a milestone of this project")
    # Found now but not a moment ago: the milestone moved meanwhile; the poster may send it again.
    return Conflict("The milestone changed while this update was posted; send it again")


def _held_milestone_follows(session: AsyncSession, milestone_id: int, progress_pct: int) -> None:
    """The progress went to the database around the ORM: a Milestone object this session already holds
    (a page that read it before posting) shows the new value too, as a flush would have left it."""
    sync = session.sync_session
    held = sync.identity_map.get(sync.identity_key(Milestone, milestone_id))
    if held is not None:
        attributes.set_committed_value(held, "progress_pct", progress_pct)


def _latest(known: datetime | None, posted_at: datetime) -> datetime:
    if known is None:
        return posted_at
    if known.tzinfo is None:
        known = known.replace(tzinfo=clock.UTC)
    return max(known, posted_at)


async def post_update(session: AsyncSession, *, by: User, project_id: int, data: UpdateCreate) -> UpdateRead:
    """Post `data` as `by`'s update of the project's milestone; the update as the API reads it."""
    posted = await _post(session, by=by, project_id=project_id, data=data)
    return posted.read()


async def post_update_json(
    session: AsyncSession, *, by: User, project_id: int, data: UpdateCreate
) -> dict[str, Any]:
    """`(await post_update(...)).model_dump(mode="json")`: the API's answer, the JSON its event already
    sends (built once, from the row's values, not dumped again from a model)."""
    return (await _post(session, by=by, project_id=project_id, data=data)).json


@dataclass(frozen=True)
class _Posted:
    """What a post wrote: the update's values (its row and its author's name), its evidence, its JSON."""

    values: dict[str, Any]
    evidence: list[EvidenceRead]
    json: dict[str, Any]

    def read(self) -> UpdateRead:
        return UpdateRead(**self.values, evidence=self.evidence)


async def _post(session: AsyncSession, *, by: User, project_id: int, data: UpdateCreate) -> _Posted:
    row: Row[Any] | None = None
    if data.milestone_id is not None:
        query = _post_query(by, await unit_parents(session))
        parameters = {"project_id": project_id, "milestone_id": data.milestone_id, "viewer_id": by.id}
        row = (await session.execute(query, parameters)).one_or_none()
    if row is None:
        raise await _refusal(session, by, project_id, data)
    project = row  # a row of PROJECT_COLUMNS and more: what project_jsons, the boards and notices read
    member_ids = (
        sorted(int(m) for m in row[len(PROJECT_COLUMNS)].split(",")) if row[len(PROJECT_COLUMNS)] else []
    )
    last_update_at, milestone_title, milestone_status, before_pct = row[len(PROJECT_COLUMNS) + 1 :]
    if project.lead_id != by.id and by.id not in member_ids:
        raise Forbidden("Only members and the lead of this project may post progress updates")
    if project.archived_at is not None:
        raise Conflict("This project is archived and read-only; unarchive it first to change it")
    if milestone_status == MilestoneStatus.closed:
        raise Conflict("This milestone is closed; updates are no longer accepted")
    note = (data.note or "").strip() or None
    if data.progress_pct < before_pct and note is None:
        raise Invalid(
            f"Progress goes down from {before_pct}% to {data.progress_pct}%: add a note explaining why"
        )
    milestone_id = data.milestone_id
    assert milestone_id is not None
    blockers = (data.blockers or "").strip() or None
    values: dict[str, Any] = {
        "project_id": project.id,
        "milestone_id": milestone_id,
        "author_id": by.id,
        "progress_pct": data.progress_pct,
        "note": note,
        "blockers": blockers,
        "created_at": clock.now(),
        # A reported blocker stays open, on the boards, until its author or the lead resolves it.
        "blocker_status": BLOCKER_OPENED if blockers else None,
    }
    if data.progress_pct != before_pct:  # as a flush would: nothing to write for the same progress
        await session.execute(_SET_PROGRESS, {"milestone": milestone_id, "progress": data.progress_pct})
        _held_milestone_follows(session, milestone_id, data.progress_pct)
    update_id = (await session.execute(_INSERT_UPDATE, values)).scalar_one()
    evidence = (
        await attach(
            session, by=by, evidence_ids=data.evidence_ids, project_id=project.id, update_id=update_id
        )
        if data.evidence_ids
        else []
    )
    values |= {"id": update_id, "author_name": by.name}
    # The update as JSON from its values (read_json.update_json: what UpdateRead.model_dump gives), for the
    # event and the API's answer alike.
    posted = _Posted(
        values,
        evidence,
        update_json(
            tuple(values[name] for name in _UPDATE_JSON_ORDER),
            by.name,
            [item.model_dump(mode="json") for item in evidence],
        ),
    )
    # The event's objects as JSON straight from the rows: every post pays for them before it is seen.
    (project_json,) = await project_jsons(
        session,
        [project],
        [project.id],
        member_ids={project.id: member_ids},
        last_update_at={project.id: _latest(last_update_at, values["created_at"])},
    )
    milestone_json = next(m for m in project_json["milestones"] if m["id"] == milestone_id)
    events = [
        (
            "progress.posted",
            {"update": posted.json, "milestone": milestone_json, "project": project_json},
        )
    ]
    blocker = (
        opened_blocker(posted.read(), project_name=project.name, milestone_title=milestone_title)
        if blockers
        else None
    )
    if blocker is not None:
        events.append(blocker_opened_event(blocker))
    await emit_all(session, project, events)
    if blocker is not None:
        await tell_blocker_opened(session, blocker=blocker, project=project)
    await tell_milestone_reported(
        session,
        project=project,
        milestone_title=milestone_title,
        before_pct=before_pct,
        progress_pct=data.progress_pct,
        author=by,
    )
    return posted
