"""Performance (API v1): indicators, ratings, targets, distribution, exports and period locks."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from server import downloads
from server.bodylimit import API_BODY_LIMIT, body_limited_route
from server.calendar import locks
from server.calendar.models import PeriodUnlock
from server.calendar.periods import (
    MAX_PARSED_YEAR,
    MIN_PARSED_YEAR,
    InvalidPeriod,
    Period,
    parse_period,
    today_jakarta,
)
from server.deps import AdminUser, CurrentUser, PeriodDep, SessionDep
from server.errors import ERROR_RESPONSES, Invalid
from server.jsonenc import plain
from server.performance import dialog, distribution, exports, service, team
from server.performance.access import require_unit_overview
from server.performance.messages import in_indonesian
from server.performance.models import BehaviourSet, DialogEntryRead, EvaluationSet, OrganisationResultSet
from server.performance.targets import set_targets, targets_in_force
from server.performance.unit_results import unrealistic_target_warnings

router = APIRouter(
    prefix="/api/v1",
    tags=["performance"],
    responses=ERROR_RESPONSES,
    route_class=body_limited_route(API_BODY_LIMIT),
)


@router.get("/users/{user_id}/performance")
async def read_performance(
    user_id: int, period: PeriodDep, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """A person's indicators for a period, each with its target, achievement and the records behind it."""
    return _api(await service.performance(session, viewer=user, user_id=user_id, period=period))


@router.get("/me/team")
async def read_team(period: PeriodDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The people the caller rates ("Tim saya"), each with their status in the period, and which of them
    still wait for a confirmed rating of the last ended period (`pending_evaluations`)."""
    return _api((await team.team(session, rater=user, period=period)).as_api())


@router.put("/users/{user_id}/behaviour")
async def set_behaviour(
    user_id: int, body: BehaviourSet, period: PeriodDep, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """The supervisor's rating of perilaku kerja, with an optional note per BerAKHLAK value."""
    return _api(await service.set_behaviour(session, by=user, user_id=user_id, period=period, data=body))


@router.put("/users/{user_id}/evaluation")
async def set_evaluation(
    user_id: int, body: EvaluationSet, period: PeriodDep, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """Confirm the suggested hasil kerja rating, or override it with a reason."""
    return _api(await service.set_evaluation(session, by=user, user_id=user_id, period=period, data=body))


@router.get("/units/{unit_id}/targets")
async def read_targets(
    unit_id: int, period: PeriodDep, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """Targets and rating thresholds in force, each with where its value comes from."""
    await require_unit_overview(session, user, unit_id)
    return _api((await targets_in_force(session, unit_id=unit_id, period=period)).as_api())


@router.put("/units/{unit_id}/targets")
async def write_targets(
    unit_id: int,
    period: PeriodDep,
    session: SessionDep,
    admin: AdminUser,
    body: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """Set targets and/or thresholds for this unit and period (null clears one). Saved even when a
    target looks unrealistic; `warnings` says so."""
    await require_unit_overview(session, admin, unit_id)
    in_force = await set_targets(session, by_id=admin.id, unit_id=unit_id, period=period, body=body)
    warnings = list(in_force.warnings) + await unrealistic_target_warnings(session, in_force)
    return _api(in_force.as_api() | {"warnings": warnings})


@router.put("/units/{unit_id}/organisation-result")
async def write_organisation_result(
    unit_id: int, body: OrganisationResultSet, period: PeriodDep, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """Capaian kinerja organisasi: set by an admin or a leader of the unit one level above (not the
    unit's own head). A unit head's suggested hasil kerja follows it."""
    return _api(
        await distribution.set_organisation_result(
            session, by=user, unit_id=unit_id, period=period, result=body.result
        )
    )


@router.get("/units/{unit_id}/distribution")
async def read_distribution(
    unit_id: int, period: PeriodDep, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """How the unit's predikat are distributed over all its staff (the unrated counted as
    `belum_dinilai`), against the rule for its organisation result."""
    return _api(await distribution.distribution(session, viewer=user, unit_id=unit_id, period=period))


@router.get("/units/{unit_id}/performance.csv", response_class=Response)
async def export_csv(
    unit_id: int,
    period: PeriodDep,
    session: SessionDep,
    user: CurrentUser,
    dialect: Annotated[
        exports.Dialect,
        Query(
            description="`excel-us` (the default): fields separated by commas, decimal points. `id`: for "
            "Excel set to Indonesian, fields separated by semicolons, decimal commas. Both start with a "
            "UTF-8 byte-order mark and write dates as ISO 8601."
        ),
    ] = exports.API_DEFAULT_DIALECT,
) -> Response:
    """One row per ASN of the unit and its sub-units: indicators, ratings and predikat in Indonesian
    words, the date hasil kerja was confirmed."""
    unit, rows = await exports.unit_table(session, viewer=user, unit_id=unit_id, period=period)
    filename = f"{exports.file_stem(unit, period)}.csv"
    return _download(exports.as_csv(rows, dialect), filename, exports.CSV_MEDIA_TYPE)


@router.get("/units/{unit_id}/performance.xlsx", response_class=Response)
async def export_xlsx(unit_id: int, period: PeriodDep, session: SessionDep, user: CurrentUser) -> Response:
    """The same table as an Excel workbook: number and date cells, texts as text (an 18-digit NIP too)."""
    unit, rows = await exports.unit_table(session, viewer=user, unit_id=unit_id, period=period)
    filename = f"{exports.file_stem(unit, period)}.xlsx"
    return _download(exports.as_xlsx(rows, str(period)), filename, exports.XLSX_MEDIA_TYPE)


# --- periods -------------------------------------------------------------------------------------------


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except InvalidPeriod as exc:
        raise Invalid(str(exc)) from None


@router.get("/periods")
async def read_periods(
    session: SessionDep, user: CurrentUser, year: Annotated[int | None, Query()] = None
) -> list[dict[str, Any]]:
    """Whether each month, quarter and the year itself is locked (default: this year in WIB)."""
    year = year if year is not None else today_jakarta().year
    if not MIN_PARSED_YEAR <= year <= MAX_PARSED_YEAR:
        raise Invalid(f"year must be between {MIN_PARSED_YEAR} and {MAX_PARSED_YEAR}")
    return plain(await locks.period_states(session, year=year))


@router.post("/periods/{period}/lock")
async def lock_period(period: str, session: SessionDep, admin: AdminUser) -> dict[str, Any]:
    """Lock a period that has ended: no rating, correction or source change counts into it any more
    (409 `period locked`). A period still running cannot be locked (422)."""
    return plain(await locks.lock_period(session, by_id=admin.id, period=_period(period)))


@router.post("/periods/{period}/unlock")
async def unlock_period(
    period: str, body: PeriodUnlock, session: SessionDep, admin: AdminUser
) -> dict[str, Any]:
    """Unlock a period, with a reason of at least 10 characters kept in the history."""
    return plain(
        await locks.unlock_period(session, by_id=admin.id, period=_period(period), reason=body.reason)
    )


def _download(content: bytes, filename: str, media_type: str) -> Response:
    return Response(content, media_type=media_type, headers=downloads.attachment(filename))


def _api(value: Any) -> Any:
    """A service's result as the API sends it: the explanations and warnings in Indonesian, whatever
    Accept-Language says (the pages word the same messages in the reader's language)."""
    return plain(in_indonesian(value))


# --- dialog kinerja ------------------------------------------------------------------------------------


@router.get("/users/{user_id}/dialog")
async def read_dialog(
    user_id: int, period: PeriodDep, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """The period's dialog kinerja between the person and their rater, oldest entry first, each with its
    earlier versions (`revisions`); `may_write` lists the kinds the caller may add. Readable by the two
    of them, the rater's chain and admins; 404 for anyone else."""
    subject, _ = await dialog.readable_subject(session, user, user_id)
    return plain(await dialog.dialog_of(session, viewer=user, subject=subject, period=period))


@router.post("/users/{user_id}/dialog", status_code=201)
async def add_dialog_entry(
    user_id: int, body: dialog.DialogEntryCreate, session: SessionDep, user: CurrentUser
) -> DialogEntryRead:
    """Add a note or an action (the rater; an action needs a due date, today or later) or a reply (the
    person) to a period's dialog; the other party is notified. 409 when the period is locked."""
    subject, _ = await dialog.readable_subject(session, user, user_id)
    return await dialog.add_entry(
        session,
        by=user,
        subject=subject,
        period=_period(body.period),
        kind=body.kind,
        text=body.text,
        due_date=body.due_date,
        reply_to=body.reply_to,
    )


@router.patch("/dialog/{entry_id}")
async def edit_dialog_entry(
    entry_id: int, body: dialog.DialogEntryEdit, session: SessionDep, user: CurrentUser
) -> DialogEntryRead:
    """Change an entry's text (and an action's due date): only its author, while the period is not
    locked. The previous version is kept in `revisions`."""
    return await dialog.edit_entry(
        session, by=user, entry_id=entry_id, text=body.text, due_date=body.due_date
    )
