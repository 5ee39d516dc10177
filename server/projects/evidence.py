"""Evidence (bukti dukung) as the projects domain sees it: who may open an item, the lead hiding one, and
a project's evidence listed. Uploading, cleaning, storing and attaching live in server/evidence.

Who may open an item (the file or its thumbnail): once attached, anyone who may see its project; before
that, its uploader alone; once hidden, the project lead, admins and the uploader only. Everyone else gets
404, never confirming that it exists. An item is never deleted (it is the record a result was judged on);
hiding keeps it, with who hid it, when and why, in the row and in the history."""

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from server import clock
from server.accounts.models import Role, User
from server.audit import record_change
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.evidence.models import Evidence, EvidenceRead
from server.evidence.service import evidence_read
from server.projects.access import visible_project
from server.projects.changes import emit, jsonable
from server.projects.models import Milestone, ProgressUpdate, Project
from server.projects.reads import MilestoneRead
from server.projects.rules import REASON_MIN_CHARS, require_reason
from server.text import Reason


class MilestoneCloseRead(MilestoneRead):
    """What a close answers: the closed milestone and the evidence the close carries."""

    evidence: list[EvidenceRead] = []


class EvidenceHide(SQLModel):
    """Why the lead hides an item (at least 10 characters), kept on the item and in the history."""

    reason: Reason


async def _visible(
    session: AsyncSession, by: User, evidence_id: int, *, lock: bool = False
) -> tuple[Evidence, Project | None]:
    """The item and its project (None while unattached) if `by` may open it; otherwise 404. `lock` reads
    it afresh under a row lock held to the end of the transaction (two hides at once: one wins)."""
    not_found = NotFound("Evidence not found")
    row = await session.get(Evidence, evidence_id, with_for_update=lock, populate_existing=lock)
    if row is None:
        raise not_found
    if row.project_id is None:
        # Not yet on any post: nobody but its uploader knows it exists.
        if row.uploaded_by != by.id:
            raise not_found
        return row, None
    try:
        project = await visible_project(session, by, row.project_id)
    except NotFound:
        raise not_found from None
    if row.hidden_at is not None and not _may_see_hidden(by, row, project):
        raise not_found
    return row, project


def _may_see_hidden(by: User, row: Evidence, project: Project) -> bool:
    return by.role == Role.admin or project.lead_id == by.id or row.uploaded_by == by.id


async def visible_evidence(session: AsyncSession, by: User, evidence_id: int) -> Evidence:
    """The evidence row if `by` may open its file (see the module's rule); otherwise 404."""
    row, _project = await _visible(session, by, evidence_id)
    return row


async def hide_evidence(
    session: AsyncSession, *, by: User, evidence_id: int, reason: str | None
) -> EvidenceRead:
    """The project lead or an admin hides an attached item with a reason: the file then opens only for
    the lead, admins and its uploader; the posts show who hid it and why. Recorded in the history and
    sent to the project's boards as `evidence.hidden`. Hiding a hidden item → 409."""
    row, project = await _visible(session, by, evidence_id, lock=True)
    if by.role != Role.admin and (project is None or project.lead_id != by.id):
        raise Forbidden("Only the project lead or an admin may hide evidence")
    text = require_reason(
        reason,
        f"Hiding evidence needs a reason of at least {REASON_MIN_CHARS} characters, kept in the history",
    )
    if project is None:
        raise Conflict("This upload is not attached to a post yet, so nobody else can see it")
    if row.hidden_at is not None:
        raise Conflict("This evidence is already hidden")
    row.hidden_at = clock.now()
    row.hidden_by = by.id
    row.hidden_reason = text
    session.add(row)
    await record_change(
        session,
        actor_id=by.id,
        entity="evidence",
        entity_id=evidence_id,
        action="hidden",
        before={"hidden": False},
        after={"hidden": True},
        reason=text,
        project_id=project.id,
    )
    await session.flush()
    read = evidence_read(row)
    await emit(session, project, "evidence.hidden", {"evidence": jsonable(read)})
    return read


async def project_evidence(
    session: AsyncSession, *, by: User, project_id: int, milestone_id: int | None = None
) -> list[EvidenceRead]:
    """Every item attached to the project's updates and closes (hidden ones too, marked so), oldest post
    first and in each post's order; only those of one milestone's updates and close with `milestone_id`."""
    project = await visible_project(session, by, project_id)
    query = (
        select(Evidence)
        .outerjoin(ProgressUpdate, col(ProgressUpdate.id) == col(Evidence.update_id))
        .outerjoin(Milestone, col(Milestone.id) == col(Evidence.close_milestone_id))
        .where(col(Evidence.project_id) == project.id)
    )
    if milestone_id is not None:
        owner = await session.scalar(
            select(col(Milestone.project_id)).where(col(Milestone.id) == milestone_id)
        )
        if owner != project.id:
            raise Invalid(f"Milestone {milestone_id} is not a milestone of this project")
        query = query.where(
            or_(
                col(ProgressUpdate.milestone_id) == milestone_id,
                col(Evidence.close_milestone_id) == milestone_id,
            )
        )
    # The post's moment: an update's creation, a close's record (a reopened milestone has none left).
    posted_at = func.coalesce(
        col(ProgressUpdate.created_at), col(Milestone.closed_at), col(Evidence.uploaded_at)
    )
    rows = await session.scalars(query.order_by(posted_at, col(Evidence.position), col(Evidence.id)))
    return [evidence_read(row) for row in rows.all()]


async def evidence_reads(session: AsyncSession, evidence_ids: list[int]) -> list[EvidenceRead]:
    """These items (a post's, just attached) in their post's order, in one query."""
    if not evidence_ids:
        return []
    rows = await session.scalars(
        select(Evidence)
        .where(col(Evidence.id).in_(evidence_ids))
        .order_by(col(Evidence.position), col(Evidence.id))
    )
    return [evidence_read(row) for row in rows.all()]
