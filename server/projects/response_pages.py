"""Answering progress updates from the pages: the seen, reaction and comment forms under each update of
the project page's feed and of the board's companion page (`/board/unit/{id}/feed`, for a leader on a
phone or laptop beside the wall screen, which is not interactive). Each form calls the same service
function as the API and goes back to the page it came from (`back`); each works without JavaScript.

Also what those pages and the author's home need to draw the answers (web/templates/_update_responses.html,
_my_responses.html), and the two fragments web/static/responses.js fetches to bring them up to date."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.service import subtree_in, unit_parents
from server.deps import SessionDep
from server.evidence.service import evidence_of_updates
from server.pages.deps import PageRoute, PageUser
from server.pages.render import render
from server.projects import responses
from server.projects.boards import check_board_access
from server.projects.models import CommentCreate, ReactionSet
from server.projects.pages import SentForm
from server.projects.views import evidence_names, feed_responses, home_responses

router = APIRouter(include_in_schema=False, route_class=PageRoute)
FEED_ITEMS = 30
HOME_ITEMS = 10


# --- the companion page of the unit board ---------------------------------------------------------------


async def _board_feed(session: AsyncSession, user: User, unit_id: int) -> dict[str, Any]:
    await check_board_access(session, user, "unit", unit_id)
    parents = await unit_parents(session)
    updates = await responses.unit_feed(session, unit_ids=subtree_in(parents, unit_id), limit=FEED_ITEMS)
    evidence = await evidence_of_updates(session, [u["id"] for u in updates])
    updates = [{**u, "evidence": evidence.get(u["id"], [])} for u in updates]
    # Only a leader of the unit (or above) or an admin sees a unit board: they may answer every update on it.
    back = f"/board/unit/{unit_id}/feed"
    shown = {u["project_id"] for u in updates}
    answers = await feed_responses(session, updates, may=shown, may_reply=shown, back=back)
    items = [item for found in evidence.values() for item in found]
    return {
        "updates": updates,
        "responses": answers,
        "unit_id": unit_id,
        "evidence_people": await evidence_names(session, items),
    }


@router.get("/board/unit/{unit_id}/feed", response_class=HTMLResponse)
async def board_feed(request: Request, unit_id: int, session: SessionDep, user: PageUser) -> Response:
    """The latest updates of the unit's projects, newest first, with the forms to answer each."""
    return render(request, "board_feed.html", **await _board_feed(session, user, unit_id))


@router.get("/board/unit/{unit_id}/feed/items", response_class=HTMLResponse)
async def board_feed_items(request: Request, unit_id: int, session: SessionDep, user: PageUser) -> Response:
    """The companion page's list alone, fetched by responses.js when the board says something changed."""
    return render(request, "_board_feed_items.html", **await _board_feed(session, user, unit_id))


@router.get("/home/responses", response_class=HTMLResponse)
async def my_responses(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The home page's "answers to my updates" section alone, fetched by responses.js when the bell hears
    of a new one."""
    return render(
        request, "_my_responses.html", my_responses=await home_responses(session, user), fragment=True
    )


# --- the forms -------------------------------------------------------------------------------------------


@router.post("/updates/{update_id}/seen")
async def mark_seen(update_id: int, sent: SentForm) -> Response:
    return await sent.run_and_go_back(
        f"seen-{update_id}", lambda: responses.mark_seen(sent.session, by=sent.user, update_id=update_id)
    )


@router.post("/updates/{update_id}/reaction")
async def react(update_id: int, sent: SentForm) -> Response:
    """`reaction` is one of the reactions, or empty to take one's reaction away (the page sends it empty
    from the button of the reaction one already gave)."""
    chosen = sent.form.text("reaction")
    return await sent.run_and_go_back(
        f"react-{update_id}",
        lambda: responses.react(
            sent.session,
            by=sent.user,
            update_id=update_id,
            reaction=ReactionSet.model_validate({"reaction": chosen}).reaction if chosen else None,
        ),
    )


@router.post("/updates/{update_id}/comments")
async def comment(update_id: int, sent: SentForm) -> Response:
    text = sent.form.text("text")
    return await sent.run_and_go_back(
        f"comment-{update_id}",
        lambda: responses.comment(
            sent.session, by=sent.user, update_id=update_id, data=CommentCreate(text=text)
        ),
        "text",
    )
