"""The public survey API: answering (no sign-in, rate limited) and the published IKM per unit."""

from fastapi import APIRouter, Depends
from limits import RateLimitItemPerMinute

from server.bodylimit import body_limited_route
from server.deps import PeriodDep, SessionDep
from server.errors import ERROR_RESPONSES
from server.feedback import service
from server.feedback.models import FeedbackCreate, FeedbackRead, IkmReport
from server.ratelimit import per_client

# 60 answers per 10 minutes per client address, shared by the API and the survey page. A counter kiosk
# serves one person every few minutes at most, so this is twice what API.md requires (30) and still
# stops a script stuffing the survey from one address.
SURVEY_ANSWERS = RateLimitItemPerMinute(60, 10, namespace="survey-answers")
survey_rate_limit = per_client(SURVEY_ANSWERS)

# Nine small integers and a 2,000-character comment fit many times over; more is not a survey answer.
MAX_ANSWER_BODY = 16 * 1024
router = APIRouter(
    prefix="/api/v1",
    tags=["feedback"],
    route_class=body_limited_route(MAX_ANSWER_BODY),
    responses=ERROR_RESPONSES,
)


@router.post(
    "/feedback",
    status_code=201,
    dependencies=[Depends(survey_rate_limit)],
    responses={
        413: {"description": "The body is over 16 KB"},
        429: {"description": "Rate limited; see Retry-After"},
    },
)
async def submit_feedback(body: FeedbackCreate, session: SessionDep) -> FeedbackRead:
    """Answer a unit's satisfaction survey (SKM). Public: no sign-in. `answers` are nine integers 1..4 in
    the order U1..U9; `employee_id` optionally names the ASN who served (of the unit or a sub-unit).
    At most 60 answers per 10 minutes from one address."""
    return FeedbackRead.model_validate(await service.record_feedback(session, data=body))


@router.get("/units/{unit_id}/ikm")
async def unit_ikm(unit_id: int, period: PeriodDep, session: SessionDep) -> IkmReport:
    """The unit's published satisfaction index (IKM, 25–100) over the unit and its sub-units. Public, as
    PermenPANRB 14/2017 requires results to be published. Values are null when nobody answered."""
    return await service.unit_ikm(session, unit_id=unit_id, period=period)
