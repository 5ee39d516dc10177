"""The API's read shapes for projects, milestones and updates, loaded in a fixed number of queries
however many projects are asked for (boards show hundreds).

A unit board loads thousands of milestones, so reads are built from plain rows holding only the columns a
read shows, not from ORM objects; and the board's snapshot takes them as JSON-ready dicts
(`project_jsons`, `update_jsons`, built by server/projects/read_json.py) without building a model per
milestone."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from server import clock
from server.accounts.models import User
from server.evidence.models import EvidenceRead
from server.evidence.service import evidence_of_updates
from server.models_base import table_of
from server.projects.history import milestone_histories
from server.projects.lateness import open_late_days, open_schedules
from server.projects.models import (
    Health,
    Milestone,
    MilestoneAssignee,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ProjectMember,
)
from server.projects.read_json import milestone_fields, project_as_json, project_fields, update_json


class MilestoneHistoryItem(SQLModel):
    """A reschedule, a quality scored by the lead's rater, a correction or a reopening."""

    at: datetime
    by: int | None
    kind: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class MilestoneRead(SQLModel):
    id: int
    project_id: int
    title: str
    due_date: date
    original_due_date: date
    weight: int
    assignee_ids: list[int]
    status: MilestoneStatus
    progress_pct: int
    closed_on: date | None
    quality: int | None
    # Calendar days a closed milestone was late, for reference (timeliness uses late_working_days);
    # null while it is open.
    days_late: int | None
    # How many days an open milestone is past its due date today (0 when not yet due).
    days_overdue: int
    # What timeliness is scored on (DOMAIN.md §1b): working days late against the due date in force on
    # each day; fixed when the milestone closes, counted up to today while it is open.
    late_working_days: int | None
    # The WIB date an assignee first reported 100%, and whether the lead accepted it as the delivery.
    delivered_on: date | None
    delivery_accepted: bool
    delivery_reason: str | None
    # The moment the close was recorded (closed_on is the day the lead said the work was done).
    closed_at: datetime | None
    # "scored", or "pending" while the lead's own work waits for the lead's rater; null while open.
    quality_status: str | None
    quality_note: str | None
    history: list[MilestoneHistoryItem]


class ProjectRead(SQLModel):
    id: int
    name: str
    description: str | None
    unit_id: int
    lead_id: int
    start_date: date
    due_date: date
    status: str
    progress_pct: float
    health: Health
    member_ids: list[int]
    milestones: list[MilestoneRead]
    last_update_at: datetime | None
    stale: bool
    # Set while the project is archived: read-only, off the boards and the lists of work.
    archived_at: datetime | None = None


class UpdateRead(SQLModel):
    id: int
    project_id: int
    milestone_id: int
    author_id: int
    author_name: str
    progress_pct: int
    note: str | None
    blockers: str | None
    created_at: datetime
    evidence: list[EvidenceRead] = []


# Only what the reads show. Whole ORM milestones (three timestamps each, identity map, instrumented
# attributes) and a validated model per milestone were most of the time a 2,000-milestone unit board
# took to open (bench/snapshot.py).
_MILESTONE = table_of(Milestone).c
_ASSIGNEE = table_of(MilestoneAssignee).c
MILESTONE_COLUMNS = (
    _MILESTONE.id,
    _MILESTONE.project_id,
    _MILESTONE.title,
    _MILESTONE.due_date,
    _MILESTONE.original_due_date,
    _MILESTONE.weight,
    _MILESTONE.status,
    _MILESTONE.progress_pct,
    _MILESTONE.closed_on,
    _MILESTONE.quality,
    _MILESTONE.late_working_days,
    _MILESTONE.delivered_on,
    _MILESTONE.delivery_accepted,
    _MILESTONE.delivery_reason,
    _MILESTONE.closed_at,
    _MILESTONE.quality_status,
    _MILESTONE.quality_note,
)
_DUE_AT, _STATUS_AT = (
    [column.key for column in MILESTONE_COLUMNS].index(key) for key in ("due_date", "status")
)
_PROJECT = table_of(Project).c
PROJECT_COLUMNS = (
    _PROJECT.id,
    _PROJECT.name,
    _PROJECT.description,
    _PROJECT.unit_id,
    _PROJECT.lead_id,
    _PROJECT.start_date,
    _PROJECT.due_date,
    _PROJECT.created_at,
    _PROJECT.archived_at,
)
_UPDATE = table_of(ProgressUpdate).c
UPDATE_COLUMNS: tuple[Any, ...] = (
    _UPDATE.id,
    _UPDATE.project_id,
    _UPDATE.milestone_id,
    _UPDATE.author_id,
    _UPDATE.progress_pct,
    _UPDATE.note,
    _UPDATE.blockers,
    _UPDATE.created_at,
)

# A project's milestones with their assignees (a row per assignee, milestones in board order), built once:
# every post's event reads them, and building the statement cost about as much as running it. Table
# columns throughout, so that it runs as Core.
_MILESTONES_WITH_ASSIGNEES = (
    select(*MILESTONE_COLUMNS, _ASSIGNEE.user_id)
    .outerjoin(table_of(MilestoneAssignee), _ASSIGNEE.milestone_id == _MILESTONE.id)
    .order_by(_MILESTONE.due_date, _MILESTONE.id, _ASSIGNEE.user_id)
)
_OF_PROJECTS = _MILESTONE.project_id.in_(bindparam("project_ids", expanding=True))
_MILESTONES_OF_PROJECTS = _MILESTONES_WITH_ASSIGNEES.where(_OF_PROJECTS)
_SCHEDULES_OF_PROJECTS = open_schedules(_OF_PROJECTS)
# One project (a post's event): `=`, since SQLAlchemy rewrites an expanding IN's SQL on every run.
_OF_PROJECT = _MILESTONE.project_id == bindparam("project_id")
_MILESTONES_OF_PROJECT = _MILESTONES_WITH_ASSIGNEES.where(_OF_PROJECT)
_SCHEDULES_OF_PROJECT = open_schedules(_OF_PROJECT)


def milestone_values(milestone: Milestone) -> tuple[Any, ...]:
    """An ORM milestone as a row of MILESTONE_COLUMNS."""
    return tuple(getattr(milestone, column.key) for column in MILESTONE_COLUMNS)


async def assignees_of(session: AsyncSession, milestone_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    if milestone_ids:
        rows = await session.execute(
            select(MilestoneAssignee.milestone_id, MilestoneAssignee.user_id).where(
                MilestoneAssignee.milestone_id.in_(milestone_ids)
            )
        )
        for milestone_id, user_id in rows.all():
            found[milestone_id].append(user_id)
    return found


async def milestone_reads(session: AsyncSession, milestones: list[Milestone]) -> list[MilestoneRead]:
    ids = [m.id for m in milestones]
    assignees = await assignees_of(session, ids)
    today = clock.today()
    open_due = {m.id: m.due_date for m in milestones if m.status == MilestoneStatus.open}
    late = await open_late_days(session, open_due, open_schedules(_MILESTONE.id.in_(ids)), today)
    histories = await milestone_histories(session, ids)
    return [
        MilestoneRead(
            **milestone_fields(
                milestone_values(m), assignees[m.id], today, late.get(m.id, 0), histories[m.id]
            )
        )
        for m in milestones
    ]


async def _project_fields(
    session: AsyncSession,
    projects: Sequence[Project | Row[Any]],
    ids: list[int] | Select[Any],
    *,
    member_ids: dict[int, list[int]] | None = None,
    last_update_at: dict[int, datetime | None] | None = None,
) -> list[dict[str, Any]]:
    """ProjectRead's fields for each project (ORM projects or rows of PROJECT_COLUMNS), with the
    milestones as `milestone_fields` dicts; six queries at most however many projects. `ids` are the
    projects' ids, or a query that selects them. `member_ids` (sorted) and `last_update_at`, when the
    caller already read them for every project, are not read again."""
    # Milestones with their assignees in one query (a row per assignee, milestones in board order).
    # A list of ids binds the statements built once; a query of them (a board's) is built in.
    if isinstance(ids, list) and len(ids) == 1:
        milestones_query, schedules = _MILESTONES_OF_PROJECT, _SCHEDULES_OF_PROJECT
        bound: dict[str, Any] = {"project_id": ids[0]}
    elif isinstance(ids, list):
        milestones_query, schedules, bound = (
            _MILESTONES_OF_PROJECTS,
            _SCHEDULES_OF_PROJECTS,
            {"project_ids": ids},
        )
    else:
        of_projects = _MILESTONE.project_id.in_(ids)
        milestones_query = _MILESTONES_WITH_ASSIGNEES.where(of_projects)
        schedules, bound = open_schedules(of_projects), {}
    rows = (await session.execute(milestones_query, bound)).all()
    assignees: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        if row[-1] is not None:
            assignees[row[0]].append(row[-1])
    today = clock.today()
    open_due = {row[0]: row[_DUE_AT] for row in rows if row[_STATUS_AT] == MilestoneStatus.open}
    late = await open_late_days(session, open_due, schedules, today, parameters=bound)
    histories = await milestone_histories(session, project_ids=ids)
    milestones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    previous_id = None
    for row in rows:
        if row[0] != previous_id:
            previous_id = row[0]
            fields = milestone_fields(
                row[:-1], assignees[row[0]], today, late.get(row[0], 0), histories.get(row[0], [])
            )
            milestones[fields["project_id"]].append(fields)
    if member_ids is None:
        members: dict[int, list[int]] = defaultdict(list)
        for project_id, user_id in await session.execute(
            select(ProjectMember.project_id, ProjectMember.user_id).where(ProjectMember.project_id.in_(ids))
        ):
            members[project_id].append(user_id)
        member_ids = {p.id: sorted(members[p.id]) for p in projects}
    if last_update_at is None:
        last_update_at = dict(
            (
                await session.execute(
                    select(ProgressUpdate.project_id, func.max(ProgressUpdate.created_at))
                    .where(ProgressUpdate.project_id.in_(ids))
                    .group_by(ProgressUpdate.project_id)
                )
            ).all()
        )
    now = clock.now()
    return [
        project_fields(p, milestones[p.id], member_ids[p.id], last_update_at.get(p.id), today=today, now=now)
        for p in projects
    ]


async def project_reads(session: AsyncSession, projects: list[Project]) -> list[ProjectRead]:
    if not projects:
        return []
    return [
        ProjectRead(**(fields | {"milestones": [MilestoneRead(**m) for m in fields["milestones"]]}))
        for fields in await _project_fields(session, projects, [p.id for p in projects])
    ]


async def project_jsons(
    session: AsyncSession,
    projects: Sequence[Project | Row[Any]],
    ids: list[int] | Select[Any],
    *,
    member_ids: dict[int, list[int]] | None = None,
    last_update_at: dict[int, datetime | None] | None = None,
) -> list[dict[str, Any]]:
    """`[r.model_dump(mode="json") for r in await project_reads(session, projects)]` without building a
    model per project and milestone: what a board snapshot and an event send. `projects` are ORM
    projects or rows of PROJECT_COLUMNS, `ids` their ids or the query that selects them: sending
    hundreds of ids as parameters to each query cost PostgreSQL's driver more than running them.
    `member_ids` and `last_update_at`: as `_project_fields` (a post reads them with its project)."""
    if not projects:
        return []
    found = await _project_fields(
        session, projects, ids, member_ids=member_ids, last_update_at=last_update_at
    )
    for fields in found:
        project_as_json(fields)
    return found


async def one_project_read(session: AsyncSession, project: Project) -> ProjectRead:
    return (await project_reads(session, [project]))[0]


async def update_reads(session: AsyncSession, updates: list[ProgressUpdate]) -> list[UpdateRead]:
    """The updates with their authors' names and their evidence: two queries however many updates."""
    if not updates:
        return []
    author_ids = {u.author_id for u in updates}
    names = dict((await session.execute(select(User.id, User.name).where(User.id.in_(author_ids)))).all())
    evidence = await evidence_of_updates(session, [u.id for u in updates if u.id is not None])
    return [
        UpdateRead(**u.model_dump(), author_name=names.get(u.author_id, ""), evidence=evidence.get(u.id, []))
        for u in updates
    ]


async def update_jsons(
    session: AsyncSession, updates: Sequence[Sequence[Any]], names: dict[str, str]
) -> list[dict[str, Any]]:
    """`update_json` of each row of UPDATE_COLUMNS, with its evidence (one query for them all); `names`
    are the authors' names by their id as text (a board's `people`)."""
    evidence = await evidence_of_updates(session, [u[0] for u in updates]) if updates else {}
    return [
        update_json(u, names.get(str(u[3]), ""), [e.model_dump(mode="json") for e in evidence.get(u[0], [])])
        for u in updates
    ]
