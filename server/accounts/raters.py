"""Who rates whom (DOMAIN.md §1 "Who rates"; PermenPANRB 6/2022: pejabat penilai kinerja = atasan langsung).

The rater of a person is their supervisor; with none (or an inactive one), the leader of their unit, or of
the nearest unit above that has one. Nobody rates themselves, and an admin operates the system and does
not rate. A unit's head (a `leader` whose own unit it is) is rated from the unit above."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.service import ancestors_in, unit_parents


async def rater_ids(session: AsyncSession, subject: User) -> list[int]:
    """The people who may rate `subject`: their active supervisor, or else every active leader of the
    nearest unit (theirs first, then upwards) that has one other than the subject. Empty at the top."""
    if subject.supervisor_id is not None and subject.supervisor_id != subject.id:
        supervisor = await session.get(User, subject.supervisor_id)
        if supervisor is not None and supervisor.is_active and supervisor.role != Role.admin:
            return [supervisor.id]  # type: ignore[list-item]
    chain = ancestors_in(await unit_parents(session), subject.unit_id)
    rows = (
        await session.execute(
            select(User.id, User.unit_id).where(
                User.unit_id.in_(chain), User.role == Role.leader, User.is_active, User.id != subject.id
            )
        )
    ).all()
    for unit_id in chain:
        found = sorted(user_id for user_id, leader_unit in rows if leader_unit == unit_id)
        if found:
            return found
    return []


async def is_rater_of(session: AsyncSession, viewer: User, subject: User) -> bool:
    return viewer.id != subject.id and viewer.id in await rater_ids(session, subject)


def is_unit_head(user: User, unit_id: int) -> bool:
    """The head of a unit is a `leader` whose own unit it is; their hasil kerja follows the unit's result."""
    return user.role == Role.leader and user.unit_id == unit_id
