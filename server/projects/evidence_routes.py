"""Evidence (bukti dukung) through the API: upload a photo or PDF, then name its id in a progress update's
or a close's `evidence_ids`; open an item, its thumbnail, a project's list; the lead hides one."""

import hashlib
import os
from pathlib import Path, PurePath
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from server.bodylimit import API_BODY_LIMIT, body_limited_route
from server.deps import Caller, CurrentUser, SessionDep
from server.errors import ERROR_RESPONSES, ErrorBody, NotFound
from server.evidence import service as evidence_service
from server.evidence.media import MAX_FILE_BYTES
from server.evidence.models import Evidence, EvidenceKind, EvidenceRead
from server.evidence.storage import path_of
from server.idempotency import run_once
from server.projects.evidence import EvidenceHide, hide_evidence, project_evidence, visible_evidence

# One file of at most 5 MB (the media check refuses more with its own 413) and the multipart around it.
EVIDENCE_BODY_LIMIT = MAX_FILE_BYTES + 64 * 1024

# The content behind an address never changes (files are named by their hash), so the browser may keep
# it for good; `private`: never a shared cache, since every answer depends on who asks.
CACHE_FOREVER_PRIVATELY = "private, max-age=31536000, immutable"

router = APIRouter(
    prefix="/api/v1",
    tags=["evidence"],
    responses=ERROR_RESPONSES,
    route_class=body_limited_route(API_BODY_LIMIT),
)

NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "The copy the client has (If-None-Match) is the current one"},
}
FILE_RESPONSES = NOT_MODIFIED | {
    200: {"content": {"image/jpeg": {}, "application/pdf": {}}, "description": "The photo or the PDF"}
}
THUMBNAIL_RESPONSES = NOT_MODIFIED | {200: {"content": {"image/jpeg": {}}, "description": "The thumbnail"}}


async def upload_evidence(
    file: UploadFile,
    session: SessionDep,
    user: Caller,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Upload one photo (JPEG, PNG or WebP) or PDF of at most 5 MB in the multipart field `file` → 201
    EvidenceRead, owned by the caller and attached to nothing yet: name its `id` in `evidence_ids` of
    `POST /projects/{id}/updates` or `POST /milestones/{id}/close` (at most 4 per post). The type is
    judged by the content (415 otherwise); a photo is re-encoded as JPEG (longest side at most 1,600 px)
    without its EXIF data but the capture time; a broken or oversized image → 422. Send an
    `Idempotency-Key` header to retry safely: the same key with the same file answers the first upload
    again and stores nothing more."""
    # Caller: the user is read apart, so this request's transaction (on SQLite, the write lock) begins
    # only after the file is checked, cleaned and stored in a worker thread. A retry with the same key
    # stores the same bytes again (a no-op on disk) rather than hold the lock while a photo is decoded.
    data = await file.read()
    stored = await evidence_service.store(data, file.filename)

    async def produce() -> dict[str, object]:
        read = await evidence_service.add_upload(session, by=user, stored=stored, filename=file.filename)
        return read.model_dump(mode="json")

    assert user.id is not None  # a signed-in user is a saved row
    status, payload = await run_once(
        session,
        user_id=user.id,
        key=idempotency_key,
        fingerprint=hashlib.sha256(data).hexdigest(),
        status_code=201,
        produce=produce,
    )
    return JSONResponse(payload, status_code=status)


# A photo is bigger than any JSON body, so this one route reads up to the evidence limit.
router.add_api_route(
    "/evidence",
    upload_evidence,
    methods=["POST"],
    status_code=201,
    response_model=EvidenceRead,
    responses={415: {"model": ErrorBody, "description": "Not a photo (JPEG, PNG, WebP) or a PDF"}},
    route_class_override=body_limited_route(EVIDENCE_BODY_LIMIT),
)


@router.get("/evidence/{evidence_id}", response_class=FileResponse, responses=FILE_RESPONSES)
async def open_evidence(
    evidence_id: int, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """The file (a JPEG photo or a PDF), for those who may see the project of the post it is attached to
    (before that, its uploader alone; once hidden, the project lead, admins and the uploader). The
    session cookie works too, so pages can show it in `<img src>`."""
    row = await visible_evidence(session, user, evidence_id)
    return await _file(request, row.sha256, row.content_type, _download_name(row), sandbox=_is_pdf(row))


@router.get("/evidence/{evidence_id}/thumbnail", response_class=FileResponse, responses=THUMBNAIL_RESPONSES)
async def open_thumbnail(
    evidence_id: int, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """A photo's thumbnail (JPEG, longest side 320 px), for the same people as the file; a PDF has none
    (404)."""
    row = await visible_evidence(session, user, evidence_id)
    if row.thumbnail_sha256 is None:
        raise NotFound("This evidence has no thumbnail (a document)")
    return await _file(
        request, row.thumbnail_sha256, "image/jpeg", f"bukti-{row.id}-kecil.jpg", sandbox=False
    )


@router.post("/evidence/{evidence_id}/hide")
async def hide(evidence_id: int, body: EvidenceHide, session: SessionDep, user: CurrentUser) -> EvidenceRead:
    """The project lead or an admin hides an attached item, with a `reason` of at least 10 characters kept
    on it and in the history; it is never deleted. Its file then opens only for the lead, admins and its
    uploader; posts show it as hidden, by whom and why. Hidden already → 409. Board event
    `evidence.hidden` `{"evidence": EvidenceRead}`."""
    return await hide_evidence(session, by=user, evidence_id=evidence_id, reason=body.reason)


@router.get("/projects/{project_id}/evidence")
async def list_project_evidence(
    project_id: int,
    session: SessionDep,
    user: CurrentUser,
    milestone_id: Annotated[int | None, Query(description="Only this milestone's updates and close")] = None,
) -> list[EvidenceRead]:
    """Every evidence item of the project's updates and closes, hidden ones included (marked `hidden`),
    oldest post first and in each post's order."""
    return await project_evidence(session, by=user, project_id=project_id, milestone_id=milestone_id)


def _is_pdf(row: Evidence) -> bool:
    return row.kind == EvidenceKind.document


def _download_name(row: Evidence) -> str:
    """The name the browser offers when saving: the uploader's, with the extension of what is stored (a
    PNG photo is kept as a JPEG)."""
    extension = ".pdf" if _is_pdf(row) else ".jpg"
    stem = PurePath(row.original_name or "").stem.strip()
    return f"{stem or f'bukti-{row.id}'}{extension}"


async def _file(request: Request, sha256: str, media_type: str, filename: str, *, sandbox: bool) -> Response:
    """The stored file, named by its content hash, which is also its ETag: a client that has it gets 304."""
    etag = f'"{sha256}"'
    headers = {
        "Cache-Control": CACHE_FOREVER_PRIVATELY,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if sandbox:
        # A PDF opened in the browser runs in an opaque origin: no scripts of its own reach the site.
        headers["Content-Security-Policy"] = "sandbox"
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    path: Path = path_of(sha256)
    try:
        stat = await anyio.to_thread.run_sync(os.stat, path)
    except FileNotFoundError:
        # The row outlived its file (a restore without the media): say so rather than fail.
        raise NotFound("The evidence file is missing from the server's media folder") from None
    return FileResponse(
        path,
        headers=headers,
        media_type=media_type,
        filename=filename,
        stat_result=stat,
        content_disposition_type="inline",
    )
