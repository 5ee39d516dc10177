"""Who may see a person's performance, and who may rate it."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.raters import is_rater_of
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
    """Only the person's rater (DOMAIN.md §1 "Who rates": their supervisor whatever their role, else the
    leaders of the nearest unit above that has one) rates them. Nobody rates themselves and an admin
    does not rate: those and anyone else who can see the person get 403; the rest 404."""
    subject = await viewable_person(session, viewer, user_id)
    if viewer.role == Role.admin:
        raise Forbidden(
            "An admin operates Pantau and does not rate; the person's rater (atasan langsung) does"
        )
    if viewer.id == subject.id:
        raise Forbidden("Nobody rates themselves; your rater (atasan langsung) rates you")
    if not await is_rater_of(session, viewer, subject):
        raise Forbidden(
            "Only the person's rater may rate them: their supervisor (atasan langsung), or the leader of "
            "the nearest unit above when they have none"
        )
    return subject


async def may_rate(session: AsyncSession, viewer: User, subject: User) -> bool:
    """Whether the viewer is the subject's rater (pages show the way to the evaluation only to them)."""
    return viewer.role != Role.admin and await is_rater_of(session, viewer, subject)


def may_set_organisation_result(viewer: User, unit_id: int, parents: dict[int, int | None]) -> bool:
    """An admin, or a leader of the unit one level above (pimpinan satu tingkat di atasnya): a leader
    whose own unit is the unit's parent or any unit above it. Not the unit's own head; a top-level unit
    has no unit above it, so only an admin sets its result."""
    if viewer.role == Role.admin:
        return True
    parent = parents.get(unit_id)
    return parent is not None and leads_unit(viewer, parent, parents)


async def require_organisation_result_setter(
    session: AsyncSession, viewer: User, unit_id: int
) -> dict[int, int | None]:
    """404 for an unknown unit, 403 for anyone but an admin or a leader of the unit above."""
    parents = await unit_parents(session)
    if unit_id not in parents:
        raise NotFound("Unit not found")
    if not may_set_organisation_result(viewer, unit_id, parents):
        raise Forbidden(
            "Only an admin or a leader of the unit one level above may set this unit's organisation "
            "result (a unit's own head may not; a top-level unit's result is set by an admin)"
        )
    return parents


async def require_unit_overview(session: AsyncSession, viewer: User, unit_id: int) -> dict[int, int | None]:
    """Admins and leaders of the unit see its targets and distribution; anyone else gets 404."""
    parents = await unit_parents(session)
    if unit_id not in parents or not can_see_unit(viewer, unit_id, parents):
        raise NotFound("Unit not found")
    return parents
