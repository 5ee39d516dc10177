"""Who may see a person's performance, and who may rate it."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.service import unit_parents
from server.errors import Forbidden, NotFound
from server.projects.access import can_see_unit, leads_unit

# Far deeper than any real chain of supervisors; stops a cycle in bad data from looping forever.
MAX_CHAIN = 32


async def supervisor_chain(session: AsyncSession, user: User) -> list[int]:
    chain: list[int] = []
    current = user.supervisor_id
    while current is not None and current not in chain and len(chain) < MAX_CHAIN:
        chain.append(current)
        current = await session.scalar(select(User.supervisor_id).where(User.id == current))
    return chain


async def may_view_performance(session: AsyncSession, viewer: User, subject: User) -> bool:
    """Self, the supervisor chain, leaders of the person's unit, admins."""
    if viewer.role == Role.admin or viewer.id == subject.id:
        return True
    if leads_unit(viewer, subject.unit_id, await unit_parents(session)):
        return True
    return viewer.id in await supervisor_chain(session, subject)


async def viewable_person(session: AsyncSession, viewer: User, user_id: int) -> User:
    subject = await session.get(User, user_id)
    if subject is None or not await may_view_performance(session, viewer, subject):
        raise NotFound("User not found")
    return subject


async def rateable_person(session: AsyncSession, viewer: User, user_id: int) -> User:
    """The person's own supervisor (whatever their role) or an admin rates; others who can see get 403."""
    subject = await viewable_person(session, viewer, user_id)
    if viewer.role != Role.admin and subject.supervisor_id != viewer.id:
        raise Forbidden("Only the person's supervisor (atasan langsung) or an admin may rate them")
    return subject


async def require_unit_overview(session: AsyncSession, viewer: User, unit_id: int) -> dict[int, int | None]:
    """Admins and leaders of the unit see its targets and distribution; anyone else gets 404."""
    parents = await unit_parents(session)
    if unit_id not in parents or not can_see_unit(viewer, unit_id, parents):
        raise NotFound("Unit not found")
    return parents
