"""The caller's own notifications and their choice of channel per kind (API v1 additions)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from server.bodylimit import API_BODY_LIMIT, body_limited_route
from server.deps import CurrentUser, SessionDep
from server.errors import ERROR_RESPONSES
from server.notifications import service
from server.notifications.models import Notification

router = APIRouter(
    prefix="/api/v1/me",
    tags=["notifications"],
    responses=ERROR_RESPONSES,
    route_class=body_limited_route(API_BODY_LIMIT),
)

Channel = Literal["in_app", "email", "digest"]


class NotificationRead(BaseModel):
    id: int
    kind: str
    text: str = Field(description="Rendered in Indonesian (the pages render it in the reader's language)")
    message: str = Field(description="The message id (Indonesian) the text is rendered from")
    params: dict[str, object]
    url: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    unread: int
    notifications: list[NotificationRead]


class MarkRead(BaseModel):
    ids: list[int] | None = Field(default=None, max_length=500, description="Omitted: mark all read")


class MarkedRead(BaseModel):
    marked: int
    unread: int


class Preferences(BaseModel):
    """Each kind's channel: in_app (the bell only), email (also an e-mail at once), digest (also a daily
    e-mail). A kind left out of a PUT keeps its channel."""

    preferences: dict[str, Channel]
    kinds: list[str] = Field(default_factory=lambda: list(service.KINDS))


class PreferencesSet(BaseModel):
    preferences: dict[str, Channel] = Field(max_length=len(service.KINDS))


def _read(notification: Notification) -> NotificationRead:
    described = service.describe(notification)
    return NotificationRead(message=notification.message, params=service.params_of(notification), **described)


@router.get("/notifications")
async def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    unread: Annotated[bool, Query(description="Only the unread ones")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationList:
    """The caller's notifications, newest first, and how many are unread."""
    assert user.id is not None
    rows = await service.latest(session, user.id, limit=limit, unread_only=unread)
    return NotificationList(
        unread=await service.unread_count(session, user.id), notifications=[_read(n) for n in rows]
    )


@router.post("/notifications/read")
async def mark_read(session: SessionDep, user: CurrentUser, body: MarkRead | None = None) -> MarkedRead:
    """Mark the given notifications of the caller read, or all of them when `ids` is omitted."""
    assert user.id is not None
    ids = body.ids if body is not None else None
    marked = await service.mark_read(session, user_id=user.id, ids=ids)
    return MarkedRead(marked=marked, unread=await service.unread_count(session, user.id))


@router.get("/notification-preferences")
async def read_preferences(session: SessionDep, user: CurrentUser) -> Preferences:
    assert user.id is not None
    return Preferences(preferences=await service.preferences_of(session, user.id))


@router.put("/notification-preferences")
async def set_preferences(session: SessionDep, user: CurrentUser, body: PreferencesSet) -> Preferences:
    """Set the channel of the kinds given; e-mail and digest need an e-mail address on the account."""
    assert user.id is not None
    for kind, channel in body.preferences.items():
        await service.set_preference(session, user=user, kind=kind, channel=channel)
    return Preferences(preferences=await service.preferences_of(session, user.id))
