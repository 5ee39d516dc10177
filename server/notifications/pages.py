"""The notifications page (everything the bell told the signed-in person, newest first, in their language)
and their choice of channel per kind. The rules are server/notifications/service.py's, as for the API."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.deps import SessionDep
from server.notifications import service
from server.notifications.models import Notification
from server.pages import i18n
from server.pages.deps import PageForm, PageRoute, PageUser
from server.pages.forms import attempt
from server.pages.render import render
from server.text import N_

router = APIRouter(include_in_schema=False, route_class=PageRoute)

SHOWN = 100
CHANNEL_LABELS = {
    "in_app": N_("Hanya di aplikasi"),
    "email": N_("Juga lewat e-mail"),
    "digest": N_("Ringkasan harian lewat e-mail"),
}


def worded(notification: Notification) -> str:
    """The notification in the request's language; its message as stored when its values do not fit
    the translation (a catalogue changed since)."""
    params = service.params_of(notification)
    try:
        return i18n.gettext(notification.message, **params)
    except (KeyError, TypeError, ValueError):
        return service.render(notification.message, params)


def _item(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "text": worded(notification),
        "url": notification.url,
        "created_at": notification.created_at,
        "unread": notification.read_at is None,
    }


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    assert user.id is not None
    rows = await service.latest(session, user.id, limit=SHOWN)
    return render(
        request,
        "notifications.html",
        items=[_item(row) for row in rows],
        unread=await service.unread_count(session, user.id),
        marked=request.query_params.get("marked") == "1",
    )


@router.post("/notifications/read")
async def mark_all_read(session: SessionDep, user: PageUser, form: PageForm) -> Response:
    assert user.id is not None
    await service.mark_read(session, user_id=user.id)
    return RedirectResponse("/notifications?marked=1", status_code=303)


@router.post("/notifications/{notification_id}/open")
async def open_notification(
    notification_id: int, session: SessionDep, user: PageUser, form: PageForm
) -> Response:
    """Mark one read and go where it points (its own page when it points nowhere)."""
    assert user.id is not None
    notification = await session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return RedirectResponse("/notifications", status_code=303)
    await service.mark_read(session, user_id=user.id, ids=[notification_id])
    target = notification.url if notification.url and notification.url.startswith("/") else "/notifications"
    if target.startswith("//"):
        target = "/notifications"
    return RedirectResponse(target, status_code=303)


async def _preferences_page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    status_code: int = 200,
    chosen: dict[str, str] | None = None,
    detail: str | None = None,
) -> Response:
    assert user.id is not None
    return render(
        request,
        "notification_preferences.html",
        status_code=status_code,
        kinds=[(kind, service.KIND_LABELS[kind]) for kind in service.KINDS],
        channels=list(CHANNEL_LABELS.items()),
        chosen=chosen or await service.preferences_of(session, user.id),
        has_email=bool(user.email),
        detail=detail,
        saved=request.query_params.get("saved") == "1",
    )


@router.get("/account/notifications", response_class=HTMLResponse)
async def preferences_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    return await _preferences_page(request, session, user)


@router.post("/account/notifications")
async def save_preferences(request: Request, session: SessionDep, user: PageUser, form: PageForm) -> Response:
    chosen = {
        kind: form.text(kind, service.DEFAULT_CHANNEL) or service.DEFAULT_CHANNEL for kind in service.KINDS
    }

    async def save() -> None:
        for kind, channel in chosen.items():
            await service.set_preference(session, user=user, kind=kind, channel=channel)

    _, problem = await attempt(save, session=session, reload=(user,))
    if problem is not None:
        return await _preferences_page(request, session, user, status_code=422, chosen=chosen, detail=problem)
    return RedirectResponse("/account/notifications?saved=1", status_code=303)
