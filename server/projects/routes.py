"""Projects, members, milestones and progress updates (API v1)."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from server.bodylimit import API_BODY_LIMIT, body_limited_route
from server.deps import CurrentUser, SessionDep
from server.errors import ERROR_RESPONSES
from server.idempotency import request_fingerprint, run_once
from server.projects import blockers, corrections, editing, responses, service
from server.projects.access import visible_project
from server.projects.evidence import MilestoneCloseRead, evidence_reads
from server.projects.models import (
    BlockerRead,
    BlockerResolve,
    CommentCreate,
    MemberAdd,
    MilestoneClose,
    MilestoneCorrect,
    MilestoneCreate,
    MilestonePatch,
    MilestoneQuality,
    ProjectCreate,
    ProjectUpdate,
    ReactionSet,
    ResponseComment,
    UpdateCreate,
    UpdateResponsesRead,
)
from server.projects.posting import post_update_json
from server.projects.reads import MilestoneRead, ProjectRead, UpdateRead, one_project_read

router = APIRouter(
    prefix="/api/v1",
    tags=["projects"],
    responses=ERROR_RESPONSES,
    route_class=body_limited_route(API_BODY_LIMIT),
)


# First: routes are matched in order, and this is the busiest (every assignee, several times a week).
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
        # The update's JSON as its board event sends it: UpdateRead.model_dump(mode="json"), built once.
        return await post_update_json(session, by=user, project_id=project_id, data=body)

    status, payload = await run_once(
        session,
        user_id=user.id,
        key=idempotency_key,
        # Only a request with a key is compared with an earlier one (most posts have none).
        fingerprint=request_fingerprint(project_id, body.model_dump(mode="json")) if idempotency_key else "",
        status_code=201,
        produce=produce,
    )
    return JSONResponse(payload, status_code=status)


@router.post("/projects", status_code=201)
async def create_project(body: ProjectCreate, session: SessionDep, user: CurrentUser) -> ProjectRead:
    return await service.create_project(session, by=user, data=body)


@router.get("/projects")
async def list_projects(
    session: SessionDep,
    user: CurrentUser,
    archived: Annotated[bool, Query(description="List the archived projects instead")] = False,
) -> list[ProjectRead]:
    """The projects the caller may see that are in work; `?archived=true` lists the archived ones."""
    return await service.list_projects(session, by=user, archived=archived)


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
    milestone_id: int, body: MilestonePatch, session: SessionDep, user: CurrentUser
) -> MilestoneRead:
    """Move a milestone's due date to today or later (WIB), not before the project's start, with a
    `reason` of at least 10 characters kept in the history. The new date is in force from today on:
    days already late stay late.

    The lead may also change an open milestone's `title`, `weight` (1-100) and `assignee_ids` (active
    members or the lead) in the same call; a closed milestone is corrected instead (409)."""
    return await editing.patch_milestone(session, by=user, milestone_id=milestone_id, data=body)


@router.post("/milestones/{milestone_id}/close")
async def close_milestone(
    milestone_id: int, body: MilestoneClose, session: SessionDep, user: CurrentUser
) -> MilestoneCloseRead:
    """Close a milestone and score its quality (1-5; a score of 1, 2 or 5 needs a `note`). Only the project
    lead may. `closed_on` lies between the milestone's creation date and today (WIB). Lateness is counted
    in working days against the due date in force on each day, up to the first 100% report of an assignee
    unless the lead does not accept it (`delivery_accepted: false` with a `delivery_reason`). When the
    lead is an assignee, the quality waits for the lead's rater (`quality_status: "pending"`). Two closes
    at once: one succeeds, the other gets 409. Evidence uploaded first (`POST /evidence`) by the lead is
    attached with `evidence_ids` (at most 4) and answered as `evidence`."""
    read = await service.close_milestone(session, by=user, milestone_id=milestone_id, data=body)
    evidence = await evidence_reads(session, body.evidence_ids)
    return MilestoneCloseRead(**read.model_dump(), evidence=evidence)


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


@router.get("/projects/{project_id}/blockers")
async def list_blockers(
    project_id: int,
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[
        blockers.StatusFilter,
        Query(description="`open` (not yet resolved: open or acknowledged), `resolved`, or `all`"),
    ] = "open",
) -> list[BlockerRead]:
    """The blockers reported in the project's updates, oldest first."""
    return await blockers.project_blockers(session, by=user, project_id=project_id, status=status)


@router.post("/updates/{update_id}/blocker/acknowledge")
async def acknowledge_blocker(update_id: int, session: SessionDep, user: CurrentUser) -> BlockerRead:
    """A leader of the project's unit (or of a unit above it), or an admin, acknowledges an open blocker.
    Board event `blocker.acknowledged`."""
    return await blockers.acknowledge(session, by=user, update_id=update_id)


@router.post("/updates/{update_id}/blocker/resolve")
async def resolve_blocker(
    update_id: int, body: BlockerResolve, session: SessionDep, user: CurrentUser
) -> BlockerRead:
    """The blocker's author, the project lead or an admin resolves it, with a `note` saying how.
    Board event `blocker.resolved`."""
    return await blockers.resolve(session, by=user, update_id=update_id, data=body)


@router.patch("/projects/{project_id}")
async def edit_project(
    project_id: int, body: ProjectUpdate, session: SessionDep, user: CurrentUser
) -> ProjectRead:
    """Change a project's `name`, `description`, `start_date` or `due_date` (the lead, a leader of its
    unit, or an admin). The start may not move after a milestone's due date. Archived → 409."""
    return await editing.edit_project(session, by=user, project_id=project_id, data=body)


@router.post("/projects/{project_id}/archive")
async def archive_project(project_id: int, session: SessionDep, user: CurrentUser) -> ProjectRead:
    """Archive a project (the lead, a leader of its unit, or an admin): it leaves the boards and the
    project lists, stays readable at its address, and is read-only (409) until it is unarchived."""
    return await editing.archive_project(session, by=user, project_id=project_id)


@router.post("/projects/{project_id}/unarchive")
async def unarchive_project(project_id: int, session: SessionDep, user: CurrentUser) -> ProjectRead:
    """Bring an archived project back into work (the same people who may archive it)."""
    return await editing.unarchive_project(session, by=user, project_id=project_id)


@router.post("/updates/{update_id}/seen")
async def mark_update_seen(update_id: int, session: SessionDep, user: CurrentUser) -> UpdateResponsesRead:
    """A leader of the project's unit (or above), the project lead or an admin marks an update seen
    ("dilihat"); not its author. Seen again: nothing changes. Board event `update.seen`; the author is
    notified (kind `update_response`)."""
    return await responses.mark_seen(session, by=user, update_id=update_id)


@router.put("/updates/{update_id}/reaction")
async def react_to_update(
    update_id: int, body: ReactionSet, session: SessionDep, user: CurrentUser
) -> UpdateResponsesRead:
    """Set the caller's one reaction (`thumbs_up`, `thanks`, `keep_going`, `attention`), replacing the one
    they had. Who may: as for `seen`. Board event `update.reacted`."""
    return await responses.react(session, by=user, update_id=update_id, reaction=body.reaction)


@router.delete("/updates/{update_id}/reaction")
async def remove_update_reaction(
    update_id: int, session: SessionDep, user: CurrentUser
) -> UpdateResponsesRead:
    """Take the caller's reaction away (none: nothing changes). Board event `update.reacted` with
    `reaction: null`."""
    return await responses.react(session, by=user, update_id=update_id, reaction=None)


@router.post("/updates/{update_id}/comments", status_code=201)
async def comment_on_update(
    update_id: int, body: CommentCreate, session: SessionDep, user: CurrentUser
) -> ResponseComment:
    """A comment by someone who may respond, or the author's reply. Board event `update.commented`."""
    return await responses.comment(session, by=user, update_id=update_id, data=body)


@router.get("/updates/{update_id}/responses")
async def read_update_responses(
    update_id: int, session: SessionDep, user: CurrentUser
) -> UpdateResponsesRead:
    """Who saw the update, the reactions and the comments, oldest first (anyone who may see the project)."""
    return await responses.update_responses(session, by=user, update_id=update_id)
