"""The rater's "Tim saya" page: the people they rate with this period's status, the evaluations waiting
for them, and (for a rater who also leads projects) the milestones waiting to be closed. Thin: who is in
the team and what is pending is server/performance/team.py's."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from server.deps import PeriodDep, SessionDep
from server.pages.deps import PageRoute, PageUser
from server.pages.render import render
from server.performance.team import team
from server.performance.views import period_choices
from server.projects.queue import waiting_to_close

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/team", response_class=HTMLResponse)
async def team_page(request: Request, session: SessionDep, user: PageUser, period: PeriodDep) -> Response:
    """Everyone the signed-in user rates; an admin or someone who rates nobody sees an explanation."""
    return render(
        request,
        "team.html",
        team=await team(session, rater=user, period=period),
        period=period,
        choices=period_choices(period),
        lead_queue=await waiting_to_close(session, lead=user),
    )
