"""The API's read shapes as JSON-ready dicts, built by hand from plain rows (server/projects/reads.py reads
them): 8x faster than `model_dump` for a post's project and 11x for a 200-project snapshot (`python -m bench
serialise`, bench/RESULTS.md). This module is the one place that builds that JSON by hand; the dicts must
stay equal to the models' `model_dump(mode="json")`, field for field: tests/projects/test_reads_json.py
compares them."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Row

from server import clock
from server.config import get_settings
from server.projects.health import project_health
from server.projects.models import MilestoneStatus, Project

# Pydantic's own datetime encoding ("...Z"), so the JSON-ready dicts match the models' dumps exactly.
_DATETIME = TypeAdapter(datetime | None)


def milestone_fields(
    values: Sequence[Any],
    assignee_ids: list[int],
    today: date,
    late_so_far: int,
    history: list[dict[str, Any]],
) -> dict[str, Any]:
    """A MilestoneRead's fields, in its order, from a row of MILESTONE_COLUMNS (unpacked by position:
    named access on 2,000 rows cost more than the query). The status comes as a MilestoneStatus;
    `late_so_far` is an open milestone's lateness today (lateness.open_late_days)."""
    (
        milestone_id,
        project_id,
        title,
        due_date,
        original_due_date,
        weight,
        status,
        progress_pct,
        closed_on,
        quality,
        late_working_days,
        delivered_on,
        delivery_accepted,
        delivery_reason,
        closed_at,
        quality_status,
        quality_note,
    ) = values
    closed = status == MilestoneStatus.closed
    return {
        "id": milestone_id,
        "project_id": project_id,
        "title": title,
        "due_date": due_date,
        "original_due_date": original_due_date,
        "weight": weight,
        "assignee_ids": sorted(assignee_ids),
        "status": status,
        "progress_pct": progress_pct,
        "closed_on": closed_on,
        "quality": quality,
        "days_late": max(0, (closed_on - due_date).days) if closed and closed_on else None,
        "days_overdue": 0 if closed else max(0, (today - due_date).days),
        "late_working_days": late_working_days if closed else late_so_far,
        "delivered_on": delivered_on,
        "delivery_accepted": delivery_accepted,
        "delivery_reason": delivery_reason,
        "closed_at": closed_at,
        "quality_status": quality_status,
        "quality_note": quality_note,
        "history": history,
    }


def weighted_progress(milestones: list[dict[str, Any]]) -> float:
    total = sum(m["weight"] for m in milestones)
    if total == 0:
        return 0.0
    return round(sum(m["weight"] * m["progress_pct"] for m in milestones) / total, 1)


def project_fields(
    project: Project | Row[Any],
    milestones: list[dict[str, Any]],
    member_ids: list[int],
    last_update_at: datetime | None,
    *,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    """A ProjectRead's fields, in its order; `milestones` are `milestone_fields` dicts."""
    progress = weighted_progress(milestones)
    if last_update_at is not None and last_update_at.tzinfo is None:
        last_update_at = last_update_at.replace(tzinfo=clock.UTC)
    done = bool(milestones) and all(m["status"] == MilestoneStatus.closed for m in milestones)
    quiet_since = last_update_at or project.created_at
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "unit_id": project.unit_id,
        "lead_id": project.lead_id,
        "start_date": project.start_date,
        "due_date": project.due_date,
        "status": "completed" if done else "active",
        "progress_pct": progress,
        "health": project_health(
            start_date=project.start_date,
            due_date=project.due_date,
            progress_pct=progress,
            open_due_dates=[m["due_date"] for m in milestones if m["status"] == MilestoneStatus.open],
            today=today,
            has_milestones=bool(milestones),
        ),
        "member_ids": member_ids,
        "milestones": milestones,
        "last_update_at": last_update_at,
        "stale": not done and now - quiet_since > timedelta(days=get_settings().stale_after_days),
        "archived_at": project.archived_at,
    }


def project_as_json(project: dict[str, Any]) -> None:
    """Turn `project_fields` into `ProjectRead(**project).model_dump(mode="json")` in place (copying
    thousands of milestone dicts cost as much as filling them): dates and datetimes as pydantic
    writes them, enums as their values."""
    project["start_date"] = project["start_date"].isoformat()
    project["due_date"] = project["due_date"].isoformat()
    project["health"] = project["health"].value
    project["last_update_at"] = _DATETIME.dump_python(project["last_update_at"], mode="json")
    project["archived_at"] = _DATETIME.dump_python(project["archived_at"], mode="json")
    for milestone in project["milestones"]:
        milestone["due_date"] = milestone["due_date"].isoformat()
        milestone["original_due_date"] = milestone["original_due_date"].isoformat()
        milestone["status"] = milestone["status"].value
        if milestone["closed_on"] is not None:
            milestone["closed_on"] = milestone["closed_on"].isoformat()
        if milestone["delivered_on"] is not None:
            milestone["delivered_on"] = milestone["delivered_on"].isoformat()
        if milestone["closed_at"] is not None:
            milestone["closed_at"] = _DATETIME.dump_python(milestone["closed_at"], mode="json")
        if milestone["history"]:
            milestone["history"] = [
                item | {"at": _DATETIME.dump_python(item["at"], mode="json")} for item in milestone["history"]
            ]


def update_json(
    update: Sequence[Any], author_name: str, evidence: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """`UpdateRead.model_dump(mode="json")` from a row of UPDATE_COLUMNS, without building the model;
    `evidence` are the update's items as JSON (`EvidenceRead.model_dump(mode="json")`), none if omitted."""
    update_id, project_id, milestone_id, author_id, progress_pct, note, blockers, created_at = update
    return {
        "id": update_id,
        "project_id": project_id,
        "milestone_id": milestone_id,
        "author_id": author_id,
        "author_name": author_name,
        "progress_pct": progress_pct,
        "note": note,
        "blockers": blockers,
        "created_at": _DATETIME.dump_python(created_at, mode="json"),
        "evidence": evidence or [],
    }
