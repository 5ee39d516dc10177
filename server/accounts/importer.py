"""Importing staff from a spreadsheet (CSV or XLSX): every row is checked first, and nothing is
imported until the whole file is clean; then all rows go in one transaction.

Columns (header names are matched case-insensitively, Indonesian or English): NIP, name (nama),
unit, supervisor NIP (nip atasan), role (peran: staff|leader|admin, default staff), email. The unit is its
exact name or its id. A supervisor may be an existing user or another row of the same file.

Nothing here holds the event loop or a lock for long. The file is read in a worker thread, as a stream:
the rows are counted as they are read and a file is refused as soon as it passes the limit (a workbook's
declared size is not believed), and before the request's first statement. Its rows are checked in a
worker thread too, and written in chunks with a pause for other requests between them (on SQLite the
writes run on the loop's own thread)."""

import asyncio
import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from openpyxl import load_workbook
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Role, Unit, User
from server.accounts.nip import InvalidNip, normalize_nip
from server.audit import HistoryEntry
from server.errors import Invalid
from server.text import NAME_MAX, clean_line

MAX_ROWS = 20_000
# Rows read before a file is refused, empty ones included: the data rows and as many blank ones again.
MAX_SCANNED = 2 * MAX_ROWS + 1
# Cells read per row: the columns Pantau knows are among the first (a wider sheet's other cells are left).
MAX_COLUMNS = 40
# A workbook's unpacked worksheets: 20,000 rows of 40 cells fit; a "zip bomb" does not.
MAX_UNPACKED = 64 * 1024 * 1024
# Rows per statement when writing. A chunk holds the loop (SQLite's writes run on it) a few milliseconds;
# after each the import pauses as long again, so that it never takes more than half the loop's time and a
# request arriving meanwhile (which needs a dozen turns of the loop) is answered within a chunk or two.
WRITE_CHUNK = 250
YIELD_EVERY = 100
TOO_MANY = f"At most {MAX_ROWS} rows per file"

HEADERS = {
    "nip": ("nip",),
    "name": ("name", "nama", "nama lengkap"),
    "unit": ("unit", "unit kerja", "opd", "bidang"),
    "supervisor_nip": ("supervisor nip", "nip atasan", "supervisor", "atasan"),
    "role": ("role", "peran"),
    "email": ("email", "e-mail", "surel"),
}
ROLE_WORDS = {
    "staff": Role.staff,
    "pegawai": Role.staff,
    "leader": Role.leader,
    "pimpinan": Role.leader,
    "admin": Role.admin,
    "operator": Role.admin,
}


@dataclass
class ImportRow:
    line: int
    nip: str
    name: str
    unit: str
    supervisor_nip: str
    role: str
    email: str
    errors: list[str] = field(default_factory=list)
    unit_id: int | None = None


@dataclass
class ImportReport:
    rows: list[ImportRow]
    imported: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(r.errors for r in self.rows)

    def problems(self) -> list[dict[str, object]]:
        return [{"row": r.line, "nip": r.nip, "errors": r.errors} for r in self.rows if r.errors]


def read_rows(filename: str, content: bytes) -> list["ImportRow"]:
    """The file's rows, checked for shape only (columns, the row limit). CPU work: run it in a worker
    thread (`parse_file`)."""
    return parse_rows(_table(filename, content))


async def parse_file(filename: str, content: bytes) -> list["ImportRow"]:
    return await anyio.to_thread.run_sync(read_rows, filename, content)


def _table(filename: str, content: bytes) -> Iterator[list[str]]:
    return _xlsx_table(content) if filename.lower().endswith(".xlsx") else _csv_table(content)


def _xlsx_table(content: bytes) -> Iterator[list[str]]:
    """The cells of the first sheet, row by row as the file is read (openpyxl's read-only mode)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        unpacked = sum(i.file_size for i in archive.infolist() if i.filename.startswith("xl/worksheets/"))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise Invalid(f"The file is not a readable XLSX workbook ({exc.__class__.__name__})") from exc
    if unpacked > MAX_UNPACKED:
        raise Invalid(
            f"At most {MAX_ROWS} rows per file; this workbook unpacks to over {MAX_UNPACKED // 2**20} MB of rows"
        )
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.active
        # The size the file declares is not believed: rows are read until the file or the limit ends.
        sheet.reset_dimensions()  # type: ignore[union-attr]
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)  # type: ignore[union-attr]
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid(f"The file is not a readable XLSX workbook ({exc.__class__.__name__})") from exc
    try:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                raise Invalid(f"The file is not a readable XLSX workbook ({exc.__class__.__name__})") from exc
            yield ["" if value is None else str(value).strip() for value in row]
    finally:
        book.close()


def _csv_table(content: bytes) -> Iterator[list[str]]:
    """The cells of a CSV file (comma, semicolon or tab separated), row by row."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column, or too little text to tell: read as plain comma-separated
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            yield [cell.strip() for cell in row[:MAX_COLUMNS]]
    except csv.Error as exc:
        raise Invalid(f"The file is not a readable CSV file ({exc})") from exc


def _data_rows(rows: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every row that is not empty, refusing the file as soon as it has more than
    MAX_ROWS of them, or more than MAX_SCANNED rows read in all (a sheet of blank rows)."""
    kept = 0
    for scanned, row in enumerate(rows, start=2):
        _let_the_loop_in(scanned)
        if scanned > MAX_SCANNED + 1:
            raise Invalid(TOO_MANY)
        if any(row):
            kept += 1
            if kept > MAX_ROWS:
                raise Invalid(TOO_MANY)
            yield scanned, row


def _let_the_loop_in(n: int) -> None:
    """Called per row by the work done in a worker thread: every few hundred rows it gives up the GIL, so
    the event loop's thread, which needs it after every wait, never queues long behind this one (Python
    would otherwise hand it over only every 5 ms, and a request takes dozens of turns of the loop)."""
    if n % YIELD_EVERY == 0:
        time.sleep(0)


def parse_rows(table: Iterable[list[str]]) -> list["ImportRow"]:
    rows = iter(table)
    first = next(rows, None)
    if first is None:
        raise Invalid("The file is empty")
    header = [h.strip().lower() for h in first]
    columns: dict[str, int] = {}
    for key, names in HEADERS.items():
        found = next((i for i, h in enumerate(header) if h in names), None)
        if found is not None:
            columns[key] = found
    missing = [k for k in ("nip", "name", "unit") if k not in columns]
    if missing:
        raise Invalid(
            f"Missing column(s): {', '.join(missing)}. Expected: NIP, name, unit, supervisor NIP, role, email"
        )

    def cell(row: list[str], key: str) -> str:
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    return [
        ImportRow(
            line=line,
            nip=cell(r, "nip"),
            name=clean_line(cell(r, "name")),
            unit=cell(r, "unit"),
            supervisor_nip=cell(r, "supervisor_nip"),
            role=cell(r, "role"),
            email=clean_line(cell(r, "email")),
        )
        for line, r in _data_rows(rows)
    ]


async def validate(session: AsyncSession, rows: list[ImportRow]) -> ImportReport:
    """Every row checked against the database: what is needed is read first, then the rows are checked
    in a worker thread."""
    units = (await session.execute(select(Unit.id, Unit.name))).all()
    existing = set((await session.scalars(select(User.nip))).all())
    usernames = set((await session.scalars(select(func.lower(User.username)))).all())
    await anyio.to_thread.run_sync(check_rows, rows, units, existing, usernames)
    return ImportReport(rows=rows)


def check_rows(
    rows: list[ImportRow], units: Iterable[tuple[int, str]], existing: set[str], usernames: set[str]
) -> None:
    """Write each row's problems on it (and its unit's id, its NIPs normalised)."""
    by_name = {name.strip().lower(): unit_id for unit_id, name in units}
    unit_ids = set(by_name.values())
    seen: dict[str, int] = {}
    for n, row in enumerate(rows):
        _let_the_loop_in(n)
        try:
            row.nip = normalize_nip(row.nip)
        except InvalidNip as exc:
            row.errors.append(str(exc))
        if not row.name:
            row.errors.append("Name is empty")
        elif len(row.name) > NAME_MAX:
            row.errors.append(f"Name is longer than {NAME_MAX} characters")
        if len(row.email) > NAME_MAX:
            row.errors.append(f"E-mail is longer than {NAME_MAX} characters")
        given_id = int(row.unit) if row.unit.isascii() and row.unit.isdigit() and len(row.unit) < 10 else None
        row.unit_id = by_name.get(row.unit.lower()) or (given_id if given_id in unit_ids else None)
        if row.unit_id is None:
            row.errors.append(f"Unknown unit {row.unit[:NAME_MAX]!r}")
        if row.role and row.role.lower() not in ROLE_WORDS:
            row.errors.append(f"Unknown role {row.role[:40]!r}: use staff, leader or admin")
        if row.nip in existing or row.nip.lower() in usernames:
            row.errors.append(f"NIP {row.nip} already has an account")
        elif row.nip in seen:
            row.errors.append(f"Duplicate of row {seen[row.nip]}")
        else:
            seen[row.nip] = row.line
    for row in rows:
        if not row.supervisor_nip:
            continue
        try:
            supervisor = normalize_nip(row.supervisor_nip)
        except InvalidNip as exc:
            row.errors.append(f"Supervisor: {exc}")
            continue
        if supervisor == row.nip:
            row.errors.append("A person cannot be their own supervisor")
        elif supervisor not in seen and supervisor not in existing:
            row.errors.append(f"Unknown supervisor NIP {supervisor}")
        row.supervisor_nip = supervisor


async def import_staff(
    session: AsyncSession, *, by_id: int, filename: str, content: bytes, dry_run: bool
) -> ImportReport:
    """Check the file; when clean (and not a dry run) create every account, without a password: an
    admin sets each person's password before they first sign in. The file is read before anything is
    asked of `session`, so a caller whose transaction has not begun yet holds no lock meanwhile."""
    rows = await parse_file(filename, content)
    report = await validate(session, rows)
    if not report.ok or dry_run:
        return report
    await write_rows(session, report.rows, by_id=by_id, source=f"import {clean_line(filename)[:200]}")
    report.imported = len(report.rows)
    return report


async def write_rows(session: AsyncSession, rows: list[ImportRow], *, by_id: int, source: str) -> None:
    """Create the checked rows' accounts, link their supervisors and keep each in the history."""
    now = clock.now()

    def user(r: ImportRow) -> dict[str, Any]:
        return {
            "username": r.nip,
            "name": r.name,
            "nip": r.nip,
            "role": ROLE_WORDS[(r.role or "staff").lower()],
            "unit_id": r.unit_id,
            "email": r.email or None,
            "is_active": True,
            "created_at": now,
        }

    await _in_chunks(session, insert(User), rows, user)
    wanted = sorted({r.nip for r in rows} | {r.supervisor_nip for r in rows if r.supervisor_nip})
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), WRITE_CHUNK):
        chunk = wanted[start : start + WRITE_CHUNK]
        began = time.perf_counter()
        ids.update((await session.execute(select(User.nip, User.id).where(User.nip.in_(chunk)))).all())
        await _pause_since(began)
    # Supervisors are linked after every row exists, so a file may list people in any order.
    led = [r for r in rows if r.supervisor_nip]
    await _in_chunks(
        session, update(User), led, lambda r: {"id": ids[r.nip], "supervisor_id": ids[r.supervisor_nip]}
    )

    def entry(r: ImportRow) -> dict[str, Any]:
        return {
            "actor_id": by_id,
            "entity": "user",
            "entity_id": ids[r.nip],
            "action": "imported",
            "at": now,
            "subject_user_id": ids[r.nip],
            "reason": source,
            "after": {
                "nip": r.nip,
                "name": r.name,
                "unit_id": r.unit_id,
                "role": ROLE_WORDS[(r.role or "staff").lower()].value,
                "supervisor_nip": r.supervisor_nip or None,
            },
        }

    await _in_chunks(session, insert(HistoryEntry), rows, entry)


async def _in_chunks(
    session: AsyncSession,
    statement: Any,
    rows: list[ImportRow],
    parameters: Callable[[ImportRow], dict[str, Any]],
) -> None:
    """One statement for many rows, WRITE_CHUNK rows at a time (their parameters made chunk by chunk),
    letting other requests run in between."""
    for start in range(0, len(rows), WRITE_CHUNK):
        began = time.perf_counter()
        await session.execute(statement, [parameters(r) for r in rows[start : start + WRITE_CHUNK]])
        await _pause_since(began)


async def _pause_since(began: float) -> None:
    """Let the loop serve others as long as the last chunk held it (at most 50 ms)."""
    await asyncio.sleep(min(time.perf_counter() - began, 0.05))
