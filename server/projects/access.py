"""Who may see and do what to a project. Seeing decides 404; doing decides 403."""

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.service import ancestors_in, subtree_in, unit_parents
from server.errors import Conflict, Forbidden, NotFound
from server.models_base import table_of
from server.projects.models import Project, ProjectMember


def leads_unit(user: User, unit_id: int, parents: dict[int, int | None]) -> bool:
    """A leader of a unit is a `leader` whose own unit is that unit or any unit above it."""
    return user.role == Role.leader and user.unit_id in ancestors_in(parents, unit_id)


def can_see_unit(user: User, unit_id: int, parents: dict[int, int | None]) -> bool:
    return user.role == Role.admin or leads_unit(user, unit_id, parents)


# Who may see a project, as conditions on the tables' columns: a statement of table columns that adds them
# still runs as Core (server/projects/posting.py), and an ORM select of projects takes them as well.
_PROJECT = table_of(Project).c
_MEMBER = table_of(ProjectMember).c


def own_projects_clause(user_id: Any) -> ColumnElement[bool]:
    """The projects `user_id` leads or is a member of. `user_id` is an id, or a bind parameter for a
    statement built once and run for many people (server/projects/posting.py)."""
    member_of = select(_MEMBER.project_id).where(_MEMBER.user_id == user_id)
    return or_(_PROJECT.lead_id == user_id, _PROJECT.id.in_(member_of))


def visible_projects_clause(user: User, parents: dict[int, int | None]) -> ColumnElement[bool]:
    if user.role == Role.admin:
        return true()
    if user.id is None:
        return false()
    own = own_projects_clause(user.id)
    if user.role == Role.leader:
        return or_(own, _PROJECT.unit_id.in_(subtree_in(parents, user.unit_id)))
    return own


async def is_member(session: AsyncSession, project_id: int, user_id: int) -> bool:
    found = await session.scalar(
        select(ProjectMember.user_id).where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
        )
    )
    return found is not None


async def visible_project(session: AsyncSession, user: User, project_id: int) -> Project:
    """The project if `user` may see it; otherwise 404, never confirming that it exists."""
    parents = await unit_parents(session)
    project = await session.scalar(
        select(Project).where(Project.id == project_id, visible_projects_clause(user, parents))
    )
    if project is None:
        raise NotFound("Project not found")
    return project


async def require_manager(session: AsyncSession, user: User, project: Project) -> None:
    """Members are managed by the project's lead, a leader of its unit, or an admin."""
    if user.role == Role.admin or project.lead_id == user.id:
        return
    if leads_unit(user, project.unit_id, await unit_parents(session)):
        return
    raise Forbidden("Only the project lead, a leader of its unit or an admin may manage members")


def require_not_archived(project: Project) -> None:
    """An archived project is kept as it was for the evaluations that counted it: read-only until it is
    unarchived."""
    if project.archived_at is not None:
        raise Conflict("This project is archived and read-only; unarchive it first to change it")


def require_lead(user: User, project: Project, action: str) -> None:
    if project.lead_id != user.id:
        raise Forbidden(f"Only the project lead may {action}")


async def require_poster(session: AsyncSession, user: User, project: Project) -> None:
    if project.lead_id == user.id or await is_member(session, project.id, user.id):
        return
    raise Forbidden("Only members and the lead of this project may post progress updates")
