"""Dialog kinerja (PermenPANRB 6/2022: umpan balik berkelanjutan): for each person and period, a thread
between the ASN and their rater: the rater's notes and agreed actions (with a due date), the ASN's
replies.

Private: the two of them write; the rater's own chain (their supervisors, and the leaders of the units
above the rater) and admins read; anyone else is told the person does not exist (404). Append-only: an
entry is never deleted, and an edit (by its author, while the period is not locked) keeps the previous
text in a DialogRevision and the change in the history."""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from server import clock
from server.accounts.models import Role, User
from server.accounts.raters import is_unit_head, rater_ids
from server.accounts.service import unit_parents
from server.audit import record_change
from server.calendar.locks import locked_periods, require_unlocked
from server.calendar.periods import Period, parse_period, today_jakarta
from server.errors import Forbidden, Invalid, NotFound
from server.notifications.service import notify
from server.performance.access import supervisor_chain
from server.performance.models import DialogEntry, DialogEntryRead, DialogRevision, DialogRevisionRead
from server.projects.access import leads_unit
from server.text import N_, Note

Kind = Literal["note", "action", "reply"]
# Who writes which kind: the rater notes and agrees actions, the ASN replies.
KINDS_BY_ROLE: dict[str, tuple[str, ...]] = {"rater": ("note", "action"), "subject": ("reply",)}

# The other party is told of each new entry (notification kind "dialog"), in their language.
MESSAGES = {
    "note": N_("%(name)s menulis catatan dalam dialog kinerja %(period)s"),
    "action": N_("%(name)s menambahkan tindak lanjut dalam dialog kinerja %(period)s"),
    "reply": N_("%(name)s membalas dalam dialog kinerja %(period)s"),
}


def _required(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", "must not be blank")
    return value


DialogText = Annotated[Note, AfterValidator(_required)]
"""An entry's text: several lines, 1-4,000 characters after cleaning."""


class DialogEntryCreate(SQLModel):
    period: str
    kind: Kind
    text: DialogText
    due_date: date | None = None
    reply_to: int | None = None


class DialogEntryEdit(SQLModel):
    text: DialogText
    due_date: date | None = None


# --- who may do what -----------------------------------------------------------------------------------


async def role_of(session: AsyncSession, viewer: User, subject: User) -> str | None:
    """ "subject" or "rater" (they write), "reader" (the rater's chain, admins), or None (404)."""
    if viewer.id == subject.id:
        return "subject"
    raters = await rater_ids(session, subject)
    if viewer.id in raters:
        return "rater"  # rater_ids never holds an admin
    if viewer.role == Role.admin or await _above_a_rater(session, viewer, raters):
        return "reader"
    return None


async def _above_a_rater(session: AsyncSession, viewer: User, raters: list[int]) -> bool:
    """The rater's chain: a supervisor of the rater (at any height), or a leader of a unit above them —
    the rater's own unit when the rater is not its head, else from its parent up (a unit's fellow head
    is the rater's peer, not above them)."""
    parents = await unit_parents(session)
    for rater_id in raters:
        rater = await session.get(User, rater_id)
        if rater is None:
            continue
        if viewer.id in await supervisor_chain(session, rater):
            return True
        start = parents.get(rater.unit_id) if is_unit_head(rater, rater.unit_id) else rater.unit_id
        if start is not None and leads_unit(viewer, start, parents):
            return True
    return False


async def readable_subject(session: AsyncSession, viewer: User, user_id: int) -> tuple[User, str]:
    """The person whose dialog the viewer asks for, and the viewer's role in it; 404 for anyone else."""
    subject = await session.get(User, user_id)
    role = await role_of(session, viewer, subject) if subject is not None else None
    if subject is None or role is None:
        raise NotFound("User not found")
    return subject, role


# --- reading -------------------------------------------------------------------------------------------


async def dialog_of(session: AsyncSession, *, viewer: User, subject: User, period: Period) -> dict[str, Any]:
    """The period's thread, oldest first, each entry with its earlier versions; which kinds the viewer may
    write (none when the period is locked); whether the period is locked. 404 for those who may not read."""
    role = await role_of(session, viewer, subject)
    if role is None:
        raise NotFound("User not found")
    entries = list(
        (
            await session.scalars(
                select(DialogEntry)
                .where(col(DialogEntry.subject_id) == subject.id, col(DialogEntry.period) == str(period))
                .order_by(col(DialogEntry.created_at), col(DialogEntry.id))
            )
        ).all()
    )
    revisions: dict[int, list[DialogRevisionRead]] = {}
    if entries:
        rows = await session.scalars(
            select(DialogRevision)
            .where(col(DialogRevision.entry_id).in_([e.id for e in entries]))
            .order_by(col(DialogRevision.replaced_at), col(DialogRevision.id))
        )
        for row in rows.all():
            revisions.setdefault(row.entry_id, []).append(DialogRevisionRead.model_validate(row.model_dump()))
    locked = bool(await locked_periods(session, [str(period)]))
    return {
        "subject_id": subject.id,
        "period": str(period),
        "locked": locked,
        "role": role,
        "may_write": [] if locked else list(KINDS_BY_ROLE.get(role, ())),
        "entries": [_read(entry, revisions.get(entry.id or 0, [])) for entry in entries],
    }


def _read(entry: DialogEntry, revisions: list[DialogRevisionRead]) -> DialogEntryRead:
    return DialogEntryRead.model_validate({**entry.model_dump(), "revisions": revisions})


# --- writing -------------------------------------------------------------------------------------------


def _check_due_date(kind: str, due_date: date | None, *, unchanged: date | None = None) -> None:
    if kind != "action":
        if due_date is not None:
            raise Invalid("Only an action has a due date")
        return
    if due_date is None:
        raise Invalid("An action needs a due date")
    if due_date != unchanged and due_date < today_jakarta():
        raise Invalid("An action's due date must be today or later")


async def add_entry(
    session: AsyncSession,
    *,
    by: User,
    subject: User,
    period: Period,
    kind: str,
    text: str,
    due_date: date | None = None,
    reply_to: int | None = None,
) -> DialogEntryRead:
    """Append an entry to the period's dialog and tell the other party. The rater writes notes and actions
    (an action with a due date, today or later), the ASN replies (optionally to one entry)."""
    role = await role_of(session, by, subject)
    if role is None:
        raise NotFound("User not found")
    if kind not in MESSAGES:
        raise Invalid("kind must be note, action or reply")
    if kind not in KINDS_BY_ROLE.get(role, ()):
        raise Forbidden(
            "Only the person's rater writes notes and actions, and only the person replies; "
            "the rater's chain and admins read the dialog"
        )
    text = text.strip()
    if not text:
        raise Invalid("text must not be blank")
    _check_due_date(kind, due_date)
    await require_unlocked(session, period)
    replied = await _replied_entry(session, subject, period, kind, reply_to)
    assert by.id is not None and subject.id is not None
    entry = DialogEntry(
        subject_id=subject.id,
        period=str(period),
        author_id=by.id,
        kind=kind,
        text=text,
        due_date=due_date,
        reply_to=reply_to,
    )
    session.add(entry)
    await session.flush()
    assert entry.id is not None
    await record_change(
        session,
        actor_id=by.id,
        entity="dialog_entry",
        entity_id=entry.id,
        action="created",
        after=_state(entry),
        subject_user_id=subject.id,
        period=str(period),
    )
    await _tell_other_party(session, by=by, subject=subject, period=period, kind=kind, replied=replied)
    return _read(entry, [])


async def _replied_entry(
    session: AsyncSession, subject: User, period: Period, kind: str, reply_to: int | None
) -> DialogEntry | None:
    if reply_to is None:
        return None
    if kind != "reply":
        raise Invalid("Only a reply refers to an earlier entry")
    replied = await session.get(DialogEntry, reply_to)
    if replied is None or replied.subject_id != subject.id or replied.period != str(period):
        raise Invalid("reply_to must be an entry of this dialog")
    return replied


async def _tell_other_party(
    session: AsyncSession, *, by: User, subject: User, period: Period, kind: str, replied: DialogEntry | None
) -> None:
    """The rater's entry goes to the ASN (on their person page); the ASN's reply to the author of the
    entry it answers (when not their own), else to their rater(s) (on the evaluation page)."""
    if by.id == subject.id:
        answered = replied.author_id if replied is not None and replied.author_id != subject.id else None
        recipients = [answered] if answered is not None else await rater_ids(session, subject)
        url = f"/people/{subject.id}/evaluation?period={period}#dialog"
    else:
        recipients = [subject.id]  # type: ignore[list-item]
        url = f"/people/{subject.id}?period={period}#dialog"
    await notify(
        session,
        user_ids=recipients,
        kind="dialog",
        message=MESSAGES[kind],
        params={"name": by.name, "period": str(period)},
        url=url,
    )


async def edit_entry(
    session: AsyncSession, *, by: User, entry_id: int, text: str, due_date: date | None = None
) -> DialogEntryRead:
    """Change an entry's text (and an action's due date; None keeps it). Only its author, while they may
    still write in the dialog and its period is not locked; the previous version is kept."""
    entry = await session.get(DialogEntry, entry_id, with_for_update=True)
    subject = await session.get(User, entry.subject_id) if entry is not None else None
    role = await role_of(session, by, subject) if subject is not None else None
    if entry is None or subject is None or role is None:
        raise NotFound("Dialog entry not found")
    if entry.author_id != by.id or role not in KINDS_BY_ROLE:
        raise Forbidden("Only the author of a dialog entry may change it")
    text = text.strip()
    if not text:
        raise Invalid("text must not be blank")
    if entry.kind == "action" and due_date is None:
        due_date = entry.due_date
    _check_due_date(entry.kind, due_date, unchanged=entry.due_date)
    await require_unlocked(session, _period_of(entry))
    if text == entry.text and due_date == entry.due_date:
        return await _entry_read(session, entry)
    before = _state(entry)
    assert by.id is not None and entry.id is not None
    session.add(
        DialogRevision(
            entry_id=entry.id,
            text=entry.text,
            due_date=entry.due_date,
            replaced_at=clock.now(),
            replaced_by=by.id,
        )
    )
    entry.text, entry.due_date, entry.edited_at = text, due_date, clock.now()
    session.add(entry)
    await session.flush()
    await record_change(
        session,
        actor_id=by.id,
        entity="dialog_entry",
        entity_id=entry.id,
        action="edited",
        before=before,
        after=_state(entry),
        subject_user_id=entry.subject_id,
        period=entry.period,
    )
    return await _entry_read(session, entry)


def _period_of(entry: DialogEntry) -> Period:
    return parse_period(entry.period)


async def _entry_read(session: AsyncSession, entry: DialogEntry) -> DialogEntryRead:
    rows = await session.scalars(
        select(DialogRevision)
        .where(col(DialogRevision.entry_id) == entry.id)
        .order_by(col(DialogRevision.replaced_at), col(DialogRevision.id))
    )
    return _read(entry, [DialogRevisionRead.model_validate(r.model_dump()) for r in rows.all()])


def _state(entry: DialogEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "text": entry.text,
        "due_date": entry.due_date.isoformat() if entry.due_date else None,
        "reply_to": entry.reply_to,
    }
