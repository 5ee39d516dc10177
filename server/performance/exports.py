"""A unit's performance for a period as a table: one row per ASN, for CSV and XLSX downloads."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import downloads
from server.accounts.models import Unit, User
from server.accounts.service import subtree_in
from server.calendar.periods import Period
from server.performance.access import require_unit_overview
from server.performance.distribution import unit_staff
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
    "Jawaban survei tidak dihitung",
    "Tonggak terbuka lewat tenggat",
    "Data berubah sejak dinilai",
]
# The distribution's word for staff without a predikat (DOMAIN.md §1: they are counted, never left out).
UNRATED = "Belum dinilai"


async def unit_table(
    session: AsyncSession, *, viewer: User, unit_id: int, period: Period
) -> tuple[Unit, list[list[Any]]]:
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
                read["hasil_kerja_suggested"],
                read["hasil_kerja"],
                read["perilaku"],
                read["predikat"] or UNRATED,
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


def as_csv(rows: list[list[Any]]) -> bytes:
    return downloads.csv_bytes(COLUMNS, rows)


def as_xlsx(rows: list[list[Any]], title: str) -> bytes:
    return downloads.xlsx_bytes(COLUMNS, rows, title=title)
