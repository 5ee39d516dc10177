"""The staff import page: step 1 "Periksa" checks every row of a CSV/XLSX file (nothing is written), step 2
"Impor" imports the checked file in one transaction. Between the steps the file waits in the database
(accounts.uploads), so the admin does not pick it again and any app process can finish the import.

Both steps read the file (in a worker thread, server/accounts/importer.py) before the request's
transaction begins: the admin is read on the reading engine (UploadForm, AdminPageCaller), so no write lock
is held while a spreadsheet is parsed."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import downloads
from server.accounts import uploads
from server.accounts.importer import ROLE_WORDS, ImportReport, import_staff
from server.accounts.onboarding import BATCH as FIRST_PASSWORD_BATCH
from server.accounts.service import list_units
from server.bodylimit import UPLOAD_BODY_LIMIT, body_limited_route
from server.deps import RuntimeDep, SessionDep
from server.errors import Conflict
from server.pages.deps import AdminPage, AdminPageCaller, UploadForm, form_number
from server.pages.forms import attempt
from server.pages.i18n import localise_message, request_locale
from server.pages.render import render

# Every route here reads at most the upload limit (the API's import route has the same limit).
router = APIRouter(include_in_schema=False, route_class=body_limited_route(UPLOAD_BODY_LIMIT))

PREVIEW_ROWS = 10
EXAMPLE = [
    ("198703102012011005", "Sari Lestari", "{unit}", "199001012011011001", "staff", "sari@bukitintan.go.id"),
    ("199001012011011001", "Hadi Pratama", "{unit}", "", "leader", ""),
]


def _page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("report", None)
    context.setdefault("upload", None)
    context.setdefault("failure", None)
    context.setdefault("imported", None)
    context.setdefault("detail", None)
    context.setdefault("batch", FIRST_PASSWORD_BATCH)
    return render(
        request,
        "admin_import.html",
        status_code=status_code,
        max_bytes=UPLOAD_BODY_LIMIT - 64 * 1024,
        **context,
    )


@router.get("/admin/import", response_class=HTMLResponse)
async def import_page(request: Request, admin: AdminPage, selesai: str = "") -> Response:
    """Upload a CSV or XLSX file of staff; every row is checked before anything is imported."""
    return _page(request, imported=form_number(selesai))


@router.get("/admin/import/example.csv")
async def example_csv(session: SessionDep, admin: AdminPage) -> Response:
    """An example file with the expected columns, naming a real unit of this installation."""
    units = await list_units(session)
    unit = units[-1].name if units else "Bidang Pelayanan"
    # Written like every export (server/downloads.py): a stored unit name never becomes a live formula.
    body = downloads.csv_bytes(
        ["NIP", "Nama", "Unit", "NIP Atasan", "Peran", "Email"],
        ([cell.format(unit=unit) for cell in row] for row in EXAMPLE),
    )
    return Response(
        body, media_type="text/csv; charset=utf-8", headers=downloads.attachment("contoh-impor-pegawai.csv")
    )


def _preview(report: ImportReport, unit_names: dict[int, str]) -> list[dict[str, str]]:
    """The first rows as they will be imported (only shown for a clean file)."""
    if not report.ok:
        return []
    return [
        {
            "line": str(r.line),
            "nip": r.nip,
            "name": r.name,
            "unit": unit_names.get(r.unit_id or 0, r.unit),
            "supervisor_nip": r.supervisor_nip,
            "role": ROLE_WORDS[(r.role or "staff").lower()].value,
            "email": r.email,
        }
        for r in report.rows[:PREVIEW_ROWS]
    ]


async def _report_page(
    request: Request, session: AsyncSession, report: ImportReport, *, filename: str, upload_id: int | None
) -> Response:
    unit_names = {u.id: u.name for u in await list_units(session)}
    locale = request_locale(request)
    return _page(
        request,
        status_code=200 if report.ok else 422,
        report=report,
        # The importer words its problems in English, as the API does; the page shows them in its language.
        bad=[(r, [localise_message(p, locale) for p in r.errors]) for r in report.rows if r.errors],
        preview=_preview(report, unit_names),
        filename=filename,
        upload=upload_id,
    )


@router.post("/admin/import/check")
async def check_file(
    request: Request, session: SessionDep, form: UploadForm, admin: AdminPageCaller
) -> Response:
    """Step 1: a dry run over every row. A clean file is kept for step 2; a bad one is only reported."""
    upload = form.file("file")
    if upload is None or not upload.filename:
        return _page(request, status_code=422, failure="no_file")
    filename = upload.filename
    if not filename.lower().endswith((".csv", ".xlsx")):
        return _page(request, status_code=422, failure="type", filename=filename)
    content = await upload.read()
    if not content:
        return _page(request, status_code=422, failure="empty", filename=filename)
    report, problem = await attempt(
        lambda: import_staff(session, by_id=admin.id, filename=filename, content=content, dry_run=True),
        session=session,
    )
    if report is None:
        return _page(request, status_code=422, failure="unreadable", detail=problem, filename=filename)
    kept = None
    if report.ok:
        kept = await uploads.keep_upload(
            session, by_id=admin.id, filename=filename, content=content, row_count=len(report.rows)
        )
    return await _report_page(
        request, session, report, filename=filename, upload_id=kept.id if kept else None
    )


@router.post("/admin/import/apply")
async def import_file(
    request: Request, session: SessionDep, runtime: RuntimeDep, form: UploadForm, admin: AdminPageCaller
) -> Response:
    """Step 2: import the checked file in this request's one transaction, then forget it. The file is
    fetched on the reading engine and read before the transaction begins; forgetting it (in the same
    transaction) is what makes a second click, or a second process, import nothing twice."""
    upload_id = form.number("upload_id")
    async with runtime.read_sessionmaker() as reads:
        upload = await uploads.find_upload(reads, upload_id=upload_id, by_id=admin.id) if upload_id else None
    if upload is None:
        return _page(request, status_code=409, failure="expired")
    filename, content = upload.filename, upload.content

    async def run() -> ImportReport:
        report = await import_staff(
            session, by_id=admin.id, filename=filename, content=content, dry_run=False
        )
        if report.ok and not await uploads.forget_upload(session, upload_id=upload_id or 0):
            raise Conflict("This file was imported already")
        return report

    report, problem = await attempt(run, session=session, shown=(409, 422))
    if report is None:
        if problem is not None and problem.status_code == 409:
            return _page(request, status_code=409, failure="expired")
        return _page(request, status_code=422, failure="unreadable", detail=problem, filename=filename)
    if not report.ok:
        # The data changed since the check (e.g. one of these NIPs got an account): nothing was written.
        await uploads.forget_upload(session, upload_id=upload_id or 0)
        return await _report_page(request, session, report, filename=filename, upload_id=None)
    return RedirectResponse(f"/admin/import?selesai={report.imported}", status_code=303)
