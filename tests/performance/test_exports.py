"""Every download (the unit performance CSV and XLSX, the import's example CSV) whatever the stored names
hold: non-Latin-1 unit names, names that look like formulas, control characters, over-long texts; and the
unit export as Indonesian offices read it: XLSX number and date cells, the CSV dialects, words for ratings."""

import csv
import io
from datetime import UTC, date, datetime
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from server import clock
from server.accounts.models import Unit, User
from server.calendar.periods import parse_period
from server.downloads import XLSX_CELL_MAX, attachment, xlsx_bytes
from server.performance.exports import COLUMNS, file_stem
from server.performance.rules import RATING_LABELS_ID
from tests.api import close_milestone, rate
from tests.web import log_in

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def frozen():
    clock.freeze(NOW)


async def _stored(runtime, model, row_id: int, **values) -> None:
    """Write values straight into a row, as older data or another writer may have left them (no API
    model between), to check what reading and exporting them does."""
    async with runtime.transaction() as db:
        row = await db.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)


async def _export(client, world, unit_id: int, kind: str):
    response = await client.get(
        f"/api/v1/units/{unit_id}/performance.{kind}",
        params={"period": "2026-11"},
        headers=world.auth(world.admin),
    )
    assert response.status_code == 200, response.text
    return response


def _csv_rows(response, delimiter: str = ";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))


def _sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


def _filename_star(header: str) -> str:
    """The exact file name a browser takes from Content-Disposition (RFC 6266: filename* wins)."""
    star = next(part.strip() for part in header.split(";") if part.strip().startswith("filename*="))
    charset, _, quoted = star.removeprefix("filename*=").partition("''")
    assert charset == "UTF-8"
    return unquote(quoted)


async def test_a_unit_named_in_greek_letters_downloads_under_its_own_name(frozen, client, world, runtime):
    await _stored(runtime, Unit, world.bidang.id, name="Dinas Ωmega")
    for kind in ("csv", "xlsx"):
        response = await _export(client, world, world.bidang.id, kind)
        header = response.headers["content-disposition"]
        header.encode("latin-1")  # what HTTP headers must be
        assert 'filename="kinerja-dinas-mega-2026-11.' in header, "an ASCII name for old clients"
        assert _filename_star(header) == f"kinerja-dinas-ωmega-2026-11.{kind}"


def test_content_disposition_never_lets_a_name_break_the_header():
    header = attachment('a"b\\c;d\r\ne.csv')["Content-Disposition"]
    assert header.startswith('attachment; filename="a_b_c_d__e.csv"')
    assert "\r" not in header and "\n" not in header
    assert attachment("kinerja-2026-11.csv") == {
        "Content-Disposition": 'attachment; filename="kinerja-2026-11.csv"'
    }


FORMULAS = [
    '=HYPERLINK("http://example.com/x","klik")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\uff1dHYPERLINK(1)",  # full-width equals sign
    "#N/A",
]


@pytest.mark.parametrize("name", FORMULAS)
async def test_a_name_that_looks_like_a_formula_is_exported_as_text(frozen, client, world, runtime, name):
    await _stored(runtime, User, world.member.id, name=name)
    rows = _csv_rows(await _export(client, world, world.bidang.id, "csv"))
    names = [row[1] for row in rows[1:]]
    expected = name if name == "#N/A" else "'" + name  # only formula starts are quoted in CSV
    assert expected in names
    content = (await _csv(client, world, dialect="id")).decode("utf-8-sig")
    assert expected in [row[1] for row in csv.reader(io.StringIO(content), delimiter=";")]

    sheet = _sheet(await _export(client, world, world.bidang.id, "xlsx"))
    cell = next(row[1] for row in sheet.iter_rows(min_row=2) if row[1].value == name)
    assert cell.data_type == "s", "a string cell, never a formula or an error value"
    assert cell.quotePrefix == (name != "#N/A"), "stays text when someone edits the cell"


async def test_a_control_character_in_a_stored_name_does_not_break_the_xlsx_export(
    frozen, client, world, runtime
):
    await _stored(runtime, User, world.member.id, name="Anggota\x07 Tim\x1b")
    await _stored(runtime, Unit, world.bidang.id, name="Bidang\x0b Pelayanan")
    sheet = _sheet(await _export(client, world, world.bidang.id, "xlsx"))
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert "Anggota Tim" in names
    assert {row[2].value for row in sheet.iter_rows(min_row=2)} == {"Bidang Pelayanan"}
    rows = _csv_rows(await _export(client, world, world.bidang.id, "csv"))
    assert "Anggota\x07 Tim\x1b" in [row[1] for row in rows[1:]], "CSV can carry it: kept as stored"


def test_an_over_long_text_is_cut_at_the_xlsx_cell_limit_and_the_file_name_stays_short():
    """SQLite keeps a name of any length (PostgreSQL's column stops it at 200 characters)."""
    content = xlsx_bytes(["Nama"], [["N" * 50_000]], title="2026-11")
    assert load_workbook(io.BytesIO(content)).active["A2"].value == "N" * XLSX_CELL_MAX
    stem = file_stem(Unit(id=1, name="U" * 50_000), parse_period("2026-11"))
    assert stem == f"kinerja-{'u' * 80}-2026-11"


async def test_the_import_example_never_carries_a_stored_unit_name_as_a_formula(client, world, runtime):
    await _stored(runtime, Unit, world.sibling.id, name='=HYPERLINK("http://example.com","x")')
    await log_in(client, world.admin)
    response = await client.get("/admin/import/example.csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="contoh-impor-pegawai.csv"'
    units = {row[2] for row in _csv_rows(response, ",")[1:]}  # the import reads commas
    assert units == {'\'=HYPERLINK("http://example.com","x")'}


# --- dialects, words and cell types (issue 13 item 7) ---------------------------------------------------


async def _rated_member(client, world, setup) -> None:
    """The member: milestone closed on time with quality 4 (100.00% and 4.00), rated above and above."""
    await close_milestone(client, world, setup.milestone.id, 4)
    await rate(client, world, world.member, "above", "above")


async def _csv(client, world, **params) -> bytes:
    response = await client.get(
        f"/api/v1/units/{world.bidang.id}/performance.csv",
        params={"period": "2026-11"} | params,
        headers=world.auth(world.leader),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return response.content


def _member_row(content: bytes, delimiter: str, world) -> dict[str, str]:
    assert content.startswith(b"\xef\xbb\xbf"), "a UTF-8 byte-order mark, or Excel reads the names wrong"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))
    assert rows[0] == COLUMNS
    assert all(len(row) == len(COLUMNS) for row in rows), "every value in its own column"
    return dict(zip(COLUMNS, next(row for row in rows if row[1] == world.member.name), strict=True))


async def test_the_indonesian_csv_has_semicolons_decimal_commas_and_words(frozen, client, world, setup):
    await _rated_member(client, world, setup)
    row = _member_row(await _csv(client, world, dialect="id"), ";", world)
    assert row["Ketepatan waktu (%)"] == "100,00" and row["Kualitas (1-5)"] == "4,00"
    assert row["Hasil kerja"] == row["Perilaku kerja"] == "Di Atas Ekspektasi"
    assert row["Predikat"] == "Sangat Baik"
    assert row["Tanggal dinilai"] == "2026-11-20", "ISO 8601: a date in Excel whatever its language"


async def test_the_default_csv_is_the_indonesian_form_and_excel_us_gives_commas(frozen, client, world, setup):
    await _rated_member(client, world, setup)
    default = await _csv(client, world)
    assert await _csv(client, world, dialect="id") == default
    us = await _csv(client, world, dialect="excel-us")
    assert us.startswith("\ufeff".encode()) and us != default
    row = _member_row(us, ",", world)
    assert row["Ketepatan waktu (%)"] == "100.00" and row["Kualitas (1-5)"] == "4.00"
    assert row["Hasil kerja"] == "Di Atas Ekspektasi", "words, never the API's `above`"
    assert row["Saran hasil kerja"] in RATING_LABELS_ID.values()
    assert row["Tanggal dinilai"] == "2026-11-20"


async def test_an_unknown_csv_dialect_is_refused(client, world):
    response = await client.get(
        f"/api/v1/units/{world.bidang.id}/performance.csv",
        params={"period": "2026-11", "dialect": "excel-fr"},
        headers=world.auth(world.leader),
    )
    assert response.status_code == 422 and "detail" in response.json()


async def test_the_xlsx_has_number_and_date_cells_and_indonesian_words(frozen, client, world, setup):
    await _rated_member(client, world, setup)
    sheet = _sheet(await _export(client, world, world.bidang.id, "xlsx"))
    header = [cell.value for cell in sheet[1]]
    assert header == COLUMNS
    member = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == world.member.name)
    cells = dict(zip(COLUMNS, member, strict=True))
    assert cells["NIP"].data_type == "s" and cells["NIP"].value == world.member.nip, "18 digits kept as text"
    timeliness = cells["Ketepatan waktu (%)"]
    assert timeliness.data_type == "n" and timeliness.value == 100
    assert cells["Kualitas (1-5)"].value == 4 and cells["Kualitas (1-5)"].data_type == "n"
    assert cells["Hasil kerja"].value == "Di Atas Ekspektasi"
    assert cells["Predikat"].value == "Sangat Baik"
    rated = cells["Tanggal dinilai"]
    assert rated.is_date and rated.value.date() == date(2026, 11, 20)
    outsider = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == world.outsider.name)
    unrated = dict(zip(COLUMNS, outsider, strict=True))
    assert unrated["Predikat"].value == "Belum dinilai" and unrated["Tanggal dinilai"].value is None


async def test_the_distribution_page_offers_xlsx_first_and_the_indonesian_csv(frozen, client, world):
    await log_in(client, world.leader)
    html = (await client.get(f"/units/{world.dinas.id}/distribution", params={"period": "2026-11"})).text
    base = f"/api/v1/units/{world.dinas.id}/performance"
    xlsx = html.index(f'href="{base}.xlsx?period=2026-11"')
    indonesian = html.index(f'href="{base}.csv?period=2026-11&amp;dialect=id"')
    comma = html.index(f'href="{base}.csv?period=2026-11"')
    assert xlsx < indonesian < comma
    assert f'href="/units/{world.dinas.id}/ikm?period=2026-11"' in html
