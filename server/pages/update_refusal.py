"""A refused progress update is shown on the page its form is on (the project page or "Pekerjaan saya"),
next to that milestone's form, and not on a page of its own whose "back" loses what was typed: the page
is drawn again with the message, and the browser's draft (web/static/drafts.js) keeps the text.

The handler (server/pages/routes.py, post_update_form) notes the refusal on the request; the templates
ask for it by milestone with the global `update_refusal(request, milestone_id)`."""

from dataclasses import dataclass

from fastapi import Request

from server.pages import i18n
from server.pages.evidence_form import evidence_sent
from server.pages.render import environment


@dataclass(frozen=True)
class UpdateRefusal:
    milestone_id: int | None
    message: str  # in the page's language
    typed: dict[str, str]  # the fields as sent, for a form that fills them in again
    field: str | None = None  # the field the message goes beside ("evidence"), None for the form
    files: int = 0  # how many files the form carried: they must be chosen again


def note_refusal(
    request: Request,
    milestone_id: int | None,
    message: str,
    typed: dict[str, str],
    field: str | None = None,
) -> None:
    """Remember why the update was refused, in the request's language, for the page drawn next."""
    said = i18n.localise_message(message, i18n.request_locale(request))
    files = evidence_sent(request)
    request.state.update_refusal = UpdateRefusal(milestone_id, said, typed, field, files)


def update_refusal(request: Request, milestone_id: int) -> UpdateRefusal | None:
    refusal = getattr(request.state, "update_refusal", None)
    if isinstance(refusal, UpdateRefusal) and refusal.milestone_id == milestone_id:
        return refusal
    return None


def any_update_refusal(request: Request) -> UpdateRefusal | None:
    """A refusal of a milestone the page has no form for (closed meanwhile, or not the person's)."""
    refusal = getattr(request.state, "update_refusal", None)
    return refusal if isinstance(refusal, UpdateRefusal) else None


environment.globals.update(update_refusal=update_refusal, any_update_refusal=any_update_refusal)
