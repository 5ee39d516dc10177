"""The performance pages: a person's indicators and their sources, the supervisor's evaluation, a unit's
predikat distribution and its targets. Thin: every rule (who may see, rate or set) is the service's."""

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.service import list_units, subtree_in, unit_parents
from server.deps import PeriodDep, SessionDep
from server.errors import Forbidden
from server.pages.forms import attempt
from server.pages.i18n import N_, localise
from server.pages.render import environment, render
from server.pages.routes import PageUser, check_csrf
from server.performance import service
from server.performance.access import rateable_person, require_unit_overview
from server.performance.models import BERAKHLAK, BehaviourSet, EvaluationSet
from server.performance.periods import Period
from server.performance.rules import (
    DISTRIBUTION_RULES,
    ORGANISATION_RESULTS,
    PREDIKATS,
    RATING_LABELS_ID,
    RATINGS,
    predikat,
)
from server.performance.targets import (
    INDICATOR_KEYS,
    INDICATOR_UNITS,
    THRESHOLD_KEYS,
    set_targets,
    targets_in_force,
)
from server.performance.unit_results import unrealistic_target_warnings
from server.performance.views import (
    period_choices,
    period_label,
    period_short,
    rating_history,
    reasoning,
    source_label,
    trend,
)
from server.projects.access import can_see_unit

router = APIRouter(include_in_schema=False)

# `pesan` words a domain message (an explanation, a warning) in the page's language.
environment.filters.update(periode=period_label, periode_pendek=period_short, pesan=localise)
environment.globals.update(rating_labels=RATING_LABELS_ID, predikats=PREDIKATS)


def _saved(request: Request) -> bool:
    return request.query_params.get("saved") == "1"


def _back(path: str, period: Period) -> RedirectResponse:
    return RedirectResponse(f"{path}?period={period}&saved=1", status_code=303)


# --- person --------------------------------------------------------------------------------------------


async def _person_context(
    session: AsyncSession, viewer: User, person_id: int, period: Period
) -> dict[str, Any]:
    read = await service.performance(session, viewer=viewer, user_id=person_id, period=period)
    person = await session.get(User, person_id)
    assert person is not None
    in_force = await targets_in_force(session, unit_id=person.unit_id, period=period)
    unit_names = {u.id: u.name for u in await list_units(session)}
    targets = in_force.as_api()
    return {
        "person": person,
        "unit_name": unit_names.get(person.unit_id, "–"),
        "supervisor": await session.get(User, person.supervisor_id) if person.supervisor_id else None,
        "perf": read,
        "target_sources": {k: source_label(v["source"], unit_names) for k, v in targets["targets"].items()},
        "reasoning": reasoning(read, in_force),
        "history": await rating_history(session, person_id),
        "period": period,
        "choices": period_choices(period),
        "can_rate": viewer.role == Role.admin or person.supervisor_id == viewer.id,
        "can_overview": can_see_unit(viewer, person.unit_id, await unit_parents(session)),
    }


@router.get("/people/{user_id}", response_class=HTMLResponse)
async def person_page(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    """A person's indicators for a period, each number linked to the records that produced it."""
    context = await _person_context(session, user, user_id, period)
    return render(request, "person.html", trend=await trend(session, context["person"], period), **context)


# --- evaluation ----------------------------------------------------------------------------------------


async def _evaluation(
    request: Request,
    session: AsyncSession,
    viewer: User,
    person_id: int,
    period: Period,
    *,
    status_code: int = 200,
    error: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    await rateable_person(session, viewer, person_id)
    context = await _person_context(session, viewer, person_id, period)
    return render(
        request,
        "evaluation.html",
        status_code=status_code,
        error=error,
        form=form,
        saved=_saved(request) and error is None,
        ratings=RATINGS,
        values=BERAKHLAK,
        matrix=[(h, [(p, predikat(h, p)) for p in ("below", "meets", "above")]) for h in RATINGS],
        **context,
    )


@router.get("/people/{user_id}/evaluation", response_class=HTMLResponse)
async def evaluation_page(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    return await _evaluation(request, session, user, user_id, period)


@router.post("/people/{user_id}/evaluation")
async def post_evaluation(
    request: Request,
    user_id: int,
    session: SessionDep,
    user: PageUser,
    period: PeriodDep,
    csrf_token: Annotated[str, Form()] = "",
    hasil_kerja: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Confirm the suggested hasil kerja, or override it with a reason (service.set_evaluation)."""
    check_csrf(request, csrf_token)
    form = {"hasil_kerja": hasil_kerja, "reason": reason}
    try:
        data = EvaluationSet(hasil_kerja=hasil_kerja, reason=reason or None)  # type: ignore[arg-type]
    except ValidationError:
        message = N_("Pilih salah satu rating hasil kerja; alasan paling banyak 4000 karakter.")
        return await _evaluation(
            request, session, user, user_id, period, status_code=422, error={"hasil": message}, form=form
        )
    _, problem = await attempt(
        lambda: service.set_evaluation(session, by=user, user_id=user_id, period=period, data=data),
        session=session,
        reload=(user,),  # the page is drawn again for the signed-in user
    )
    if problem:
        return await _evaluation(
            request, session, user, user_id, period, status_code=422, error={"hasil": problem}, form=form
        )
    return _back(f"/people/{user_id}/evaluation", period)


@router.post("/people/{user_id}/behaviour")
async def post_behaviour(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    """The perilaku kerja rating with an optional note, overall and per BerAKHLAK value."""
    posted = await request.form(max_files=0, max_fields=20)
    fields = {key: value for key, value in posted.items() if isinstance(value, str)}
    check_csrf(request, fields.get("csrf_token", ""))
    notes = {name: fields.get(f"value_{i}", "").strip() for i, name in enumerate(BERAKHLAK)}
    form = {"rating": fields.get("rating", ""), "note": fields.get("note", "")} | {
        f"value_{i}": fields.get(f"value_{i}", "") for i in range(len(BERAKHLAK))
    }
    try:
        data = BehaviourSet(
            rating=form["rating"],  # type: ignore[arg-type]
            note=form["note"].strip() or None,
            values={k: v for k, v in notes.items() if v} or None,
        )
    except ValidationError:
        message = N_("Pilih salah satu rating perilaku kerja; catatan paling banyak 4000 karakter.")
        return await _evaluation(
            request, session, user, user_id, period, status_code=422, error={"perilaku": message}, form=form
        )
    await service.set_behaviour(session, by=user, user_id=user_id, period=period, data=data)
    return _back(f"/people/{user_id}/evaluation", period)


# --- unit distribution ---------------------------------------------------------------------------------


async def _distribution(
    request: Request,
    session: AsyncSession,
    viewer: User,
    unit_id: int,
    period: Period,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    result = await service.distribution(session, viewer=viewer, unit_id=unit_id, period=period)
    parents = await unit_parents(session)
    staff = await service.unit_staff(session, unit_id, subtree_in(parents, unit_id))
    ratings = await service.ratings_of(session, [u.id for u in staff if u.id is not None], period)
    unit_names = {u.id: u.name for u in await list_units(session)}
    people = []
    for person in staff:
        rating = ratings.get(person.id)  # type: ignore[arg-type]
        hasil, perilaku = (rating.hasil_kerja, rating.perilaku) if rating else (None, None)
        people.append(
            {
                "id": person.id,
                "name": person.name,
                "unit": unit_names.get(person.unit_id, "–"),
                "hasil_kerja": hasil,
                "perilaku": perilaku,
                "predikat": predikat(hasil, perilaku),
            }
        )
    return render(
        request,
        "unit_distribution.html",
        status_code=status_code,
        unit_name=unit_names[unit_id],
        unit_id=unit_id,
        dist=result,
        people=people,
        rules=DISTRIBUTION_RULES,
        organisation_results=ORGANISATION_RESULTS,
        period=period,
        choices=period_choices(period),
        error=error,
        saved=_saved(request) and error is None,
    )


@router.get("/units/{unit_id}/distribution", response_class=HTMLResponse)
async def distribution_page(
    request: Request, unit_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    """The unit's predikat next to the SE MenPANRB 03/2023 rule for its organisation result."""
    return await _distribution(request, session, user, unit_id, period)


@router.post("/units/{unit_id}/organisation-result")
async def post_organisation_result(
    request: Request,
    unit_id: int,
    session: SessionDep,
    user: PageUser,
    period: PeriodDep,
    csrf_token: Annotated[str, Form()] = "",
    result: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    await _require_admin_of(session, user, unit_id)
    if result not in ORGANISATION_RESULTS:
        message = N_("Pilih salah satu capaian kinerja organisasi dari daftar.")
        return await _distribution(request, session, user, unit_id, period, status_code=422, error=message)
    await service.set_organisation_result(session, by=user, unit_id=unit_id, period=period, result=result)
    return _back(f"/units/{unit_id}/distribution", period)


async def _require_admin_of(session: AsyncSession, user: User, unit_id: int) -> None:
    """404 for a unit the user cannot see (as the API), 403 for a leader who sees it but is not an admin."""
    await require_unit_overview(session, user, unit_id)
    if user.role != Role.admin:
        raise Forbidden(N_("Hanya admin (BKPSDM) yang dapat mengubah nilai ini."))


# --- targets -------------------------------------------------------------------------------------------

FIELDS = [(f"target_{key}", "targets", key) for key in INDICATOR_KEYS] + [
    (f"threshold_{name}", "thresholds", name) for name in THRESHOLD_KEYS
]


def _own_values(targets: dict[str, Any], period: Period) -> dict[str, Decimal]:
    """The values set on this very unit for this very period: what the form edits (others are inherited)."""
    own = {}
    for field, group, key in FIELDS:
        entry = targets[group][key]
        source = entry["source"]
        if source["kind"] == "this_unit" and source["period"] == str(period):
            own[field] = entry["target" if group == "targets" else "value"]
    return own


async def _targets(
    request: Request,
    session: AsyncSession,
    viewer: User,
    unit_id: int,
    period: Period,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    await require_unit_overview(session, viewer, unit_id)
    in_force = await targets_in_force(session, unit_id=unit_id, period=period)
    targets = in_force.as_api()
    unit_names = {u.id: u.name for u in await list_units(session)}
    own = _own_values(targets, period)
    return render(
        request,
        "unit_targets.html",
        status_code=status_code,
        unit_name=unit_names[unit_id],
        unit_id=unit_id,
        targets=targets,
        sources={
            field: source_label(targets[group][key]["source"], unit_names) for field, group, key in FIELDS
        },
        form=form if form is not None else {field: f"{value:g}" for field, value in own.items()},
        units=INDICATOR_UNITS,
        warnings=await unrealistic_target_warnings(session, in_force),
        period=period,
        choices=period_choices(period, planning=True),
        error=error,
        saved=_saved(request) and error is None,
    )


@router.get("/admin/units/{unit_id}/targets", response_class=HTMLResponse)
async def targets_page(
    request: Request, unit_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    """Targets and thresholds in force with where each comes from; admins set them here."""
    return await _targets(request, session, user, unit_id, period)


def _changes(fields: dict[str, str], own: dict[str, Decimal]) -> dict[str, dict[str, str | None]]:
    """The PUT body for what the form changed: a new value, or null to clear a value set here."""
    body: dict[str, dict[str, str | None]] = {"targets": {}, "thresholds": {}}
    for field, group, key in FIELDS:
        raw = fields.get(field, "").strip().replace(",", ".")
        if not raw:
            if field in own:
                body[group][key] = None
            continue
        try:
            unchanged = field in own and Decimal(raw) == own[field]
        except InvalidOperation:
            unchanged = False  # set_targets names the field that is not a number
        if not unchanged:
            body[group][key] = raw
    return body


@router.post("/admin/units/{unit_id}/targets")
async def post_targets(
    request: Request, unit_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    posted = await request.form(max_files=0, max_fields=20)
    fields = {key: value for key, value in posted.items() if isinstance(value, str)}
    check_csrf(request, fields.get("csrf_token", ""))
    await _require_admin_of(session, user, unit_id)
    form = {field: fields.get(field, "") for field, _, _ in FIELDS}
    current = (await targets_in_force(session, unit_id=unit_id, period=period)).as_api()
    body = _changes(fields, _own_values(current, period))
    if not body["targets"] and not body["thresholds"]:
        message = N_("Tidak ada nilai yang berubah. Isi atau ubah sedikitnya satu nilai, lalu simpan.")
        return await _targets(
            request, session, user, unit_id, period, status_code=422, error=message, form=form
        )
    _, problem = await attempt(
        lambda: set_targets(session, by_id=user.id, unit_id=unit_id, period=period, body=body),  # type: ignore[arg-type]
        session=session,
        reload=(user,),
    )
    if problem:
        return await _targets(
            request, session, user, unit_id, period, status_code=422, error=problem, form=form
        )
    return _back(f"/admin/units/{unit_id}/targets", period)
