"""A unit's performance for a period as a table: one row per ASN, for CSV and XLSX downloads.

The files are read by people in Indonesian offices, in Excel set to Indonesian: every rating and predikat
is the word the pages use, never an API code (`above`), and the XLSX holds real number and date cells.
The CSV comes in two dialects (see `Dialect`); the XLSX is the same everywhere and is the first choice
on the pages, because a spreadsheet cannot misread it (an 18-digit NIP stays text, a number a number)."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock, downloads
from server.accounts.models import Unit, User
from server.accounts.service import subtree_in
from server.calendar.periods import Period
from server.performance.access import require_unit_overview
from server.performance.distribution import unit_staff
from server.performance.rules import RATING_LABELS_ID
from server.performance.service import evaluate

COLUMNS = [
    "NIP",
    "Nama",
    "Unit",
    "Ketepatan waktu (%)",
    "Kualitas (1-5)",
    "Kepuasan masyarakat (IKM)",
    "Responden survei",
    "Saran hasil kerja",
    "Hasil kerja",
    "Perilaku kerja",
    "Predikat",
    "Tanggal dinilai",
    "Jawaban survei tidak dihitung",
    "Tonggak terbuka lewat tenggat",
    "Data berubah sejak dinilai",
]
# The distribution's word for staff without a predikat (DOMAIN.md §1: they are counted, never left out).
UNRATED = "Belum dinilai"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


class Dialect(StrEnum):
    """How a CSV is written. Both start with a UTF-8 byte-order mark (without it Excel reads the names
    as Windows-1252) and write dates as ISO 8601 (2026-11-20): Excel takes that form as a date whatever
    its regional setting, while 20/11/2026 stays text in an American Excel and 05/11/2026 turns into
    May 11 there, so one date form serves both dialects and any script.

    - `id`: Excel set to Indonesian (list separator ";", decimal comma): fields separated by ";",
      numbers with a decimal comma (82,50). Opened by double-click, each value lands in its own column.
    - `excel-us`: fields separated by ",", decimal points (82.50): Excel in English, and scripts."""

    id = "id"
    excel_us = "excel-us"


# What /api/v1/units/{id}/performance.csv writes without ?dialect=: the form an Indonesian office's Excel
# opens in columns (API.md does not fix the CSV's format; scripts and English-locale Excel ask for
# ?dialect=excel-us, documented in docs/API-ADDITIONS.md). The pages link it next to the XLSX.
API_DEFAULT_DIALECT = Dialect.id
PAGE_DIALECT = Dialect.id
_DELIMITERS = {Dialect.id: ";", Dialect.excel_us: ","}


def _words(rating: str | None) -> str | None:
    return None if rating is None else RATING_LABELS_ID.get(rating, rating)


def _rated_on(confirmed_at: datetime | None) -> date | None:
    """The day (WIB) the rater last confirmed hasil kerja."""
    return None if confirmed_at is None else confirmed_at.astimezone(clock.JAKARTA).date()


async def unit_table(
    session: AsyncSession, *, viewer: User, unit_id: int, period: Period
) -> tuple[Unit, list[list[Any]]]:
    """The rows under COLUMNS as values (Decimal, int, date, Indonesian words; None when empty): each
    file format writes them its own way."""
    parents = await require_unit_overview(session, viewer, unit_id)
    unit = await session.get(Unit, unit_id)
    assert unit is not None
    staff = await unit_staff(session, unit_id, subtree_in(parents, unit_id))
    reads = await evaluate(session, staff, period)
    unit_names = dict((await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(parents)))).all())
    rows = []
    for user in staff:
        read, _ = reads[user.id]  # type: ignore[index]
        values = {i["key"]: i for i in read["indicators"]}
        rows.append(
            [
                user.nip,
                user.name,
                unit_names[user.unit_id],
                values["timeliness"]["value"],
                values["quality"]["value"],
                values["satisfaction"]["value"],
                values["satisfaction"]["n"],
                _words(read["hasil_kerja_suggested"]),
                _words(read["hasil_kerja"]),
                _words(read["perilaku"]),
                read["predikat"] or UNRATED,
                _rated_on(read["confirmed_at"]),
                values["satisfaction"]["excluded"],
                len(read["open_overdue"]),
                "Ya" if read["stale_since_rating"] else "",
            ]
        )
    return unit, rows


def file_stem(unit: Unit, period: Period) -> str:
    """ "kinerja-dinas-ωmega-2026-11": the unit's name in letters and digits (any script; the header is
    made safe by downloads.attachment), at most 80 characters of it."""
    slug = "".join(c if c.isalnum() else "-" for c in unit.name.lower()[:80]).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"kinerja-{slug}-{period}" if slug else f"kinerja-{period}"


def as_csv(rows: list[list[Any]], dialect: Dialect = API_DEFAULT_DIALECT) -> bytes:
    """The table as CSV in `dialect`, with a byte-order mark, CRLF line ends, and every text a
    spreadsheet would run as a formula written with a leading apostrophe (shown as text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=_DELIMITERS[dialect], lineterminator="\r\n")
    writer.writerow([_csv_cell(value, dialect) for value in COLUMNS])
    writer.writerows([_csv_cell(value, dialect) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8", "replace")


def _csv_cell(value: Any, dialect: Dialect) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        text = str(value)
        return text.replace(".", ",") if dialect is Dialect.id else text
    if isinstance(value, str) and value.startswith(downloads.FORMULA_STARTS):
        return "'" + value
    return value


def as_xlsx(rows: list[list[Any]], title: str) -> bytes:
    """Numbers as number cells, the rating date as a date cell, texts as text cells (downloads.xlsx_bytes
    keeps a formula-like name text)."""
    return downloads.xlsx_bytes(COLUMNS, rows, title=title)
