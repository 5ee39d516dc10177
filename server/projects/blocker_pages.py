"""The blocker forms of the project page, the home page and the unit board: a leader acknowledges an
open blocker, its author or the project lead resolves it with a note. Each calls the same service
function as the API and goes back to the page it came from (`back`); each works without JavaScript. A
refusal draws that page again with the message beside the form (server/projects/pages.py, Posted).

Also what those pages need to draw the blockers (web/templates/_blockers.html): who may do what to each,
and its age."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.deps import RuntimeDep, SessionDep
from server.pages.deps import PageForm, PageRoute, PageUser
from server.projects import blockers
from server.projects.models import BlockerResolve
from server.projects.pages import posted_with_back

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.post("/updates/{update_id}/blocker/acknowledge")
async def acknowledge(
    request: Request,
    update_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    user: PageUser,
    form: PageForm,
) -> Response:
    page = posted_with_back(request, session, runtime, user, form, f"acknowledge-{update_id}")
    return await page.run(
        lambda: blockers.acknowledge(session, by=user, update_id=update_id),
        lambda _: page.back,
        shown=(403, 409, 422),
    )


@router.post("/updates/{update_id}/blocker/resolve")
async def resolve(
    request: Request,
    update_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    user: PageUser,
    form: PageForm,
) -> Response:
    page = posted_with_back(request, session, runtime, user, form, f"resolve-{update_id}", "note")
    return await page.run(
        lambda: blockers.resolve(
            session, by=user, update_id=update_id, data=BlockerResolve(note=form.text("note"))
        ),
        lambda _: page.back,
        shown=(403, 409, 422),
    )
