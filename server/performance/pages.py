"""The performance pages: a person's indicators and their sources, and the rater's evaluation. Thin: every
rule (who may see or rate, which period may be rated) is the service's. A unit's distribution and
targets are in unit_pages.py, the admin's period locks in period_pages.py."""

import hashlib
import json
from functools import partial
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
from server.pages.deps import Form, PageForm, PageRoute, PageUser
from server.pages.forms import attempt
from server.pages.i18n import N_, localise
from server.pages.render import environment, render
from server.performance import period_pages, service, unit_pages
from server.performance.access import may_rate, rateable_person
from server.performance.dialog_views import dialog_view
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
from server.projects.views import evidence_names, milestones_evidence

router = APIRouter(include_in_schema=False, route_class=PageRoute)
router.include_router(unit_pages.router)
router.include_router(period_pages.router)

# `pesan` words a domain message (an explanation, a warning) in the page's language.
environment.filters.update(periode=period_label, periode_pendek=period_short, pesan=localise)
environment.globals.update(rating_labels=RATING_LABELS_ID, predikats=PREDIKATS)


# --- person --------------------------------------------------------------------------------------------


def _sources(read: dict[str, Any]) -> list[dict[str, Any]]:
    """The closed milestones behind the numbers."""
    return next(i["sources"] for i in read["indicators"] if i["key"] == "timeliness")


def _actor_ids(read: dict[str, Any]) -> set[int]:
    """Everyone named in the history of the milestones behind the numbers."""
    return {item["by"] for s in _sources(read) for item in s["history"] if item["by"] is not None}


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
    # The evidence (bukti dukung) of each milestone behind the numbers, of the projects the viewer may see.
    evidence, evidence_leads = await milestones_evidence(session, viewer, [s["id"] for s in _sources(read)])
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
        "dialog": await dialog_view(session, viewer, person, period),  # None when not theirs to read
        "evidence": evidence,
        "evidence_leads": evidence_leads,
        "evidence_people": await evidence_names(session, (e for items in evidence.values() for e in items)),
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
    dialog: dict[str, Any] | None = None,
) -> Response:
    await rateable_person(session, viewer, person_id)
    context = await _person_context(session, viewer, person_id, period)
    if dialog is not None:  # a refused dialog form, drawn again with its message (dialog_pages.py)
        context["dialog"] = dialog
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
        shown=_shown_digests(context["perf"]),
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
VALUE_FIELDS = [f"value_{i}" for i in range(len(BERAKHLAK))]
PARTS = ("hasil", "perilaku")
PART_FIELDS = {"hasil": ("hasil_kerja", "reason"), "perilaku": ("rating", "note", *VALUE_FIELDS)}
# Said by the part saved first when the second is refused: the refusal undid both.
UNDONE = N_(
    "Ikut dibatalkan karena perilaku kerja ditolak. Perbaiki perilaku kerja di bawah, lalu simpan lagi."
)


def digest(values: list[str]) -> str:
    """A short fingerprint of what one part of the form showed, sent back with it (`shown_hasil`,
    `shown_perilaku`): a part whose fields differ from it was changed by the rater."""
    plain = [" ".join(value.replace("\r\n", "\n").split()) for value in values]
    return hashlib.sha256(json.dumps(plain).encode()).hexdigest()[:16]


def _shown_digests(perf: dict[str, Any]) -> dict[str, str]:
    """The fingerprints of what the page draws when nothing was typed (the stored ratings, or the
    suggestion), also when it is drawn again with a refused form's values."""
    notes = perf.get("perilaku_values") or {}
    return {
        "hasil": digest(
            [perf["hasil_kerja"] or perf["hasil_kerja_suggested"] or "", perf["hasil_kerja_reason"] or ""]
        ),
        "perilaku": digest(
            [perf["perilaku"] or "", perf["perilaku_note"] or "", *(notes.get(v, "") for v in BERAKHLAK)]
        ),
    }


async def _set_part(
    session: AsyncSession, user: User, user_id: int, period: Period, part: str, shown: dict[str, str]
) -> dict[str, Any]:
    if part == "hasil":
        return await service.set_evaluation(
            session,
            by=user,
            user_id=user_id,
            period=period,
            data=EvaluationSet(hasil_kerja=shown["hasil_kerja"], reason=shown["reason"] or None),
        )
    notes = {name: shown[field].strip() for name, field in zip(BERAKHLAK, VALUE_FIELDS, strict=True)}
    return await service.set_behaviour(
        session,
        by=user,
        user_id=user_id,
        period=period,
        data=BehaviourSet(
            rating=shown["rating"],
            note=shown["note"].strip() or None,
            values={k: v for k, v in notes.items() if v} or None,  # type: ignore[misc]
        ),
    )


async def _save_parts(
    request: Request,
    session: AsyncSession,
    user: User,
    user_id: int,
    period: Period,
    form: Form,
    pressed: str,
) -> Response:
    """Save the part whose button was pressed, and the other part too when the rater changed it, in one
    transaction: what was typed in either part is never dropped. A refusal undoes both and draws the
    page again with every field as sent and the message beside the part it concerns."""
    shown = form.values("hasil_kerja", "reason", "rating", "note", *VALUE_FIELDS)
    parts = [
        part
        for part in PARTS
        if part == pressed
        or (
            form.text(f"shown_{part}")
            and digest([shown[f] for f in PART_FIELDS[part]]) != form.text(f"shown_{part}")
        )
    ]
    for done, part in enumerate(parts):
        _, problem = await attempt(
            partial(_set_part, session, user, user_id, period, part, shown),
            session=session,
            shown=SHOWN,
            reload=(user,),  # the page is drawn again for the signed-in user
        )
        if problem:
            error = {part: problem, **({"hasil": UNDONE} if done else {})}
            return await _evaluation(
                request,
                session,
                user,
                user_id,
                period,
                status_code=problem.status_code,
                error=error,
                form=shown,
            )
    return saved_redirect(f"/people/{user_id}/evaluation", period)


@router.post("/people/{user_id}/evaluation")
async def post_evaluation(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep, form: PageForm
) -> Response:
    """The evaluation form: both ratings in one form. The button pressed ("save": hasil or perilaku)
    saves its part (confirming an unchanged hasil kerja again is a decision too); the other part is
    saved with it when the rater changed it, so saving one never discards what was typed in the other."""
    pressed = form.text("save")
    return await _save_parts(
        request, session, user, user_id, period, form, pressed if pressed in PARTS else "hasil"
    )


@router.post("/people/{user_id}/behaviour")
async def post_behaviour(
    request: Request, user_id: int, session: SessionDep, user: PageUser, period: PeriodDep, form: PageForm
) -> Response:
    """The perilaku kerja rating alone, as the page's separate form posted it before both were one."""
    return await _save_parts(request, session, user, user_id, period, form, "perilaku")
