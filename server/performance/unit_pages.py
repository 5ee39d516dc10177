"""A unit's pages: its predikat distribution next to the SE MenPANRB 03/2023 curve (with the form that
sets the organisation result), and its targets and thresholds. Thin: the rules are the services'."""

import re
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.accounts.service import list_units, subtree_in, unit_parents
from server.calendar.periods import Period
from server.deps import PeriodDep, SessionDep
from server.errors import Forbidden
from server.pages import i18n
from server.pages.deps import Form, PageForm, PageRoute, PageUser
from server.pages.forms import attempt
from server.pages.i18n import N_
from server.pages.render import render
from server.performance import distribution
from server.performance.access import (
    may_set_organisation_result,
    require_organisation_result_setter,
    require_unit_overview,
)
from server.performance.models import OrganisationResultSet
from server.performance.rules import DISTRIBUTION_RULES, ORGANISATION_RESULTS, predikat
from server.performance.service import ratings_of
from server.performance.targets import (
    INDICATOR_KEYS,
    INDICATOR_UNITS,
    TARGET_RANGES,
    THRESHOLD_KEYS,
    THRESHOLD_MAX,
    set_targets,
    targets_in_force,
    value_problem,
)
from server.performance.unit_results import unrealistic_target_warnings
from server.performance.views import period_choices, saved_redirect, source_label, was_saved

router = APIRouter(include_in_schema=False, route_class=PageRoute)


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
    result = await distribution.distribution(session, viewer=viewer, unit_id=unit_id, period=period)
    parents = await unit_parents(session)
    staff = await distribution.unit_staff(session, unit_id, subtree_in(parents, unit_id))
    ratings = await ratings_of(session, [u.id for u in staff if u.id is not None], period)
    unit_names = {u.id: u.name for u in await list_units(session)}
    people = []
    for person in staff:
        rating = ratings.get(person.id)
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
        can_set_result=may_set_organisation_result(viewer, unit_id, parents),
        period=period,
        choices=period_choices(period),
        error=error,
        saved=was_saved(request) and error is None,
    )


@router.get("/units/{unit_id}/distribution", response_class=HTMLResponse)
async def distribution_page(
    request: Request, unit_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    """The unit's predikat next to the SE MenPANRB 03/2023 rule for its organisation result."""
    return await _distribution(request, session, user, unit_id, period)


@router.post("/units/{unit_id}/organisation-result")
async def post_organisation_result(
    request: Request, unit_id: int, session: SessionDep, user: PageUser, period: PeriodDep, form: PageForm
) -> Response:
    """Admins and leaders of the unit one level above set the unit's organisation result."""
    await require_unit_overview(session, user, unit_id)
    await require_organisation_result_setter(session, user, unit_id)
    _, problem = await attempt(
        lambda: distribution.set_organisation_result(
            session,
            by=user,
            unit_id=unit_id,
            period=period,
            result=OrganisationResultSet(result=form.text("result")).result,
        ),
        session=session,
        shown=(409, 422),
        reload=(user,),
    )
    if problem:
        return await _distribution(
            request, session, user, unit_id, period, status_code=problem.status_code, error=problem
        )
    return saved_redirect(f"/units/{unit_id}/distribution", period)


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
        elif source.get("replaces", {}).get("kind") == "this_unit" and source["replaces"]["period"] == str(
            period
        ):
            own[field] = source["replaces"]["value"]  # stored here but breaking a rule: shown to be fixed
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
    field_errors: dict[str, str] | None = None,
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
        warnings=list(in_force.warnings) + await unrealistic_target_warnings(session, in_force),
        period=period,
        choices=period_choices(period, planning=True),
        error=error,
        field_errors=field_errors or {},
        saved=was_saved(request) and error is None,
    )


@router.get("/admin/units/{unit_id}/targets", response_class=HTMLResponse)
async def targets_page(
    request: Request, unit_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    """Targets and thresholds in force with where each comes from; admins set them here."""
    return await _targets(request, session, user, unit_id, period)


def _changes(form: Form, own: dict[str, Decimal]) -> dict[str, dict[str, str | None]] | None:
    """The PUT body for what the form changed: a new value, or null to clear a value set here; None when
    a field holds something that is not a number."""
    body: dict[str, dict[str, str | None]] = {"targets": {}, "thresholds": {}}
    for field, group, key in FIELDS:
        if not form.text(field).strip():
            if field in own:
                body[group][key] = None
            continue
        value = form.decimal(field)
        if value is None:
            return None
        if field not in own or value != own[field]:
            body[group][key] = str(value)
    return body


NOT_A_NUMBER = N_("Isi dengan angka, misalnya 86,5, atau kosongkan.")
MORE_THAN_0 = N_("Harus lebih dari 0 dan paling tinggi %(high)s.")
BETWEEN = N_("Harus antara %(low)s dan %(high)s.")
CHECK_FIELDS = N_("Periksa isian yang ditandai di bawah.")
# The service names the threshold a broken pair concerns the way the API does ("thresholds.meets: ...").
_PAIR = re.compile(r"^thresholds\.(above|meets):\s*")


def _field_problems(form: Form, locale: str) -> dict[str, str]:
    """Each field's own rule, said beside it in the page's words (the service says them the API's way,
    naming keys such as "quality" or "meets")."""
    problems = {}
    for field, group, key in FIELDS:
        if not form.text(field).strip():
            continue
        value = form.decimal(field)
        rule_key = key if group == "targets" else field
        if value is None:
            problems[field] = i18n.translate(NOT_A_NUMBER, locale)
        elif value_problem(rule_key, value) is not None:
            low, high = TARGET_RANGES.get(rule_key, (Decimal(0), THRESHOLD_MAX))
            shown = {"low": format_decimal(low, locale=locale), "high": format_decimal(high, locale=locale)}
            problems[field] = i18n.translate(MORE_THAN_0 if low == 0 else BETWEEN, locale, **shown)
    return problems


@router.post("/admin/units/{unit_id}/targets")
async def post_targets(
    request: Request, unit_id: int, session: SessionDep, user: PageUser, period: PeriodDep, form: PageForm
) -> Response:
    await _require_admin_of(session, user, unit_id)
    shown = form.values(*(field for field, _, _ in FIELDS))
    locale = i18n.request_locale(request)
    if field_errors := _field_problems(form, locale):
        return await _targets(
            request,
            session,
            user,
            unit_id,
            period,
            status_code=422,
            error=CHECK_FIELDS,
            form=shown,
            field_errors=field_errors,
        )
    current = (await targets_in_force(session, unit_id=unit_id, period=period)).as_api()
    body = _changes(form, _own_values(current, period))
    if body is None or not (body["targets"] or body["thresholds"]):
        message = (
            N_("Isi setiap nilai dengan angka, misalnya 86,5, atau kosongkan.")
            if body is None
            else N_("Tidak ada nilai yang berubah. Isi atau ubah sedikitnya satu nilai, lalu simpan.")
        )
        return await _targets(
            request, session, user, unit_id, period, status_code=422, error=message, form=shown
        )
    _, problem = await attempt(
        lambda: set_targets(session, by_id=user.id, unit_id=unit_id, period=period, body=body),
        session=session,
        reload=(user,),
    )
    if problem:
        # A pair of thresholds that breaks above > meets here or below: said beside the field changed.
        said = i18n.localise_message(problem, locale)
        pair = _PAIR.match(said)
        fields = {f"threshold_{pair.group(1)}": said[pair.end() :]} if pair else {}
        message = said[pair.end() :] if pair else said
        return await _targets(
            request,
            session,
            user,
            unit_id,
            period,
            status_code=422,
            error=message[:1].upper() + message[1:],
            form=shown,
            field_errors={k: v[:1].upper() + v[1:] for k, v in fields.items()},
        )
    return saved_redirect(f"/admin/units/{unit_id}/targets", period)
