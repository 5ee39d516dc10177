"""The blocker forms of the project page, the home page and the unit board: a leader acknowledges an
open blocker, its author or the project lead resolves it with a note. Each calls the same service
function as the API and goes back to the page it came from (`back`); each works without JavaScript. A
refusal draws that page again with the message beside the form (server/projects/pages.py, Sent)."""

from fastapi import APIRouter
from fastapi.responses import Response

from server.pages.deps import PageRoute
from server.projects import blockers
from server.projects.models import BlockerResolve
from server.projects.pages import SentForm

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.post("/updates/{update_id}/blocker/acknowledge")
async def acknowledge(update_id: int, sent: SentForm) -> Response:
    return await sent.run_and_go_back(
        f"acknowledge-{update_id}",
        lambda: blockers.acknowledge(sent.session, by=sent.user, update_id=update_id),
    )


@router.post("/updates/{update_id}/blocker/resolve")
async def resolve(update_id: int, sent: SentForm) -> Response:
    note = sent.form.text("note")
    return await sent.run_and_go_back(
        f"resolve-{update_id}",
        lambda: blockers.resolve(
            sent.session, by=sent.user, update_id=update_id, data=BlockerResolve(note=note)
        ),
        "note",
    )
