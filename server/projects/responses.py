"""Answers to progress updates. A leader of the project's unit (or of a unit above it), the project lead or
an admin marks an update seen ("dilihat"), keeps one reaction on it from a small fixed set, or comments on
it; its author may reply with a comment. The author is told (kind "update_response") and every answer is
on the project's board and its unit boards (`update.seen|reacted|commented`), in the same transaction."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import Role, User
from server.accounts.service import unit_parents
from server.errors import Forbidden, Invalid, NotFound
from server.notifications.service import notify
from server.projects.access import leads_unit, require_not_archived, visible_project
from server.projects.changes import emit
from server.projects.models import (
    CommentCreate,
    Milestone,
    ProgressUpdate,
    Project,
    Reaction,
    ResponseComment,
    ResponseReaction,
    ResponseSeen,
    UpdateResponse,
    UpdateResponsesRead,
)
from server.text import N_

SEEN, REACTION, COMMENT = "seen", "reaction", "comment"
EMOJI = {
    Reaction.thumbs_up: "👍",
    Reaction.thanks: "🙏",
    Reaction.keep_going: "💪",
    Reaction.attention: "❗",
}
KIND = "update_response"
# What the author is told; %(name)s answered, on %(project)s.
TOLD = {
    SEEN: N_("%(name)s melihat pembaruan Anda di %(project)s"),
    REACTION: N_("%(name)s menanggapi pembaruan Anda di %(project)s: %(emoji)s"),
    COMMENT: N_("%(name)s mengomentari pembaruan Anda di %(project)s: %(text)s"),
}
# A comment is quoted in the bell up to this many characters.
QUOTE_CHARS = 80


def may_respond(user: User, project: Project, parents: dict[int, int | None]) -> bool:
    """A leader of the project's unit or of a unit above it, the project lead, or an admin."""
    return user.role == Role.admin or project.lead_id == user.id or leads_unit(user, project.unit_id, parents)


async def _answerable(
    session: AsyncSession, by: User, update_id: int, *, author_may: bool
) -> tuple[ProgressUpdate, Project]:
    """The update under a row lock (two "seen" of one person run one after the other, and the second
    sees the first), if `by` may see its project and answer it."""
    update = await session.get(ProgressUpdate, update_id, with_for_update=True, populate_existing=True)
    if update is None:
        raise NotFound("Update not found")
    try:
        project = await visible_project(session, by, update.project_id)
    except NotFound:
        raise NotFound("Update not found") from None
    is_author = update.author_id == by.id
    if not (author_may and is_author) and not may_respond(by, project, await unit_parents(session)):
        raise Forbidden("Only a leader of the project's unit, the project lead or an admin may respond")
    if is_author and not author_may:
        raise Forbidden("You cannot respond to your own update this way; reply with a comment")
    require_not_archived(project)
    return update, project


async def _mine(session: AsyncSession, update_id: int, by: User, kind: str) -> UpdateResponse | None:
    return await session.scalar(
        select(UpdateResponse).where(
            col(UpdateResponse.update_id) == update_id,
            col(UpdateResponse.author_id) == by.id,
            col(UpdateResponse.kind) == kind,
        )
    )


async def _tell_author(
    session: AsyncSession, update: ProgressUpdate, project: Project, by: User, kind: str, **params: Any
) -> None:
    if update.author_id == by.id:
        return
    await notify(
        session,
        user_ids=[update.author_id],
        kind=KIND,
        message=TOLD[kind],
        params={"name": by.name, "project": project.name, **params},
        url=f"/projects/{project.id}#update-{update.id}",
        dedupe_key=f"{kind}:{update.id}:{by.id}" if kind == SEEN else None,
    )


async def mark_seen(session: AsyncSession, *, by: User, update_id: int) -> UpdateResponsesRead:
    """Seen once per person: a second time changes nothing."""
    update, project = await _answerable(session, by, update_id, author_may=False)
    if await _mine(session, update_id, by, SEEN) is None:
        assert by.id is not None
        row = UpdateResponse(update_id=update_id, author_id=by.id, kind=SEEN, created_at=clock.now())
        session.add(row)
        await session.flush()
        await emit(
            session,
            project,
            "update.seen",
            {
                "update_id": update_id,
                **ResponseSeen(by=by.id, by_name=by.name, at=row.created_at).model_dump(mode="json"),
            },
        )
        await _tell_author(session, update, project, by, SEEN)
    return await one_update_responses(session, update_id)


async def react(
    session: AsyncSession, *, by: User, update_id: int, reaction: Reaction | None
) -> UpdateResponsesRead:
    """One reaction per person: a new one replaces theirs, None takes it away."""
    update, project = await _answerable(session, by, update_id, author_may=False)
    row = await _mine(session, update_id, by, REACTION)
    current = _reaction(row.reaction) if row is not None else None
    if current != reaction:
        assert by.id is not None
        if row is not None:
            await session.delete(row)
        if reaction is not None:
            session.add(
                UpdateResponse(
                    update_id=update_id,
                    author_id=by.id,
                    kind=REACTION,
                    reaction=reaction.value,
                    created_at=clock.now(),
                )
            )
        await session.flush()
        await emit(
            session,
            project,
            "update.reacted",
            {
                "update_id": update_id,
                "by": by.id,
                "by_name": by.name,
                "reaction": reaction.value if reaction else None,
            },
        )
        if reaction is not None:
            await _tell_author(session, update, project, by, REACTION, emoji=EMOJI[reaction])
    return await one_update_responses(session, update_id)


async def comment(session: AsyncSession, *, by: User, update_id: int, data: CommentCreate) -> ResponseComment:
    """A comment, or the author's reply."""
    update, project = await _answerable(session, by, update_id, author_may=True)
    text = data.text.strip()
    if not text:
        raise Invalid("A comment needs some text")
    assert by.id is not None
    row = UpdateResponse(
        update_id=update_id, author_id=by.id, kind=COMMENT, text=text, created_at=clock.now()
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    read = ResponseComment(id=row.id, by=by.id, by_name=by.name, text=text, at=row.created_at)
    await emit(
        session,
        project,
        "update.commented",
        {"update_id": update_id, "comment": read.model_dump(mode="json")},
    )
    quote = text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
    await _tell_author(session, update, project, by, COMMENT, text=quote)
    return read


def _reaction(value: str | None) -> Reaction | None:
    """A stored reaction (one no longer in the set reads as none)."""
    return Reaction(value) if value is not None and value in Reaction.__members__ else None


# --- reading -------------------------------------------------------------------------------------------


async def responses_of(session: AsyncSession, update_ids: Iterable[int]) -> dict[int, UpdateResponsesRead]:
    """The answers to each of `update_ids` (every id gets an entry, empty or not), in one query."""
    ids = sorted(set(update_ids))
    found = {update_id: UpdateResponsesRead(update_id=update_id) for update_id in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(UpdateResponse, col(User.name))
        .join(User, col(User.id) == UpdateResponse.author_id)
        .where(col(UpdateResponse.update_id).in_(ids))
        .order_by(col(UpdateResponse.created_at), col(UpdateResponse.id))
    )
    for row, name in rows.all():
        into = found[row.update_id]
        if row.kind == SEEN:
            into.seen.append(ResponseSeen(by=row.author_id, by_name=name, at=row.created_at))
        elif row.kind == REACTION and (reaction := _reaction(row.reaction)) is not None:
            into.reactions.append(
                ResponseReaction(by=row.author_id, by_name=name, reaction=reaction, at=row.created_at)
            )
        elif row.kind == COMMENT and row.id is not None:
            into.comments.append(
                ResponseComment(
                    id=row.id, by=row.author_id, by_name=name, text=row.text or "", at=row.created_at
                )
            )
    return found


async def one_update_responses(session: AsyncSession, update_id: int) -> UpdateResponsesRead:
    return (await responses_of(session, [update_id]))[update_id]


async def update_responses(session: AsyncSession, *, by: User, update_id: int) -> UpdateResponsesRead:
    """The answers to an update whose project `by` may see."""
    update = await session.get(ProgressUpdate, update_id)
    if update is None:
        raise NotFound("Update not found")
    try:
        await visible_project(session, by, update.project_id)
    except NotFound:
        raise NotFound("Update not found") from None
    return await one_update_responses(session, update_id)


async def responses_to_author(
    session: AsyncSession, *, author_id: int, limit: int = 10
) -> list[dict[str, Any]]:
    """The latest answers others gave to `author_id`'s updates, newest first, with the update's project
    and progress (their home page), in one query."""
    rows = await session.execute(
        select(
            UpdateResponse,
            col(User.name),
            col(Project.id),
            col(Project.name),
            col(ProgressUpdate.progress_pct),
        )
        .join(ProgressUpdate, col(ProgressUpdate.id) == UpdateResponse.update_id)
        .join(Project, col(Project.id) == ProgressUpdate.project_id)
        .join(User, col(User.id) == UpdateResponse.author_id)
        .where(col(ProgressUpdate.author_id) == author_id, col(UpdateResponse.author_id) != author_id)
        .order_by(col(UpdateResponse.created_at).desc(), col(UpdateResponse.id).desc())
        .limit(limit)
    )
    return [
        {
            "id": row.id,
            "update_id": row.update_id,
            "kind": row.kind,
            "emoji": EMOJI.get(reaction) if (reaction := _reaction(row.reaction)) else None,
            "text": row.text,
            "by_name": name,
            "at": row.created_at,
            "project_id": project_id,
            "project_name": project_name,
            "progress_pct": progress,
        }
        for row, name, project_id, project_name, progress in rows.all()
    ]


async def unit_feed(
    session: AsyncSession, *, unit_ids: Iterable[int], limit: int = 30
) -> list[dict[str, Any]]:
    """The latest updates on the projects in work of `unit_ids`, newest first, with their project's and
    milestone's names (the board's companion page), in one query."""
    rows = await session.execute(
        select(ProgressUpdate, col(User.name), col(Project.name), col(Milestone.title))
        .join(Project, col(Project.id) == ProgressUpdate.project_id)
        .join(Milestone, col(Milestone.id) == ProgressUpdate.milestone_id)
        .join(User, col(User.id) == ProgressUpdate.author_id)
        .where(col(Project.unit_id).in_(list(unit_ids)), col(Project.archived_at).is_(None))
        .order_by(col(ProgressUpdate.created_at).desc(), col(ProgressUpdate.id).desc())
        .limit(limit)
    )
    return [
        {
            "id": update.id,
            "project_id": update.project_id,
            "project_name": project_name,
            "milestone_id": update.milestone_id,
            "milestone_title": title,
            "author_id": update.author_id,
            "author_name": author_name,
            "progress_pct": update.progress_pct,
            "note": update.note,
            "blockers": update.blockers,
            "created_at": update.created_at,
        }
        for update, author_name, project_name, title in rows.all()
    ]
