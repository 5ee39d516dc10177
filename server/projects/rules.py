"""The rules a milestone's dates, reasons and scores must keep (DOMAIN.md §1b), each in one place so the
API, the pages, the demo and the tests all meet the same ones. Each refusal is a 422 that says what to do."""

from datetime import date

from server import clock
from server.calendar.periods import MAX_PARSED_YEAR, MIN_PARSED_YEAR
from server.errors import Invalid
from server.projects.models import Milestone, Project

REASON_MIN_CHARS = 10
# Scores that say the work was far from ordinary need a note saying why (bukti dukung).
QUALITY_NEEDING_NOTE = (1, 2, 5)
# Dates outside these years are typing mistakes, not plans; refusing them keeps every date countable.
EARLIEST_DAY = date(MIN_PARSED_YEAR, 1, 1)
LATEST_DAY = date(MAX_PARSED_YEAR, 12, 31)


def created_on(milestone: Milestone) -> date:
    """The WIB date the milestone was planned."""
    return milestone.created_at.astimezone(clock.JAKARTA).date()


def require_reason(reason: str | None, refusal: str) -> str:
    """A reason of at least 10 characters that are not blank, for the history; else 422 `refusal`."""
    text = (reason or "").strip()
    if len("".join(text.split())) < REASON_MIN_CHARS:
        raise Invalid(refusal)
    return text


def require_quality_note(quality: int, note: str | None) -> str | None:
    text = (note or "").strip() or None
    if quality in QUALITY_NEEDING_NOTE and text is None:
        raise Invalid(f"A quality score of {quality} needs a note saying why (bukti dukung)")
    return text


def check_date_in_range(day: date, field: str) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise Invalid(
            f"{field} {day.isoformat()} is out of range: use a date between "
            f"{EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"
        )


def check_due_date(due: date, project: Project, *, field: str = "due_date") -> None:
    """A due date a lead sets (plans, moves or corrects): today or later in WIB, and not before the
    project's start. Nobody can make work late retroactively by choosing a date in the past."""
    check_date_in_range(due, field)
    today = clock.today()
    if due < today:
        raise Invalid(
            f"{field} {due.isoformat()} is in the past (today is {today.isoformat()} WIB): "
            "choose today or a later date"
        )
    if due < project.start_date:
        raise Invalid(
            f"{field} {due.isoformat()} is before the project starts ({project.start_date.isoformat()})"
        )


def check_closed_on(closed_on: date, milestone: Milestone, *, admin: bool = False) -> None:
    """A closing date lies between the milestone's creation date (WIB) and today. An admin correcting
    the record may go back before the creation (work entered after it was done), never into the future."""
    today = clock.today()
    if closed_on > today:
        raise Invalid(
            f"closed_on {closed_on.isoformat()} is in the future (today is {today.isoformat()} WIB)"
        )
    if admin:
        check_date_in_range(closed_on, "closed_on")
        return
    planned = created_on(milestone)
    if closed_on < planned:
        raise Invalid(
            f"closed_on {closed_on.isoformat()} is before the milestone was created ({planned.isoformat()} WIB)"
        )
