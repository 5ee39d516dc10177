"""The performance pages: a person's indicators and their sources, and the rater's evaluation. Thin: every
rule (who may see or rate, which period may be rated) is the service's. A unit's distribution and
targets are in unit_pages.py, the admin's period locks in period_pages.py."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import User
from server.accounts.service import list_units, unit_parents
from server.calendar.locks import locked_periods
from server.calendar.periods import Period
from server.deps import PeriodDep, SessionDep
from server.pages.deps import PageForm, PageRoute, PageUser
from server.pages.forms import attempt
from server.pages.i18n import localise
from server.pages.render import environment, render
from server.performance import period_pages, service, unit_pages
from server.performance.access import may_rate, rateable_person
from server.performance.models import BERAKHLAK, BehaviourSet, EvaluationSet
from server.performance.rules import PREDIKATS, RATING_LABELS_ID, RATINGS, predikat
from server.performance.targets import targets_in_force
from server.performance.views import (
    milestone_titles,
    people_names,
    period_choices,
    period_label,
    period_short,
    rating_history,
    reasoning,
    saved_redirect,
    source_label,
    trend,
    was_saved,
)
from server.projects.access import can_see_unit

router = APIRouter(include_in_schema=False, route_class=PageRoute)
router.include_router(unit_pages.router)
router.include_router(period_pages.router)

# `pesan` words a domain message (an explanation, a warning) in the page's language.
environment.filters.update(periode=period_label, periode_pendek=period_short, pesan=localise)
environment.globals.update(rating_labels=RATING_LABELS_ID, predikats=PREDIKATS)


# --- person --------------------------------------------------------------------------------------------


def _actor_ids(read: dict[str, Any]) -> set[int]:
    """Everyone named in the history of the milestones behind the numbers."""
    sources = next(i["sources"] for i in read["indicators"] if i["key"] == "timeliness")
    return {item["by"] for s in sources for item in s["history"] if item["by"] is not None}


async def _person_context(
    session: AsyncSession, viewer: User, person_id: int, period: Period
) -> dict[str, Any]:
    read = await service.performance(session, viewer=viewer, user_id=person_id, period=period)
    person = await session.get(User, person_id)
    assert person is not None
    in_force = await targets_in_force(session, unit_id=person.unit_id, period=period)
    unit_names = {u.id: u.name for u in await list_units(session)}
    targets = in_force.as_api()
    changed = {c["id"] for c in read["changes"] if c["kind"] == "milestone"}
    return {
        "person": person,
        "unit_name": unit_names.get(person.unit_id, "–"),
        "supervisor": await session.get(User, person.supervisor_id) if person.supervisor_id else None,
        "perf": read,
        "target_sources": {k: source_label(v["source"], unit_names) for k, v in targets["targets"].items()},
        "reasoning": reasoning(read, in_force),
        "history": await rating_history(session, person_id),
        "names": await people_names(session, _actor_ids(read)),
        "titles": await milestone_titles(session, changed),
        "period": period,
        "choices": period_choices(period),
        "can_rate": await may_rate(session, viewer, person),
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


async def _period_state(session: AsyncSession, period: Period) -> str | None:
    """Why the period cannot be rated now ("not_started" or "locked"), or None when it can."""
    if period.first_day > clock.today():
        return "not_started"
    if await locked_periods(session, [str(period)]):
        return "locked"
    return None


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
        saved=was_saved(request) and error is None,
        ratings=RATINGS,
        values=BERAKHLAK,
        matrix=[(h, [(p, predikat(h, p)) for p in ("below", "meets", "above")]) for h in RATINGS],
        period_state=await _period_state(session, period),
        **context,
    )


@router.get("/people/{user_id}/evaluation", response_class=HTMLResponse)
async def evaluation_page(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep
) -> Response:
    """The rater's page: both ratings, what changed since hasil kerja was confirmed, open overdue work."""
    return await _evaluation(request, session, user, user_id, period)


# A refusal the evaluation page shows next to the form: a rule broken (422) or a locked period (409).
SHOWN = (409, 422)


@router.post("/people/{user_id}/evaluation")
async def post_evaluation(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep, form: PageForm
) -> Response:
    """Confirm the suggested hasil kerja, or override it with a reason (service.set_evaluation)."""
    shown = form.values("hasil_kerja", "reason")
    _, problem = await attempt(
        lambda: service.set_evaluation(
            session,
            by=user,
            user_id=user_id,
            period=period,
            data=EvaluationSet(hasil_kerja=shown["hasil_kerja"], reason=shown["reason"] or None),
        ),
        session=session,
        shown=SHOWN,
        reload=(user,),  # the page is drawn again for the signed-in user
    )
    if problem:
        return await _evaluation(
            request,
            session,
            user,
            user_id,
            period,
            status_code=problem.status_code,
            error={"hasil": problem},
            form=shown,
        )
    return saved_redirect(f"/people/{user_id}/evaluation", period)


@router.post("/people/{user_id}/behaviour")
async def post_behaviour(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep, form: PageForm
) -> Response:
    """The perilaku kerja rating with an optional note, overall and per BerAKHLAK value."""
    value_fields = [f"value_{i}" for i in range(len(BERAKHLAK))]
    shown = form.values("rating", "note", *value_fields)
    notes = {name: shown[field].strip() for name, field in zip(BERAKHLAK, value_fields, strict=True)}
    _, problem = await attempt(
        lambda: service.set_behaviour(
            session,
            by=user,
            user_id=user_id,
            period=period,
            data=BehaviourSet(
                rating=shown["rating"],
                note=shown["note"].strip() or None,
                values={k: v for k, v in notes.items() if v} or None,  # type: ignore[misc]
            ),
        ),
        session=session,
        shown=SHOWN,
        reload=(user,),
    )
    if problem:
        return await _evaluation(
            request,
            session,
            user,
            user_id,
            period,
            status_code=problem.status_code,
            error={"perilaku": problem},
            form=shown,
        )
    return saved_redirect(f"/people/{user_id}/evaluation", period)
