"""The lead's form beside each evidence item (bukti dukung) on the project page: hide it, with a reason.
Evidence is never deleted (a result was judged on it); a hidden item shows who hid it and why, and its
file then opens only for the lead, admins and its uploader. The same service function as the API
(server/projects/evidence.py, hide_evidence), so the rules and the history are the API's; a refusal
draws the project page again with the message beside the reason (server/projects/pages.py, Sent)."""

from fastapi import APIRouter
from fastapi.responses import Response

from server.pages.deps import PageRoute
from server.projects.evidence import hide_evidence
from server.projects.pages import SentForm

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.post("/projects/{project_id}/evidence/{evidence_id}/hide")
async def hide(project_id: int, evidence_id: int, sent: SentForm) -> Response:
    page = sent.from_project_page(f"hide-evidence-{evidence_id}", "reason")
    return await page.run(
        lambda: hide_evidence(
            page.session, by=page.user, evidence_id=evidence_id, reason=page.form.text("reason")
        ),
        lambda hidden: f"/projects/{project_id}?saved=1#evidence-item-{hidden.id}",
        shown=(403, 409, 422),
    )
