"""Projects, members, milestones and progress updates (API v1)."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from server.bodylimit import API_BODY_LIMIT, body_limited_route
from server.deps import CurrentUser, SessionDep
from server.errors import ERROR_RESPONSES
from server.idempotency import request_fingerprint, run_once
from server.projects import corrections, service
from server.projects.access import visible_project
from server.projects.models import (
    MemberAdd,
    MilestoneClose,
    MilestoneCorrect,
    MilestoneCreate,
    MilestoneQuality,
    MilestoneReschedule,
    ProjectCreate,
    UpdateCreate,
)
from server.projects.reads import MilestoneRead, ProjectRead, UpdateRead, one_project_read

router = APIRouter(
    prefix="/api/v1",
    tags=["projects"],
    responses=ERROR_RESPONSES,
    route_class=body_limited_route(API_BODY_LIMIT),
)


@router.post("/projects", status_code=201)
async def create_project(body: ProjectCreate, session: SessionDep, user: CurrentUser) -> ProjectRead:
    return await service.create_project(session, by=user, data=body)


@router.get("/projects")
async def list_projects(session: SessionDep, user: CurrentUser) -> list[ProjectRead]:
    """The projects the caller may see."""
    return await service.list_projects(session, by=user)


@router.get("/projects/{project_id}")
async def read_project(project_id: int, session: SessionDep, user: CurrentUser) -> ProjectRead:
    return await one_project_read(session, await visible_project(session, user, project_id))


@router.post("/projects/{project_id}/members", status_code=201)
async def add_member(project_id: int, body: MemberAdd, session: SessionDep, user: CurrentUser) -> ProjectRead:
    return await service.add_member(session, by=user, project_id=project_id, data=body)


@router.delete("/projects/{project_id}/members/{user_id}", status_code=204)
async def remove_member(project_id: int, user_id: int, session: SessionDep, user: CurrentUser) -> Response:
    await service.remove_member(session, by=user, project_id=project_id, user_id=user_id)
    return Response(status_code=204)


@router.post("/projects/{project_id}/milestones", status_code=201)
async def create_milestone(
    project_id: int, body: MilestoneCreate, session: SessionDep, user: CurrentUser
) -> MilestoneRead:
    return await service.create_milestone(session, by=user, project_id=project_id, data=body)


@router.patch("/milestones/{milestone_id}")
async def reschedule_milestone(
    milestone_id: int, body: MilestoneReschedule, session: SessionDep, user: CurrentUser
) -> MilestoneRead:
    """Move a milestone's due date to today or later (WIB), not before the project's start, with a
    `reason` of at least 10 characters kept in the history. The new date is in force from today on:
    days already late stay late."""
    return await service.reschedule_milestone(session, by=user, milestone_id=milestone_id, data=body)


@router.post("/milestones/{milestone_id}/close")
async def close_milestone(
    milestone_id: int, body: MilestoneClose, session: SessionDep, user: CurrentUser
) -> MilestoneRead:
    """Close a milestone and score its quality (1-5; a score of 1, 2 or 5 needs a `note`). Only the project
    lead may. `closed_on` lies between the milestone's creation date and today (WIB). Lateness is counted
    in working days against the due date in force on each day, up to the first 100% report of an assignee
    unless the lead does not accept it (`delivery_accepted: false` with a `delivery_reason`). When the
    lead is an assignee, the quality waits for the lead's rater (`quality_status: "pending"`). Two closes
    at once: one succeeds, the other gets 409."""
    return await service.close_milestone(session, by=user, milestone_id=milestone_id, data=body)


@router.post("/milestones/{milestone_id}/quality")
async def score_quality(
    milestone_id: int, body: MilestoneQuality, session: SessionDep, user: CurrentUser
) -> MilestoneRead:
    """The lead's rater (an admin, with a note, when the lead has none) scores the quality of a milestone
    that waits for it because the lead was among its assignees. A score of 1, 2 or 5 needs a `note`."""
    return await corrections.score_quality(session, by=user, milestone_id=milestone_id, data=body)


@router.post("/milestones/{milestone_id}/correct")
async def correct_milestone(
    milestone_id: int, body: MilestoneCorrect, session: SessionDep, user: CurrentUser
) -> MilestoneRead:
    """Correct a closed milestone's `closed_on`, `quality` or `due_date`, or reopen it (`reopen: true`),
    with a `reason` of at least 10 characters kept in its history. The lead may, within the lead's date
    limits and while the periods the milestone counts in are not locked (a lead among the assignees may
    not correct quality); an admin may correct any field (any date up to today), and also the due date of
    an open milestone. A locked period is a 409 for everyone: an admin unlocks it first."""
    return await corrections.correct_milestone(session, by=user, milestone_id=milestone_id, data=body)


@router.post("/projects/{project_id}/updates", status_code=201, response_model=UpdateRead)
async def post_update(
    project_id: int,
    body: UpdateCreate,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Post a progress update. Send an `Idempotency-Key` header to retry safely on a bad connection."""

    async def produce() -> dict[str, object]:
        update = await service.post_update(session, by=user, project_id=project_id, data=body)
        return update.model_dump(mode="json")

    status, payload = await run_once(
        session,
        user_id=user.id,
        key=idempotency_key,
        fingerprint=request_fingerprint(project_id, body.model_dump(mode="json")),
        status_code=201,
        produce=produce,
    )
    return JSONResponse(payload, status_code=status)


@router.get("/projects/{project_id}/updates")
async def list_updates(
    project_id: int,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(description="Only updates with an id below this one")] = None,
) -> list[UpdateRead]:
    """Progress updates, newest first; page with `before=<id of the last one you have>`."""
    return await service.list_updates(session, by=user, project_id=project_id, limit=limit, before=before)
