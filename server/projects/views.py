"""What the project page and home show beside the projects themselves, shaped for their templates: the open
blockers with what the viewer may do about them, the answers to updates, whether the viewer may change
the project. Used by the pages that draw them (work_pages.py) and by the forms that draw them again."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import User
from server.accounts.service import unit_parents
from server.errors import Forbidden
from server.evidence.models import Evidence, EvidenceRead
from server.evidence.service import evidence_of_closes, evidence_read
from server.pages.render import environment
from server.projects import blockers, responses
from server.projects.access import require_manager, visible_projects_clause
from server.projects.models import BlockerRead, ProgressUpdate, Project

HOME_ITEMS = 10


def blocker_age(opened_at: str | datetime) -> tuple[str, int]:
    """How long a blocker has been open, as ("days" | "hours" | "minutes", n): the template words it."""
    if isinstance(opened_at, str):
        opened_at = datetime.fromisoformat(opened_at.replace("Z", "+00:00"))
    seconds = max(0, int((clock.now() - opened_at).total_seconds()))
    if seconds >= 86400:
        return "days", seconds // 86400
    if seconds >= 3600:
        return "hours", seconds // 3600
    return "minutes", seconds // 60


environment.globals["blocker_age"] = blocker_age


def _row(blocker: dict[str, Any], *, acknowledge: bool, resolve: bool) -> dict[str, Any]:
    return {"blocker": blocker, "acknowledge": acknowledge, "resolve": resolve}


async def project_blocker_rows(
    session: AsyncSession, user: User, project: Project, open_blockers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The project page's open blockers (its board snapshot's `open_blockers`) with what `user` may do."""
    leader = blockers.may_acknowledge(user, project, await unit_parents(session))
    return [
        _row(
            b,
            acknowledge=leader and b["status"] == "open",
            resolve=blockers.may_resolve(user, author_id=b["author_id"], lead_id=project.lead_id),
        )
        for b in open_blockers
    ]


async def home_blocker_rows(session: AsyncSession, user: User) -> dict[str, list[dict[str, Any]]]:
    """Home: the blockers `user` reported that are not resolved yet, and those on the projects they lead.
    They may resolve every one (as its author or as the lead)."""
    assert user.id is not None

    def rows(found: list[BlockerRead]) -> list[dict[str, Any]]:
        return [_row(b.model_dump(mode="json"), acknowledge=False, resolve=True) for b in found]

    return {
        "mine": rows(await blockers.authored_open_blockers(session, author_id=user.id)),
        "led": rows(await blockers.led_open_blockers(session, lead_id=user.id)),
    }


async def feed_responses(
    session: AsyncSession,
    updates: Iterable[dict[str, Any]],
    *,
    may: Iterable[int],
    may_reply: Iterable[int],
    back: str,
) -> dict[str, Any]:
    """The answers to `updates` (JSON-ready, each with `id` and `project_id`) as the partial draws them:
    `may` are the projects whose updates the viewer may answer, `may_reply` those (in work) whose updates'
    authors may reply."""
    found = await responses.responses_of(session, [u["id"] for u in updates])
    return {
        "by_update": {i: r.model_dump(mode="json") for i, r in found.items()},
        "may": set(may),
        "may_reply": set(may_reply),
        "back": back,
        "emoji": {r.value: e for r, e in responses.EMOJI.items()},
    }


async def project_feed_responses(
    session: AsyncSession, user: User, project: Project, updates: list[dict[str, Any]]
) -> dict[str, Any]:
    """The project page's feed: its updates' answers, and whether `user` may give them."""
    assert project.id is not None
    in_work = [project.id] if project.archived_at is None else []
    may = in_work if responses.may_respond(user, project, await unit_parents(session)) else []
    return await feed_responses(session, updates, may=may, may_reply=in_work, back=f"/projects/{project.id}")


async def home_responses(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    assert user.id is not None
    return await responses.responses_to_author(session, author_id=user.id, limit=HOME_ITEMS)


async def may_manage(session: AsyncSession, user: User, project: Project) -> bool:
    """Whether the project page offers `user` the way to change the project (its edit page,
    server/projects/edit_pages.py): require_manager's rule, as a yes or no."""
    try:
        await require_manager(session, user, project)
    except Forbidden:
        return False
    return True


# --- evidence (bukti dukung) beside the posts: web/templates/_macros.html, evidence_thumbs --------------------


def _hidden_by(item: EvidenceRead | dict[str, Any]) -> int | None:
    return item.get("hidden_by") if isinstance(item, dict) else item.hidden_by


async def evidence_names(
    session: AsyncSession, items: Iterable[EvidenceRead | dict[str, Any]], known: dict[str, str] | None = None
) -> dict[str, str]:
    """`known` (user id as text -> name, a board's `people`) with the names of whoever hid one of `items`:
    "Disembunyikan oleh <name>" names an admin too, who is in no project's people."""
    names = dict(known or {})
    missing = {by for item in items if (by := _hidden_by(item)) is not None and str(by) not in names}
    if missing:
        rows = await session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(missing)))
        names.update({str(user_id): name for user_id, name in rows.all()})
    return names


async def closes_evidence(session: AsyncSession, project: dict[str, Any]) -> dict[int, list[EvidenceRead]]:
    """The evidence of the closes of the project's milestones (`project`: its JSON), by milestone."""
    return await evidence_of_closes(session, [m["id"] for m in project["milestones"]])


async def milestones_evidence(
    session: AsyncSession, viewer: User, milestone_ids: list[int]
) -> tuple[dict[int, list[EvidenceRead]], dict[int, int]]:
    """The person page's sources: each milestone's evidence (its updates' and its close's, oldest post
    first), and each project's lead (who keeps a link to a hidden item). Only the projects `viewer` may
    see: the files answer nobody else, so their thumbnails would not load. Two queries."""
    if not milestone_ids:
        return {}, {}
    parents = await unit_parents(session)
    milestone = func.coalesce(col(Evidence.close_milestone_id), col(ProgressUpdate.milestone_id))
    rows = await session.execute(
        select(Evidence, milestone, col(Project.id), col(Project.lead_id))
        .outerjoin(ProgressUpdate, col(ProgressUpdate.id) == col(Evidence.update_id))
        .join(Project, col(Project.id) == col(Evidence.project_id))
        .where(milestone.in_(set(milestone_ids)), visible_projects_clause(viewer, parents))
        .order_by(
            func.coalesce(col(ProgressUpdate.created_at), col(Evidence.uploaded_at)),
            col(Evidence.position),
            col(Evidence.id),
        )
    )
    found: dict[int, list[EvidenceRead]] = {}
    leads: dict[int, int] = {}
    for item, milestone_id, project_id, lead_id in rows.all():
        found.setdefault(milestone_id, []).append(evidence_read(item))
        if project_id is not None:
            leads[project_id] = lead_id
    return found, leads
