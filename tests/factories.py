"""Plain factory functions: each makes one thing through the same service functions the app uses."""

import itertools
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Role, Unit, UnitCreate, User, UserCreate
from server.accounts.security import create_access_token
from server.accounts.service import create_unit, create_user
from server.projects import service as projects
from server.projects.models import MemberAdd, MilestoneCreate, ProjectCreate
from server.projects.reads import MilestoneRead, ProjectRead

_serial = itertools.count(1)
PASSWORD = "rahasia-123"


async def make_unit(session: AsyncSession, **overrides: Any) -> Unit:
    data = {"name": f"Unit {next(_serial)}"} | overrides
    return await create_unit(session, data=UnitCreate(**data))


async def make_user(session: AsyncSession, *, unit: Unit, role: Role = Role.staff, **overrides: Any) -> User:
    serial = next(_serial)
    data = {
        "username": f"user{serial}",
        "password": PASSWORD,
        "name": f"Pegawai {serial}",
        "nip": f"198503152010011{serial % 1000:03d}" if serial % 2 else f"199001012015032{serial % 1000:03d}",
        "role": role,
        "unit_id": unit.id,
    } | overrides
    return await create_user(session, data=UserCreate(**data))


async def make_project(
    session: AsyncSession, *, by: User, unit: Unit, lead: User, **overrides: Any
) -> ProjectRead:
    today = clock.today()
    data = {
        "name": f"Proyek {next(_serial)}",
        "unit_id": unit.id,
        "lead_id": lead.id,
        "start_date": today - timedelta(days=10),
        "due_date": today + timedelta(days=20),
    } | overrides
    return await projects.create_project(session, by=by, data=ProjectCreate(**data))


async def make_milestone(
    session: AsyncSession, *, project: ProjectRead, lead: User, due_date: date | None = None, **overrides: Any
) -> MilestoneRead:
    """A milestone planned by the lead. A due date in the past is planned as it would have been: with
    the clock set back to the day before it (a lead can only plan from today on)."""
    data = {
        "title": f"Tonggak {next(_serial)}",
        "due_date": due_date or clock.today() + timedelta(days=5),
    } | overrides
    planned_on = min(clock.today(), data["due_date"] - timedelta(days=1))
    with clock.set_back_to(planned_on):
        return await projects.create_milestone(
            session, by=lead, project_id=project.id, data=MilestoneCreate(**data)
        )


async def add_member(session: AsyncSession, *, project: ProjectRead, user: User, by: User) -> None:
    await projects.add_member(session, by=by, project_id=project.id, data=MemberAdd(user_id=user.id))


def auth(user: User, secret: str) -> dict[str, str]:
    token = create_access_token(user.id, secret, 60, epoch=user.credentials_epoch)
    return {"Authorization": f"Bearer {token}"}
