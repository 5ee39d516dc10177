"""The two page forms that carry evidence (bukti dukung): the update form and the lead's close form. They
are multipart, with up to four photos or PDFs of 5 MB each in the field `evidence`, so their routes take a
larger body than the other page forms; like every page form the body is read whole, and CSRF-checked,
before the request's transaction begins (server/pages/deps.py).

The form's dependency also checks and stores the chosen files (server.evidence.service.store, in a worker
thread) before the request's transaction begins: the person is read on the reading engine (PageCaller),
so no SQLite write lock or PostgreSQL connection is held while photos are decoded. A handler takes this
form *before* PageUser in its signature (FastAPI solves dependencies in that order), records the uploads
(`record_uploads`) and posts with their ids in one transaction, so a refused post leaves no evidence row
behind; the page drawn again says the files must be chosen again (a browser never refills a file field)."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from server.accounts.models import User
from server.bodylimit import body_limited_route
from server.errors import PantauError
from server.evidence import service as evidence
from server.evidence.media import MAX_FILE_BYTES
from server.evidence.models import MAX_EVIDENCE_PER_POST
from server.evidence.service import StoredMedia
from server.pages.deps import Form, PageCaller, caller_form, parse_form
from server.pages.forms import Problem
from server.pages.i18n import N_
from server.pages.render import environment

FIELD = "evidence"
# The media check refuses a file over 5 MB; the limit leaves room for four of them and the form's text.
EVIDENCE_BODY_LIMIT = MAX_EVIDENCE_PER_POST * MAX_FILE_BYTES + 1024 * 1024
EvidenceFormRoute = body_limited_route(EVIDENCE_BODY_LIMIT)
# File parts read before the handler counts them: more than four is refused with a message beside the
# field, so the parser must let a few more through; far more is an unreadable form (a script, not a person).
MAX_FILE_PARTS = 16
TOO_MANY = N_("Pilih paling banyak 4 foto atau PDF untuk satu kiriman.")
# The media check's refusals, said beside the file field: too large, not a photo or PDF, broken or a bomb.
MEDIA_REFUSALS = (413, 415, 422)


class EvidenceForm(Form):
    """A page form whose field `evidence` may hold files: after the dependency, each is stored (`stored`)
    or the reason none is (`problem`, for the page to say beside the field)."""

    def __init__(self, data: FormData) -> None:
        super().__init__(data)
        self.stored: list[tuple[StoredMedia, str | None]] = []
        self.problem: Problem | None = None

    def chosen_files(self) -> list[UploadFile]:
        """The files chosen in `evidence`, in the order sent. A file field left empty still sends a part
        (no name, no bytes), which is no file; a text value in the field is no file either."""
        return [
            value
            for value in self._data.getlist(FIELD)
            if isinstance(value, UploadFile) and (value.filename or (value.size or 0) > 0)
        ]

    async def store_chosen(self) -> None:
        """Check, clean and store every chosen file (no database), or note why the form's files are
        refused: more than four, or one the media check refuses (then none is recorded)."""
        chosen = self.chosen_files()
        if len(chosen) > MAX_EVIDENCE_PER_POST:
            self.problem = Problem(TOO_MANY)
            return
        try:
            for file in chosen:
                name = file.filename or None
                self.stored.append((await evidence.store(await file.read(), name), name))
        except PantauError as exc:
            if exc.status_code not in MEDIA_REFUSALS:
                raise
            self.stored, self.problem = [], Problem(str(exc.detail), exc.status_code)

    async def record_uploads(self, session: AsyncSession, *, by: User) -> list[int]:
        """The stored files as `by`'s uploads in `session` (committed with the post that attaches them),
        their ids in the order chosen."""
        return [
            (await evidence.add_upload(session, by=by, stored=stored, filename=name)).id
            for stored, name in self.stored
        ]


async def _posted_with_files(request: Request) -> AsyncIterator[FormData]:
    data = await parse_form(request, max_files=MAX_FILE_PARTS)
    try:
        yield data
    finally:
        await data.close()  # the spooled files


async def evidence_form(
    request: Request, posted: Annotated[FormData, Depends(_posted_with_files)], caller: PageCaller
) -> EvidenceForm:
    """PageForm for the forms with evidence, CSRF-checked the same way, with the files stored."""
    await caller_form(request, posted, caller)
    form = EvidenceForm(posted)
    # How many files came with the form, for the page drawn again after a refusal ("choose them again").
    request.state.evidence_sent = len(form.chosen_files())
    await form.store_chosen()
    return form


EvidenceFormDep = Annotated[EvidenceForm, Depends(evidence_form)]


def evidence_sent(request: Request) -> int:
    """How many files the refused form carried (0 on a page that was not posted)."""
    sent = getattr(request.state, "evidence_sent", 0)
    return sent if isinstance(sent, int) else 0


def thumbnail_size(item: Any, box: int = 320) -> tuple[int, int] | None:
    """The thumbnail's width and height (its longest side is `box` px, never upscaled) from the stored
    photo's, for the <img> attributes that keep the page from jumping while thumbnails load."""
    width, height = _field(item, "width"), _field(item, "height")
    if not width or not height:
        return None
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


environment.globals["thumbnail_size"] = thumbnail_size
