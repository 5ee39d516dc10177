"""Who is told of what happens on a project (the bell; server/notifications): a blocker reported, a
milestone an assignee reports done. Called from the change itself, in its transaction."""

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.models import Role, User
from server.accounts.service import ancestors_in, unit_parents
from server.notifications.service import notify
from server.projects.models import BlockerRead, Project
from server.text import N_


def project_url(project_id: int) -> str:
    return f"/projects/{project_id}"


async def unit_leader_ids(session: AsyncSession, unit_id: int) -> set[int]:
    """The active leaders of this unit and of every unit above it."""
    chain = ancestors_in(await unit_parents(session), unit_id)
    rows = await session.scalars(
        select(col(User.id)).where(
            col(User.unit_id).in_(chain), col(User.role) == Role.leader, col(User.is_active).is_(True)
        )
    )
    return {user_id for user_id in rows.all() if user_id is not None}


async def tell_blocker_opened(
    session: AsyncSession, *, blocker: BlockerRead, project: Project | Row[Any]
) -> None:
    """The project lead and the leaders of its unit and the units above: a blocker waits for them.
    Its author is not told of their own blocker. `project`: the ORM project or a row with its id, name,
    unit and lead."""
    readers = {project.lead_id} | await unit_leader_ids(session, project.unit_id)
    readers.discard(blocker.author_id)
    assert project.id is not None
    await notify(
        session,
        user_ids=readers,
        kind="blocker",
        message=N_("%(author)s melaporkan kendala di %(project)s (%(milestone)s): %(text)s"),
        params={
            "author": blocker.author_name,
            "project": project.name,
            "milestone": blocker.milestone_title,
            "text": blocker.text,
        },
        url=project_url(project.id),
        dedupe_key=f"blocker:{blocker.update_id}",
    )


async def tell_milestone_reported(
    session: AsyncSession,
    *,
    project: Project | Row[Any],
    milestone_title: str,
    before_pct: int,
    progress_pct: int,
    author: User,
) -> None:
    """The lead, when someone else reports a milestone at 100% (it waits for the lead to close it).
    Anything else costs no statement."""
    if progress_pct < 100 or before_pct >= 100 or author.id == project.lead_id:
        return
    assert project.id is not None
    await notify(
        session,
        user_ids=[project.lead_id],
        kind="milestone_reported",
        message=N_("%(author)s melaporkan tonggak %(milestone)s di %(project)s selesai 100%%"),
        params={"author": author.name, "project": project.name, "milestone": milestone_title},
        url=project_url(project.id),
    )
