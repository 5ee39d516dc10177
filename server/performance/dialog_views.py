"""What the dialog kinerja partial (web/templates/_dialog.html) draws on the person and evaluation pages:
the period's thread for a viewer who may read it, the names it mentions, and what that viewer may write.
A separate module so that pages.py (which adds it to its context) and dialog_pages.py (which draws those
pages again with a refused form) both import it without importing each other."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.calendar.periods import Period, today_jakarta
from server.performance import dialog
from server.performance.views import people_names


async def dialog_view(
    session: AsyncSession,
    viewer: User,
    person: User,
    period: Period,
    *,
    problem: str | None = None,
    problem_at: str | None = None,
    form: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """The thread as the partial draws it, or None when the viewer may not read it (the partial is left
    out). A refused form comes back with its message (`problem`), where it belongs (`problem_at`: "new"
    or the entry's id) and what was typed (`form`)."""
    if await dialog.role_of(session, viewer, person) is None:
        return None
    read = await dialog.dialog_of(session, viewer=viewer, subject=person, period=period)
    entries = [entry.model_dump() for entry in read["entries"]]
    mentioned = {e["author_id"] for e in entries} | {
        r["replaced_by"] for e in entries for r in e["revisions"]
    }
    return {
        **read,
        "entries": entries,
        "names": await people_names(session, mentioned),
        "today": today_jakarta(),
        "problem": problem,
        "problem_at": problem_at,
        "form": form or {},
    }
