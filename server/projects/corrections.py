"""After a milestone closes: the lead's rater scores the quality of the lead's own work, and a closed
milestone can be corrected or reopened (DOMAIN.md §1b). A correction rewrites the record as if it had
always been so, unlike a reschedule; every one is in the milestone's history with its reason."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.raters import rater_ids
from server.calendar.locks import require_days_unlocked
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.projects.access import require_not_archived, visible_project
from server.projects.changes import (
    locked_milestone,
    milestone_event,
    notify_closed,
    record_milestone_change,
    visible_milestone,
)
from server.projects.lateness import count_late, schedule_of, stop_day
from server.projects.models import (
    Milestone,
    MilestoneCorrect,
    MilestoneDueDate,
    MilestoneQuality,
    MilestoneStatus,
    ProgressUpdate,
    Project,
)
from server.projects.reads import MilestoneRead, assignees_of
from server.projects.rules import (
    REASON_MIN_CHARS,
    check_closed_on,
    check_date_in_range,
    check_due_date,
    created_on,
    require_quality_note,
    require_reason,
)


async def quality_scorers(session: AsyncSession, lead_id: int) -> tuple[list[int], bool]:
    """Who scores the quality of a lead's own work: the lead's raters; an admin (`True`) when the lead
    has none (the top of the tree)."""
    lead = await session.get(User, lead_id)
    raters = await rater_ids(session, lead) if lead is not None else []
    return raters, not raters


async def may_score_quality(session: AsyncSession, user: User, project: Project) -> bool:
    """Whether `user` scores the quality of the work the project's lead did on its milestones."""
    raters, admins = await quality_scorers(session, project.lead_id)
    return user.id in raters or (admins and user.role == Role.admin)


async def score_quality(
    session: AsyncSession, *, by: User, milestone_id: int, data: MilestoneQuality
) -> MilestoneRead:
    """The rater of the lead who closed a milestone the lead worked on scores its quality. The rater may
    score it without otherwise seeing the project; anyone else gets 403, or 404 if they cannot see it."""
    milestone = await locked_milestone(session, milestone_id)
    if milestone is None:
        raise NotFound("Milestone not found")
    project = await session.get(Project, milestone.project_id)
    assert project is not None
    # The lead whose own work it is closed it; the project may have another lead by now.
    raters, admins = await quality_scorers(session, milestone.closed_by or project.lead_id)
    if by.id not in raters and not (admins and by.role == Role.admin):
        try:
            await visible_project(session, by, project.id)
        except NotFound:
            raise NotFound("Milestone not found") from None
        if admins:
            raise Forbidden(
                "The lead has no rater: only an admin may score the quality of the lead's own work"
            )
        raise Forbidden(
            "Only the project lead's rater (their atasan) may score the quality of the lead's own work"
        )
    if milestone.quality_status != "pending":
        raise Conflict("This milestone's quality is not waiting for a score")
    note = require_quality_note(data.quality, data.note)
    if by.role == Role.admin and note is None:
        raise Invalid("An admin scoring quality needs a note saying why (bukti dukung)")
    await require_days_unlocked(session, milestone.closed_on)
    milestone.quality = data.quality
    milestone.quality_status = "scored"
    milestone.quality_by = by.id
    milestone.quality_note = note
    session.add(milestone)
    await record_milestone_change(
        session,
        milestone,
        actor=by,
        action="quality_scored",
        before={"quality": None, "quality_status": "pending"},
        after={"quality": data.quality, "quality_status": "scored"},
        reason=note,
    )
    read = await milestone_event(session, project, milestone, "milestone.quality_scored")
    await notify_closed(session, milestone, read.assignee_ids)
    return read


def _asked(data: MilestoneCorrect) -> dict[str, Any]:
    asked = {key: getattr(data, key) for key in ("closed_on", "quality", "due_date")}
    return {key: value for key, value in asked.items() if value is not None}


def _check_correction(
    data: MilestoneCorrect, milestone: Milestone, project: Project, *, admin: bool, assignee_ids: list[int]
) -> dict[str, Any]:
    """The fields to change, after the rules of who may change what (403, 409, 422)."""
    asked = _asked(data)
    if not asked and not data.reopen:
        raise Invalid("Nothing to correct: give closed_on, quality, due_date, or reopen: true")
    if data.reopen and asked:
        raise Invalid("Reopening clears the close; correct other fields in a separate request")
    if milestone.status == MilestoneStatus.open:
        if data.reopen or "closed_on" in asked or "quality" in asked:
            raise Conflict("This milestone is open: only its due date can be corrected")
        if not admin:
            raise Forbidden(
                "Only an admin may correct the due date of an open milestone; "
                "the lead moves it with a reschedule and a reason"
            )
    if "quality" in asked and not admin and project.lead_id in assignee_ids:
        raise Forbidden("You are among the assignees: the quality of your own work is scored by your rater")
    if "closed_on" in asked:
        check_closed_on(asked["closed_on"], milestone, admin=admin)
    if "due_date" in asked:
        if admin:
            check_date_in_range(asked["due_date"], "due_date")
        else:
            check_due_date(asked["due_date"], project)
    return {key: value for key, value in asked.items() if value != getattr(milestone, key)}


async def correct_milestone(
    session: AsyncSession, *, by: User, milestone_id: int, data: MilestoneCorrect
) -> MilestoneRead:
    """Its lead (within the lead's date limits, while the periods it counts in are not locked) or an admin
    corrects a closed milestone's closing date, quality or due date, or reopens it; an admin may also
    correct the due date of an open one. A locked period is a 409 for everyone: an admin unlocks first."""
    milestone, project = await visible_milestone(session, by, milestone_id)
    admin = by.role == Role.admin
    if not admin and project.lead_id != by.id:
        raise Forbidden("Only the project lead or an admin may correct a milestone")
    require_not_archived(project)
    reason = require_reason(
        data.reason,
        f"A correction needs a reason of at least {REASON_MIN_CHARS} characters, kept in the history",
    )
    assignee_ids = (await assignees_of(session, [milestone.id]))[milestone.id]
    changes = _check_correction(data, milestone, project, admin=admin, assignee_ids=assignee_ids)
    if not changes and not data.reopen:
        raise Invalid("Nothing to change: the values given are already on the record")
    previous_closed_on = milestone.closed_on
    await require_days_unlocked(session, previous_closed_on, changes.get("closed_on"))
    if data.reopen:
        before, after = await _reopen(session, milestone)
        action, event = "reopened", "milestone.reopened"
    else:
        before, after = await _rewrite(session, milestone, changes, by=by, reason=reason)
        action, event = "corrected", "milestone.corrected"
    session.add(milestone)
    await record_milestone_change(
        session, milestone, actor=by, action=action, before=before, after=after, reason=reason
    )
    read = await milestone_event(session, project, milestone, event)
    if previous_closed_on is not None:
        await notify_closed(session, milestone, read.assignee_ids, previous_closed_on=previous_closed_on)
    return read


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def _rewrite(
    session: AsyncSession, milestone: Milestone, changes: dict[str, Any], *, by: User, reason: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    before = {key: _json(getattr(milestone, key)) for key in changes}
    if "due_date" in changes:
        await _rewrite_due_date(session, milestone, changes["due_date"])
    if "closed_on" in changes:
        milestone.closed_on = changes["closed_on"]
    if "quality" in changes:
        before["quality_status"] = milestone.quality_status
        milestone.quality = changes["quality"]
        milestone.quality_status = "scored"
        milestone.quality_by = by.id
        milestone.quality_note = reason
    after = {key: _json(getattr(milestone, key)) for key in before}
    if milestone.status == MilestoneStatus.closed and ("due_date" in changes or "closed_on" in changes):
        before["late_working_days"] = milestone.late_working_days
        schedule = await schedule_of(session, milestone)
        milestone.late_working_days = await count_late(session, schedule, stop_day(milestone))
        after["late_working_days"] = milestone.late_working_days
    return before, after


async def _due_dates(session: AsyncSession, milestone: Milestone) -> list[MilestoneDueDate]:
    rows = await session.scalars(
        select(MilestoneDueDate)
        .where(MilestoneDueDate.milestone_id == milestone.id)
        .order_by(MilestoneDueDate.id)
    )
    return list(rows.all())


async def _rewrite_due_date(session: AsyncSession, milestone: Milestone, due: date) -> None:
    """The due date in force is rewritten where it was set, as if it had always been so; a milestone
    never rescheduled gets a new original due date too."""
    rows = await _due_dates(session, milestone)
    if not rows:  # a milestone from before the schedule existed
        rows = [MilestoneDueDate(milestone_id=milestone.id, due_date=due, set_on=created_on(milestone))]
    latest = rows[-1]
    latest.due_date = due
    session.add(latest)
    if len(rows) == 1:
        milestone.original_due_date = due
    milestone.due_date = due
    await session.flush()


async def _reopen(session: AsyncSession, milestone: Milestone) -> tuple[dict[str, Any], dict[str, Any]]:
    """Back to open, as if it had never closed: the close's fields cleared, the progress its last update
    reported (0 without one)."""
    last_pct = await session.scalar(
        select(ProgressUpdate.progress_pct)
        .where(ProgressUpdate.milestone_id == milestone.id)
        .order_by(ProgressUpdate.id.desc())
        .limit(1)
    )
    before = {
        "status": milestone.status.value,
        "progress_pct": milestone.progress_pct,
        "closed_on": _json(milestone.closed_on),
        "quality": milestone.quality,
        "quality_status": milestone.quality_status,
        "late_working_days": milestone.late_working_days,
    }
    milestone.status = MilestoneStatus.open
    milestone.progress_pct = last_pct or 0
    for field in ("closed_on", "closed_at", "closed_by", "close_note", "late_working_days", "delivered_on"):
        setattr(milestone, field, None)
    for field in ("delivery_reason", "quality", "quality_status", "quality_by", "quality_note"):
        setattr(milestone, field, None)
    milestone.delivery_accepted = True
    after = {"status": "open", "progress_pct": milestone.progress_pct}
    return before, after
