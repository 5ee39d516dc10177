"""What the admin pages read: the unit tree in display order, a page of accounts
matching a search, and a filtered page of the append-only history — each in a fixed number of queries;
and the little their forms share."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Unit, User
from server.audit import HistoryEntry
from server.projects.models import Milestone

USERS_PER_PAGE = 25
HISTORY_PER_PAGE = 50
ENTITIES = (
    "milestone",
    "rating",
    "target",
    "user",
    "unit",
    "organisation_result",
    "feedback",
    "period",
    "project",
    "evidence",
)


Errors = dict[str, str]  # form field -> the code of a message that the template words


# --- units ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeRow:
    unit: Unit
    depth: int


def unit_tree(units: list[Unit]) -> list[TreeRow]:
    """Every unit once, each OPD followed by its bidang (depth-first, by name)."""
    ids = {u.id for u in units}
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: (u.name.lower(), u.id)):
        children[unit.parent_id if unit.parent_id in ids else None].append(unit)
    rows: list[TreeRow] = []
    seen: set[int | None] = set()

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in children.get(parent_id, []):
            if unit.id not in seen:
                seen.add(unit.id)
                rows.append(TreeRow(unit, depth))
                walk(unit.id, depth + 1)

    walk(None, 0)
    return rows


async def people_per_unit(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(select(User.unit_id, func.count()).group_by(User.unit_id))
    return {unit_id: count for unit_id, count in rows.all()}


# --- pages of results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    number: int
    pages: int
    total: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.offset + self.size)


def paging(requested: int, total: int, size: int) -> Paging:
    pages = max(1, math.ceil(total / size))
    return Paging(min(max(1, requested), pages), pages, total, size)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def people_matching(text: str) -> ColumnElement[bool]:
    """Name or username containing the text, or a NIP containing its digits (spaces ignored)."""
    found = [
        func.lower(User.name).like(_like(text), escape="\\"),
        func.lower(User.username).like(_like(text), escape="\\"),
    ]
    digits = "".join(text.split())
    if digits.isdigit():
        found.append(User.nip.like(f"%{digits}%"))
    return or_(*found)


async def _page_of(
    session: AsyncSession, query: Select[Any], page: int, size: int
) -> tuple[list[Any], Paging]:
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    where = paging(page, total, size)
    rows = (await session.scalars(query.offset(where.offset).limit(size))).all()
    return list(rows), where


async def search_users(session: AsyncSession, *, text: str, page: int) -> tuple[list[User], Paging]:
    query = select(User).order_by(func.lower(User.name), User.id)
    if text.strip():
        query = query.where(people_matching(text.strip()))
    return await _page_of(session, query, page, USERS_PER_PAGE)


async def user_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    return dict((await session.execute(select(User.id, User.name).where(User.id.in_(ids)))).all())  # type: ignore[arg-type]


# --- history -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryFilters:
    entity: str = ""
    actor: str = ""
    subject: str = ""
    period: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for links to other pages of the same results."""
        values = {
            "entity": self.entity,
            "actor": self.actor,
            "subject": self.subject,
            "period": self.period,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in values.items() if v}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.JAKARTA).astimezone(clock.UTC)


async def history_page(
    session: AsyncSession, filters: HistoryFilters, page: int
) -> tuple[list[HistoryEntry], Paging]:
    """Newest first. Dates are whole days in WIB; people match by name, username or NIP."""
    query = select(HistoryEntry).order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
    if filters.entity:
        query = query.where(HistoryEntry.entity == filters.entity)
    if filters.actor:
        query = query.where(HistoryEntry.actor_id.in_(select(User.id).where(people_matching(filters.actor))))
    if filters.subject:
        matching = select(User.id).where(people_matching(filters.subject))
        query = query.where(
            or_(
                HistoryEntry.subject_user_id.in_(matching),
                (HistoryEntry.entity == "user") & HistoryEntry.entity_id.in_(matching),
            )
        )
    if filters.period:
        query = query.where(HistoryEntry.period == filters.period)
    if filters.date_from:
        query = query.where(HistoryEntry.at >= _start_of(filters.date_from))
    if filters.date_to:
        query = query.where(HistoryEntry.at < _start_of(filters.date_to + timedelta(days=1)))
    return await _page_of(session, query, page, HISTORY_PER_PAGE)


async def user_history(session: AsyncSession, user_id: int) -> list[HistoryEntry]:
    query = (
        select(HistoryEntry)
        .where(HistoryEntry.entity == "user", HistoryEntry.entity_id == user_id)
        .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
    )
    return list((await session.scalars(query)).all())


@dataclass(frozen=True)
class Names:
    """Names for the ids a page of history mentions: people, units and milestones (with their project)."""

    users: dict[int, str]
    units: dict[int, str]
    milestones: dict[int, tuple[str, int]]


async def history_names(session: AsyncSession, entries: list[HistoryEntry]) -> Names:
    people: set[int] = set()
    milestone_ids: set[int] = set()
    for e in entries:
        people |= {e.actor_id, e.subject_user_id}  # type: ignore[arg-type]
        if e.entity == "milestone":
            milestone_ids.add(e.entity_id)
        elif e.entity == "user":
            people.add(e.entity_id)
        for values in (e.before or {}, e.after or {}):
            if isinstance(values.get("supervisor_id"), int):
                people.add(values["supervisor_id"])
            people |= {a for a in values.get("assignee_ids") or [] if isinstance(a, int)}
    units = dict((await session.execute(select(Unit.id, Unit.name))).all())
    milestones: dict[int, tuple[str, int]] = {}
    if milestone_ids:
        rows = await session.execute(
            select(Milestone.id, Milestone.title, Milestone.project_id).where(Milestone.id.in_(milestone_ids))
        )
        milestones = {mid: (title, project_id) for mid, title, project_id in rows.all()}
    return Names(await user_names(session, people), units, milestones)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Change:
    key: str
    before: Any
    after: Any
    both: bool  # named on both sides: shown as before → after; otherwise the one value is shown

    @property
    def changed(self) -> bool:
        return self.both and self.before != self.after

    @property
    def earlier(self) -> bool:
        """Named only as it was before the change (e.g. the progress of a milestone that was closed)."""
        return not self.both and self.after is None

    @property
    def value(self) -> Any:
        return self.after if self.after is not None else self.before


def changes(entry: HistoryEntry) -> list[Change]:
    """The fields an entry names, in its order; fields empty on both sides and the `source` of a target
    (the targets page explains where each value comes from) are left out."""
    before, after = entry.before or {}, entry.after or {}
    keys = [*after, *(k for k in before if k not in after)]
    return [
        Change(k, before.get(k), after.get(k), k in before and k in after)
        for k in keys
        if k != "source"
        and (before.get(k) not in (None, "", [], {}) or after.get(k) not in (None, "", [], {}))
    ]
