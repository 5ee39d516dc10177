"""A rater's team ("Tim saya"): the people a user rates (DOMAIN.md §1 "Who rates"), each with this
period's status, and the evaluations still waiting for the rater.

The people are found the other way round from server/accounts/raters.py (which answers "who rates this
person?"): everyone whose active supervisor the user is, and, for a leader, everyone in their unit and
below without a usable supervisor for whom the leader's unit is the nearest unit with a leader. Both
directions follow the same rule, and tests/performance/test_team.py checks them against each other.
Admins are left out: they operate Pantau and are not evaluated in it (as in the unit's distribution).
The whole team is read in a fixed number of queries, whatever its size."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from server.accounts.models import Role, Unit, User
from server.accounts.service import ancestors_in, subtree_in, unit_parents
from server.calendar.locks import locked_periods
from server.calendar.periods import Period, today_jakarta
from server.performance.service import evaluate, ratings_of

# How the rater comes to rate the person: as their supervisor, or as the leader of their unit (or of the
# nearest unit above that has one) when they have no usable supervisor.
SUPERVISOR, UNIT_LEADER = "supervisor", "unit_leader"


async def _direct_reports(session: AsyncSession, rater: User) -> list[User]:
    return list(
        (
            await session.scalars(
                select(User).where(
                    col(User.supervisor_id) == rater.id,
                    col(User.id) != rater.id,
                    col(User.is_active),
                    col(User.role) != Role.admin,
                )
            )
        ).all()
    )


async def _led_without_supervisor(session: AsyncSession, leader: User) -> list[User]:
    """People in the leader's unit and below whose rater falls to the leader's unit: they have no usable
    supervisor (none, themselves, inactive or an admin: raters.rater_ids), and no unit between theirs and
    the leader's (their own included) has an active leader other than themselves."""
    parents = await unit_parents(session)
    units = subtree_in(parents, leader.unit_id)
    supervisor = aliased(User)
    candidates = (
        await session.scalars(
            select(User)
            .outerjoin(supervisor, col(supervisor.id) == User.supervisor_id)
            .where(
                col(User.unit_id).in_(units),
                col(User.is_active),
                col(User.role) != Role.admin,
                col(User.id) != leader.id,
            )
            .where(
                or_(
                    col(User.supervisor_id).is_(None),
                    col(User.supervisor_id) == User.id,
                    col(supervisor.is_active).is_(False),
                    col(supervisor.role) == Role.admin,
                )
            )
        )
    ).all()
    if not candidates:
        return []
    leaders = (
        await session.execute(
            select(col(User.id), col(User.unit_id)).where(
                col(User.unit_id).in_(units), col(User.role) == Role.leader, col(User.is_active)
            )
        )
    ).all()
    led: dict[int, set[int | None]] = {}
    for leader_id, unit_id in leaders:
        led.setdefault(unit_id, set()).add(leader_id)
    found = []
    for person in candidates:
        for unit_id in ancestors_in(parents, person.unit_id):
            if led.get(unit_id, set()) - {person.id}:
                if unit_id == leader.unit_id:
                    found.append(person)
                break
    return found


async def rated_by(session: AsyncSession, rater: User) -> list[dict[str, Any]]:
    """The people `rater` rates, by name: `{"user": User, "relation": SUPERVISOR | UNIT_LEADER}`. An admin
    operates the system and rates nobody."""
    if rater.role == Role.admin or not rater.is_active:
        return []
    people = {u.id: {"user": u, "relation": SUPERVISOR} for u in await _direct_reports(session, rater)}
    if rater.role == Role.leader:
        for user in await _led_without_supervisor(session, rater):
            people.setdefault(user.id, {"user": user, "relation": UNIT_LEADER})
    return sorted(people.values(), key=lambda p: (p["user"].name.lower(), p["user"].id))


async def rates_anyone(session: AsyncSession, user: User) -> bool:
    """Whether the user rates at least one person (the header shows "Tim saya" to them): one query for
    most people, a few more only for a leader without direct reports."""
    if user.role == Role.admin or not user.is_active:
        return False
    report = await session.scalar(
        select(col(User.id))
        .where(
            col(User.supervisor_id) == user.id,
            col(User.id) != user.id,
            col(User.is_active),
            col(User.role) != Role.admin,
        )
        .limit(1)
    )
    if report is not None:
        return True
    return user.role == Role.leader and bool(await _led_without_supervisor(session, user))


def evaluation_period_of(period: Period, today: date) -> Period:
    """The period whose evaluations are due: the shown one once it has ended, else the one before it."""
    return period if period.last_day < today else period.previous()


@dataclass
class Team:
    period: Period
    evaluation_period: Period
    evaluation_locked: bool
    members: list[dict[str, Any]]

    @property
    def pending(self) -> list[dict[str, Any]]:
        return [m for m in self.members if m["evaluation_pending"]]

    def as_api(self) -> dict[str, Any]:
        return {
            "period": str(self.period),
            "evaluation_period": str(self.evaluation_period),
            "evaluation_period_locked": self.evaluation_locked,
            "people": [{k: v for k, v in m.items() if k != "user"} for m in self.members],
            "pending_evaluations": [m["user_id"] for m in self.pending],
        }


async def team(session: AsyncSession, *, rater: User, period: Period) -> Team:
    """The rater's people with their status in `period` (ratings, predikat, "data berubah sejak dinilai",
    open overdue work), and which of them still wait for a confirmed rating of the evaluation period
    (`evaluation_period_of`): no hasil kerja or no perilaku yet, while that period is not locked."""
    evaluation_period = evaluation_period_of(period, today_jakarta())
    people = await rated_by(session, rater)
    users = [p["user"] for p in people]
    locked = bool(await locked_periods(session, [str(evaluation_period)]))
    if not users:
        return Team(period, evaluation_period, locked, [])
    ids = [int(u.id) for u in users if u.id is not None]
    reads = await evaluate(session, users, period)
    ratings = await ratings_of(session, ids, evaluation_period)
    in_team_units = col(Unit.id).in_({u.unit_id for u in users})
    unit_names = {
        unit.id: unit.name for unit in (await session.scalars(select(Unit).where(in_team_units))).all()
    }
    members = []
    for entry in people:
        user: User = entry["user"]
        read, _ = reads[user.id]  # type: ignore[index]
        rating = ratings.get(user.id)  # type: ignore[arg-type]
        missing = [
            name
            for name, value in (
                ("hasil_kerja", rating.hasil_kerja if rating else None),
                ("perilaku", rating.perilaku if rating else None),
            )
            if value is None
        ]
        members.append(
            {
                "user": user,
                "user_id": user.id,
                "name": user.name,
                "nip": user.nip,
                "role": user.role.value,
                "unit_id": user.unit_id,
                "unit_name": unit_names.get(user.unit_id),
                "relation": entry["relation"],
                "hasil_kerja_suggested": read["hasil_kerja_suggested"],
                "hasil_kerja": read["hasil_kerja"],
                "perilaku": read["perilaku"],
                "predikat": read["predikat"],
                "rated": read["hasil_kerja"] is not None and read["perilaku"] is not None,
                "stale_since_rating": read["stale_since_rating"],
                "open_overdue": [
                    {"milestone_id": o["milestone_id"], "late_working_days": o["late_working_days"]}
                    for o in read["open_overdue"]
                ],
                "evaluation_pending": not locked and bool(missing),
                "evaluation_missing": missing,
            }
        )
    return Team(period, evaluation_period, locked, members)
