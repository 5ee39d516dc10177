"""A unit's performance for a period as a table: one row per ASN, for CSV and XLSX downloads."""

import csv
import io
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Unit, User
from server.accounts.service import subtree_in
from server.performance.access import require_unit_overview
from server.performance.indicators import compute_indicators
from server.performance.periods import Period
from server.performance.service import performance_read, ratings_of, targets_for, unit_staff

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
]


async def unit_table(
    session: AsyncSession, *, viewer: User, unit_id: int, period: Period
) -> tuple[Unit, list[list[Any]]]:
    parents = await require_unit_overview(session, viewer, unit_id)
    unit = await session.get(Unit, unit_id)
    assert unit is not None
    staff = await unit_staff(session, unit_id, subtree_in(parents, unit_id))
    targets = await targets_for(session, staff, period)
    people = await compute_indicators(session, users=staff, period=period, targets=targets)
    ratings = await ratings_of(session, [u.id for u in staff], period)
    unit_names = dict((await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(parents)))).all())
    rows = []
    for user in staff:
        read = performance_read(user, period, people[user.id], targets[user.unit_id], ratings.get(user.id))
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
                read["hasil_kerja_suggested"],
                read["hasil_kerja"],
                read["perilaku"],
                read["predikat"],
            ]
        )
    return unit, rows


def file_stem(unit: Unit, period: Period) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in unit.name.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"kinerja-{slug}-{period}"


def as_csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    # A byte-order mark so that Excel, which BKPSDM operators open CSVs in, reads UTF-8 names correctly.
    return ("\ufeff" + buffer.getvalue()).encode()


def as_xlsx(rows: list[list[Any]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([float(v) if hasattr(v, "as_tuple") else v for v in row])
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = max(
            12, min(40, max(len(str(c.value or "")) for c in column) + 2)
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
