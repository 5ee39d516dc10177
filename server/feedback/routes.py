"""The public survey API: a token, an answer (no sign-in, rate limited) and the published IKM per unit;
and the admin's review of answers that were stored but not counted."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from limits import RateLimitItemPerMinute
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.bodylimit import body_limited_route
from server.deps import AdminUser, PeriodDep, RuntimeDep, SessionDep
from server.errors import ERROR_RESPONSES
from server.feedback import review, service
from server.feedback.integrity import Origin, origin_of
from server.feedback.models import (
    FeedbackRead,
    FeedbackReview,
    FeedbackSubmit,
    IkmReport,
    ReviewDecision,
    SurveyTokenRead,
)
from server.ratelimit import client_address, per_client

# 60 answers per 10 minutes per client address, shared by the API and the survey page. A counter kiosk
# serves one person every few minutes at most, so this is twice what API.md requires (30) and still
# stops a script stuffing the survey from one address.
SURVEY_ANSWERS = RateLimitItemPerMinute(60, 10, namespace="survey-answers")
survey_rate_limit = per_client(SURVEY_ANSWERS)
# Tokens (and the survey page, which draws a form with one) are cheaper and more often fetched than
# answered (a page reloaded, a form abandoned): five times the answers' allowance.
SURVEY_TOKENS = RateLimitItemPerMinute(300, 10, namespace="survey-tokens")
token_rate_limit = per_client(SURVEY_TOKENS)

# The survey page's long-lived random id of the browser (DOMAIN.md §2: one answer per browser, unit and
# day is counted). Only its keyed hash is stored with an answer.
DEVICE_COOKIE = "pantau_survey_device"

# Nine small integers and a 2,000-character comment fit many times over; more is not a survey answer.
MAX_ANSWER_BODY = 16 * 1024
router = APIRouter(
    prefix="/api/v1",
    tags=["feedback"],
    route_class=body_limited_route(MAX_ANSWER_BODY),
    responses=ERROR_RESPONSES,
)


async def writing_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A GET that writes (issuing a token) needs the writing engine: SessionDep reads for GETs."""
    async with runtime.transaction() as session:
        yield session


WritingSessionDep = Annotated[AsyncSession, Depends(writing_session, scope="function")]


def device_id(request: Request) -> str | None:
    """The survey page's device cookie, when it looks like one this site set."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    return value if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else None


def request_origin(request: Request, secret: str) -> Origin:
    return origin_of(secret, at=clock.now(), device_id=device_id(request), address=client_address(request))


@router.get(
    "/feedback/token",
    dependencies=[Depends(token_rate_limit)],
    responses={429: {"description": "Rate limited; see Retry-After"}},
)
async def survey_token(unit_id: int, session: WritingSessionDep) -> SurveyTokenRead:
    """A single-use token for one answer to the unit's survey, valid for 2 hours. Public: no sign-in.
    An unknown unit is a 422. At most 300 tokens per 10 minutes from one address."""
    return await service.survey_token(session, unit_id=unit_id)


@router.post(
    "/feedback",
    status_code=201,
    dependencies=[Depends(survey_rate_limit)],
    responses={
        409: {"description": "The token was used before"},
        413: {"description": "The body is over 16 KB"},
        429: {"description": "Rate limited; see Retry-After"},
    },
)
async def submit_feedback(
    body: FeedbackSubmit, request: Request, session: SessionDep, runtime: RuntimeDep
) -> FeedbackRead:
    """Answer a unit's satisfaction survey (SKM). Public: no sign-in. `token` comes from
    GET /api/v1/feedback/token for the same unit and pays for this one answer (missing, expired or another
    unit's → 422; used before → 409). `answers` are nine integers 1..4 in the order U1..U9; `employee_id`
    optionally names the ASN who served (of the unit or a sub-unit). At most 60 answers per 10 minutes
    from one address. An answer may be stored without being counted (DOMAIN.md §2); the reply is the same."""
    origin = request_origin(request, runtime.secret_key)
    return FeedbackRead.model_validate(await service.submit_feedback(session, data=body, origin=origin))


@router.get("/units/{unit_id}/ikm")
async def unit_ikm(unit_id: int, period: PeriodDep, session: SessionDep) -> IkmReport:
    """The unit's published satisfaction index (IKM, 25–100) over the unit and its sub-units. Public, as
    PermenPANRB 14/2017 requires results to be published. Values are null when nobody answered; only
    counted answers count, and `excluded` says how many were stored but not counted."""
    return await service.unit_ikm(session, unit_id=unit_id, period=period)


@router.get("/feedback/answers")
async def list_answers(
    period: PeriodDep,
    session: SessionDep,
    admin: AdminUser,
    unit_id: int | None = None,
    status: Annotated[str, Query(description=f"one of {', '.join(review.LIST_FILTERS)}")] = review.UNCOUNTED,
) -> list[FeedbackReview]:
    """Admin: the survey answers of a period (of a unit and its sub-units, or all), newest first, at most
    200; by default those stored but not counted (`duplicate`, `suspect`, `excluded`)."""
    found = await review.list_answers(session, period=period, unit_id=unit_id, status=status)
    return [review.review_of(feedback) for feedback in found.answers]


@router.post("/feedback/{feedback_id}/clear")
async def clear_answer(
    feedback_id: int, body: ReviewDecision, session: SessionDep, admin: AdminUser
) -> FeedbackReview:
    """Admin: count a `suspect` answer after all (anything else → 409), with a reason kept in the history.
    Refused (409) while the period the answer counts in is locked."""
    feedback = await review.clear_answer(session, feedback_id=feedback_id, by=admin, reason=body.reason)
    return review.review_of(feedback)


@router.post("/feedback/{feedback_id}/exclude")
async def exclude_answer(
    feedback_id: int, body: ReviewDecision, session: SessionDep, admin: AdminUser
) -> FeedbackReview:
    """Admin: stop counting a `counted` answer (anything else → 409), with a reason kept in the history.
    Refused (409) while the period the answer counts in is locked."""
    feedback = await review.exclude_answer(session, feedback_id=feedback_id, by=admin, reason=body.reason)
    return review.review_of(feedback)
