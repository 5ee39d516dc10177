"""The help page: how every number in Pantau is made, in plain Indonesian, with the values in force
taken from the same constants the code computes with (so the page cannot drift from the code)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from server.config import get_settings
from server.feedback.ikm import ELEMENTS, INDIVIDUAL_MIN_ANSWERS, KM_UNKNOWN_POPULATION
from server.feedback.integrity import SUSPECT_AFTER
from server.feedback.tokens import TOKEN_LIFETIME
from server.pages.deps import Visitor
from server.pages.render import render
from server.performance.rules import (
    DEFAULT_TARGETS,
    DEFAULT_THRESHOLDS,
    DISTRIBUTION_RULES,
    PREDIKAT_MATRIX,
    RATING_LABELS_ID,
)
from server.projects.health import AT_RISK_GAP, OFF_TRACK_GAP, OFF_TRACK_OVERDUE_DAYS
from server.projects.rules import REASON_MIN_CHARS

router = APIRouter(include_in_schema=False)


@router.get("/help", response_class=HTMLResponse)
async def help_page(request: Request, signed_in: Visitor) -> Response:
    """Public: ASN, leaders and citizens may all read how the numbers are made (a signed-in reader keeps
    their header)."""
    settings = get_settings()
    return render(
        request,
        "help.html",
        penalty_per_day=settings.timeliness_penalty_per_day,
        stale_days=settings.stale_after_days,
        targets=DEFAULT_TARGETS,
        thresholds=DEFAULT_THRESHOLDS,
        matrix=PREDIKAT_MATRIX,
        ratings=RATING_LABELS_ID,
        distribution_rules=DISTRIBUTION_RULES,
        elements=ELEMENTS,
        unknown_population_sample=KM_UNKNOWN_POPULATION,
        at_risk_gap=int(AT_RISK_GAP),
        off_track_gap=int(OFF_TRACK_GAP),
        off_track_days=OFF_TRACK_OVERDUE_DAYS,
        individual_min_answers=INDIVIDUAL_MIN_ANSWERS,
        reason_min=REASON_MIN_CHARS,
        token_hours=int(TOKEN_LIFETIME.total_seconds() // 3600),
        suspect_after=SUSPECT_AFTER,
    )
