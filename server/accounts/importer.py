"""Importing staff from a spreadsheet (CSV or XLSX): every row is checked first, and nothing is
imported until the whole file is clean; then all rows go in one transaction.

Columns (header names are matched case-insensitively, Indonesian or English): NIP, name (nama),
unit, supervisor NIP (nip atasan), role (peran: staff|leader|admin, default staff), email. The unit is its
exact name or its id. A supervisor may be an existing user or another row of the same file."""

import csv
import io
from dataclasses import dataclass, field

from openpyxl import load_workbook
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Role, Unit, User
from server.accounts.nip import InvalidNip, normalize_nip
from server.audit import HistoryEntry
from server.errors import Invalid

MAX_ROWS = 20_000
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


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """The cells of the first sheet of an XLSX file, or of a CSV file (comma or semicolon separated)."""
    if filename.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise Invalid(f"The file is not a readable XLSX workbook ({exc.__class__.__name__})") from exc
        return [
            ["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column, or too little text to tell: read as plain comma-separated
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise Invalid(f"The file is not a readable CSV file ({exc})") from exc


def parse_rows(table: list[list[str]]) -> list[ImportRow]:
    if not table:
        raise Invalid("The file is empty")
    header = [h.strip().lower() for h in table[0]]
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
    body = [row for row in table[1:] if any(cell for cell in row)]
    if len(body) > MAX_ROWS:
        raise Invalid(f"At most {MAX_ROWS} rows per file")

    def cell(row: list[str], key: str) -> str:
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    return [
        ImportRow(
            line=n + 2,
            nip=cell(r, "nip"),
            name=cell(r, "name"),
            unit=cell(r, "unit"),
            supervisor_nip=cell(r, "supervisor_nip"),
            role=cell(r, "role"),
            email=cell(r, "email"),
        )
        for n, r in enumerate(body)
    ]


async def validate(session: AsyncSession, rows: list[ImportRow]) -> ImportReport:
    units = (await session.execute(select(Unit.id, Unit.name))).all()
    by_name = {name.strip().lower(): unit_id for unit_id, name in units}
    unit_ids = {unit_id for unit_id, _ in units}
    existing = set((await session.scalars(select(User.nip))).all())
    existing_usernames = set((await session.scalars(select(func.lower(User.username)))).all())
    seen: dict[str, int] = {}
    for row in rows:
        try:
            row.nip = normalize_nip(row.nip)
        except InvalidNip as exc:
            row.errors.append(str(exc))
        if not row.name:
            row.errors.append("Name is empty")
        row.unit_id = by_name.get(row.unit.lower()) or (
            int(row.unit) if row.unit.isdigit() and int(row.unit) in unit_ids else None
        )
        if row.unit_id is None:
            row.errors.append(f"Unknown unit {row.unit!r}")
        if row.role and row.role.lower() not in ROLE_WORDS:
            row.errors.append(f"Unknown role {row.role!r}: use staff, leader or admin")
        if row.nip in existing or row.nip.lower() in existing_usernames:
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
    return ImportReport(rows=rows)


async def import_staff(
    session: AsyncSession, *, by_id: int, filename: str, content: bytes, dry_run: bool
) -> ImportReport:
    """Check the file; when clean (and not a dry run) create every account, without a password: an
    admin sets each person's password before they first sign in."""
    report = await validate(session, parse_rows(read_table(filename, content)))
    if not report.ok or dry_run:
        return report
    now = clock.now()
    await session.execute(
        insert(User),
        [
            {
                "username": r.nip,
                "name": r.name,
                "nip": r.nip,
                "role": ROLE_WORDS[(r.role or "staff").lower()],
                "unit_id": r.unit_id,
                "email": r.email or None,
                "is_active": True,
                "created_at": now,
            }
            for r in report.rows
        ],
    )
    wanted = {r.nip for r in report.rows} | {r.supervisor_nip for r in report.rows if r.supervisor_nip}
    ids = dict((await session.execute(select(User.nip, User.id).where(User.nip.in_(wanted)))).all())
    # Supervisors are linked after every row exists, so a file may list people in any order.
    links = [
        {"id": ids[r.nip], "supervisor_id": ids[r.supervisor_nip]} for r in report.rows if r.supervisor_nip
    ]
    if links:
        await session.execute(update(User), links)
    await session.execute(
        insert(HistoryEntry),
        [
            {
                "actor_id": by_id,
                "entity": "user",
                "entity_id": ids[r.nip],
                "action": "imported",
                "at": now,
                "subject_user_id": ids[r.nip],
                "reason": f"import {filename}",
                "after": {
                    "nip": r.nip,
                    "name": r.name,
                    "unit_id": r.unit_id,
                    "role": ROLE_WORDS[(r.role or "staff").lower()].value,
                    "supervisor_nip": r.supervisor_nip or None,
                },
            }
            for r in report.rows
        ],
    )
    report.imported = len(report.rows)
    return report
