"""Units, users and web sessions (signing in: signin.py; revoking credentials: credentials.py)."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from server import clock
from server.accounts.credentials import revoke_credentials
from server.accounts.models import (
    Role,
    Unit,
    UnitCreate,
    UnitUpdate,
    User,
    UserCreate,
    UserUpdate,
    WebSession,
)
from server.accounts.security import hash_password, hash_password_off_loop, new_token, token_digest
from server.audit import record_change
from server.db import transaction_lock
from server.errors import Conflict, Invalid, NotAuthenticated, NotFound
from server.models_base import table_of
from server.realtime.events import access_changed


async def get_unit(session: AsyncSession, unit_id: int) -> Unit:
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Unit not found")
    return unit


async def list_units(session: AsyncSession) -> list[Unit]:
    return list((await session.scalars(select(Unit).order_by(Unit.id))).all())


PARENTS_KEY = "unit_parents"
_USER_BY_ID = select(User).where(col(User.id) == bindparam("user_id"))
# Read by every post (which boards get its event): table columns, so that it runs as Core.
_UNIT_TREE = select(*table_of(Unit).c["id", "parent_id"])


async def unit_parents(session: AsyncSession) -> dict[int, int | None]:
    """The whole tree as child -> parent; units are few (hundreds), so one query beats recursion.

    Read once per session: one request asks several times (who may see a project, which boards an
    event goes to). Flushing a changed unit forgets it (`_forget_unit_tree`). Do not modify the result."""
    parents: dict[int, int | None] | None = session.info.get(PARENTS_KEY)
    if parents is None:
        rows = await session.execute(_UNIT_TREE)
        parents = session.info[PARENTS_KEY] = {unit_id: parent_id for unit_id, parent_id in rows.all()}
    return parents


@event.listens_for(Session, "after_flush")
def _forget_unit_tree(session: Session, _context: Any) -> None:
    if any(isinstance(o, Unit) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(PARENTS_KEY, None)


def ancestors_in(parents: dict[int, int | None], unit_id: int) -> list[int]:
    """The unit itself and every unit above it, nearest first."""
    chain: list[int] = []
    current: int | None = unit_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def subtree_in(parents: dict[int, int | None], unit_id: int) -> set[int]:
    """The unit and every unit below it."""
    return {child for child in parents if unit_id in ancestors_in(parents, child)}


async def unit_ancestors(session: AsyncSession, unit_id: int) -> list[int]:
    return ancestors_in(await unit_parents(session), unit_id)


async def unit_subtree(session: AsyncSession, unit_id: int) -> set[int]:
    return subtree_in(await unit_parents(session), unit_id)


UNIT_FIELDS = ("name", "parent_id", "population")


async def create_unit(session: AsyncSession, *, data: UnitCreate, by_id: int | None = None) -> Unit:
    """`by_id` is None when no person creates the unit (the demo loader, the bootstrap admin's unit)."""
    if data.parent_id is not None and await session.get(Unit, data.parent_id) is None:
        raise Invalid(f"Parent unit {data.parent_id} does not exist")
    unit = Unit.model_validate(data)
    session.add(unit)
    await session.flush()
    await record_change(
        session,
        actor_id=by_id,
        entity="unit",
        entity_id=unit.id,
        action="created",
        after={field: getattr(unit, field) for field in UNIT_FIELDS},
    )
    return unit


async def update_unit(session: AsyncSession, *, by_id: int, unit: Unit, data: UnitUpdate) -> Unit:
    """The history names only the fields whose value changed; a save that changes nothing adds no entry
    (the admin form always sends every field)."""
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Invalid("A unit needs a name")
    if changes.get("parent_id") is not None:
        parents = await unit_parents(session)
        if changes["parent_id"] not in parents:
            raise Invalid(f"Parent unit {changes['parent_id']} does not exist")
        if unit.id in ancestors_in(parents, changes["parent_id"]):
            raise Invalid("A unit cannot be placed under itself or one of its own sub-units")
    before = {
        field: getattr(unit, field) for field, value in changes.items() if getattr(unit, field) != value
    }
    for field in before:
        setattr(unit, field, changes[field])
    session.add(unit)
    await session.flush()
    if "parent_id" in before:  # leaders above its old place may no longer see its board
        access_changed(session, everyone=True)
    if before:
        await record_change(
            session,
            actor_id=by_id,
            entity="unit",
            entity_id=unit.id,
            action="updated",
            before=before,
            after={field: getattr(unit, field) for field in before},
        )
    return unit


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def create_user(
    session: AsyncSession, *, data: UserCreate, password_hash: str | None = None, by_id: int | None = None
) -> User:
    """`password_hash` is `data.password` hashed before the transaction began (hash_password_off_loop);
    it also lets a bulk loader hash one shared initial password once instead of per user."""
    if await session.get(Unit, data.unit_id) is None:
        raise Invalid(f"Unit {data.unit_id} does not exist")
    if data.supervisor_id is not None and await session.get(User, data.supervisor_id) is None:
        raise Invalid(f"Supervisor {data.supervisor_id} does not exist")
    if await session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(f"The username {data.username!r} is already taken")
    if await session.scalar(select(User.id).where(User.nip == data.nip)) is not None:
        raise Conflict(f"A user with NIP {data.nip} already exists")
    user = User.model_validate(
        data, update={"password_hash": password_hash or await hash_password_off_loop(data.password)}
    )
    session.add(user)
    await session.flush()
    await record_change(
        session,
        actor_id=by_id,
        entity="user",
        entity_id=user.id,
        action="created",
        subject_user_id=user.id,
        after={
            "username": user.username,
            "nip": user.nip,
            "role": user.role.value,
            "unit_id": user.unit_id,
            "supervisor_id": user.supervisor_id,
        },
    )
    return user


async def update_user(
    session: AsyncSession, *, by_id: int, user: User, data: UserUpdate, password_hash: str | None = None
) -> User:
    """A new password, a deactivation or a reactivation ends the user's sessions and revokes their
    tokens. `password_hash` is `data.password` already hashed (hash_password_off_loop), which the routes
    do before their first statement so that no write lock is held while argon2 runs.
    The last active admin cannot stop being one (409)."""
    changes = data.model_dump(exclude_unset=True)
    if "unit_id" in changes and await session.get(Unit, changes["unit_id"]) is None:
        raise Invalid(f"Unit {changes['unit_id']} does not exist")
    if changes.get("supervisor_id") is not None:
        if changes["supervisor_id"] == user.id:
            raise Invalid("A person cannot be their own supervisor")
        if await session.get(User, changes["supervisor_id"]) is None:
            raise Invalid(f"Supervisor {changes['supervisor_id']} does not exist")
    for field in ("name", "role", "unit_id", "is_active", "password"):
        if field in changes and changes[field] is None:
            raise Invalid(f"{field} cannot be empty")
    if user.role == Role.admin and user.is_active:
        if changes.get("role", Role.admin) != Role.admin or changes.get("is_active") is False:
            await _keep_an_admin(session, user)
    revoke = "password" in changes or changes.get("is_active", user.is_active) != user.is_active
    before = {field: getattr(user, field) for field in changes if field != "password"}
    if "password" in changes:
        new_password = changes.pop("password")
        user.password_hash = password_hash or await hash_password_off_loop(new_password)
    for field, value in changes.items():
        setattr(user, field, value)
    session.add(user)
    await session.flush()
    after = {field: getattr(user, field) for field in changes}
    if data.password is not None:
        after["password"] = "changed"
    await record_change(
        session,
        actor_id=by_id,
        entity="user",
        entity_id=user.id,
        action="updated",
        subject_user_id=user.id,
        before={k: (v.value if isinstance(v, Role) else v) for k, v in before.items()},
        after={k: (v.value if isinstance(v, Role) else v) for k, v in after.items()},
    )
    if revoke:
        await revoke_credentials(session, user)
    elif any(before.get(field) != getattr(user, field) for field in ("role", "unit_id") if field in before):
        access_changed(session, user_ids=[user.id])  # open boards they may no longer see close
    return user


async def _keep_an_admin(session: AsyncSession, user: User) -> None:
    """409 unless another active admin remains when `user` stops being one. Two admins demoting each
    other at once take turns (SQLite's writers already do), so the second sees the first's change."""
    await transaction_lock(session, "active-admins")
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, User.is_active, User.id != user.id)
    )
    if not others:
        raise Conflict(
            "The last active admin cannot be demoted or deactivated: make another person an admin first"
        )


async def list_users(session: AsyncSession, *, unit_ids: set[int] | None = None) -> list[User]:
    query = select(User).order_by(User.name)
    if unit_ids is not None:
        query = query.where(User.unit_id.in_(unit_ids))
    return list((await session.scalars(query)).all())


async def active_user(session: AsyncSession, user_id: int | None) -> User | None:
    """The user behind a token or session, if they still exist and are not disabled."""
    if user_id is None:
        return None
    sync = session.sync_session
    user = sync.identity_map.get(sync.identity_key(User, user_id))
    if user is None:  # as session.get, with a statement built once: every request signs in through here
        user = (await session.execute(_USER_BY_ID, {"user_id": user_id})).scalar_one_or_none()
    return user if user is not None and user.is_active else None


async def start_web_session(session: AsyncSession, *, user: User, hours: int) -> tuple[str, WebSession]:
    """A new signed-in browser for `user`, as signed in (signin.sign_in's detached user): refused (401)
    if their credentials changed, or the account was disabled, since the password was checked. The row
    is read FOR UPDATE, so a revocation running at the same time (credentials.revoke_credentials) either
    comes first and is seen, or waits and then ends this session too."""
    current = (
        await session.execute(
            select(User.credentials_epoch, User.is_active).where(User.id == user.id).with_for_update()
        )
    ).one_or_none()
    if current is None or current.credentials_epoch != user.credentials_epoch or not current.is_active:
        raise NotAuthenticated("Incorrect username or password")
    token = new_token()
    started = clock.now()
    record = WebSession(
        token_hash=token_digest(token),
        user_id=user.id,
        csrf_token=new_token(),
        created_at=started,
        expires_at=started + timedelta(hours=hours),
    )
    session.add(record)
    await session.flush()
    return token, record


async def find_web_session(session: AsyncSession, token: str | None) -> WebSession | None:
    if not token:
        return None
    record = await session.get(WebSession, token_digest(token))
    if record is None or record.expires_at <= clock.now():
        return None
    return record


async def renew_web_session(record: WebSession, *, hours: int, max_days: int) -> datetime:
    """A browser in use (a wall screen left on for days) keeps its session: it ends `hours` from now
    instead, but never later than `max_days` after signing in, so a forgotten screen still signs out."""
    latest = record.created_at + timedelta(days=max_days)
    record.expires_at = max(record.expires_at, min(clock.now() + timedelta(hours=hours), latest))
    return record.expires_at


async def end_web_session(session: AsyncSession, token: str | None) -> None:
    """Sign out: the session ends, and so do the board sockets opened with it."""
    if token:
        digest = token_digest(token)
        ended = await session.scalars(
            delete(WebSession).where(WebSession.token_hash == digest).returning(WebSession.user_id)
        )
        for user_id in ended.all():
            access_changed(session, user_ids=[user_id], session_hash=digest)


async def ensure_bootstrap_admin(session: AsyncSession, spec: str, unit_name: str = "BKPSDM") -> User | None:
    """PANTAU_BOOTSTRAP_ADMIN=username:password creates that admin when the database has no user."""
    await transaction_lock(session, "bootstrap-admin")  # several processes may start at once
    if await session.scalar(select(User.id).limit(1)) is not None:
        return None
    username, _, password = spec.partition(":")
    if not username or not password:
        raise ValueError("PANTAU_BOOTSTRAP_ADMIN must be username:password")
    unit = await session.scalar(select(Unit).order_by(Unit.id).limit(1))
    if unit is None:
        unit = await create_unit(session, data=UnitCreate(name=unit_name))
    admin = User(
        username=username,
        name="Administrator",
        nip="000000000000000000",
        role=Role.admin,
        unit_id=unit.id,
        password_hash=hash_password(password),
    )
    session.add(admin)
    await session.flush()
    return admin
