"""The staff import does not hold the event loop or the server: a 20,000-row file is read in a worker
thread and written in chunks, so /healthz (and the loop itself) stay quick meanwhile; a workbook that
claims or holds millions of rows is refused at the row limit, in moments."""

import asyncio
import io
import sqlite3
import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from server.accounts.importer import MAX_ROWS
from server.accounts.models import User


def staff_csv(rows: int, unit: str) -> bytes:
    """`rows` people with valid, distinct NIPs; every hundredth one supervises the next 99."""
    lines = ["NIP,Nama,Unit,NIP Atasan,Peran,Email"]
    for n in range(rows):
        born = (date(1970, 1, 1) + timedelta(days=n // 1000)).strftime("%Y%m%d")
        nip = f"{born}1995011{n % 1000:03d}"
        supervisor = lines[1 + n - n % 100].split(",")[0] if n % 100 else ""
        lines.append(f"{nip},Pegawai {n},{unit},{supervisor},{'staff' if n % 100 else 'leader'},")
    return ("\n".join(lines) + "\n").encode()


class LoopWatch:
    """The longest the event loop was held: a task asks to wake every 5 ms and notes how late it woke."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - asked - 0.005)

    def __enter__(self) -> "LoopWatch":
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.mark.timing
async def test_healthz_and_the_loop_stay_quick_during_a_20000_row_import(
    client, world, runtime, forget_imported_staff
):
    content = staff_csv(MAX_ROWS, world.bidang.name)
    upload = client.post(
        "/api/v1/users/import",
        files={"file": ("pegawai.csv", content, "text/csv")},
        headers=world.auth(world.admin),
    )
    health: list[float] = []
    with LoopWatch() as loop:
        importing = asyncio.ensure_future(upload)
        while not importing.done():
            started = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            health.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)
        response = importing.result()
    assert response.status_code == 200, response.text[:500]
    assert response.json() == {"rows": MAX_ROWS, "imported": MAX_ROWS, "dry_run": False}
    assert len(health) > 10  # the import took a while, and /healthz was asked throughout
    assert max(health) < 0.1, f"/healthz took {max(health) * 1000:.0f} ms"
    assert loop.worst < 0.1, f"the loop was held {loop.worst * 1000:.0f} ms"
    async with runtime.read_sessionmaker() as session:
        imported = select(func.count()).select_from(User).where(User.nip.like("1970%"))
        assert await session.scalar(imported) == MAX_ROWS
        led = await session.scalar(imported.where(User.supervisor_id.is_not(None)))
    assert led == MAX_ROWS - MAX_ROWS // 100  # every supervisor linked, in chunks


@pytest.fixture
async def forget_imported_staff(runtime):
    """Deletes the 20,000 imported people quickly after the test. The tables are emptied after every test
    anyway, but SQLite checks each deleted person against the unindexed supervisor column: minutes."""
    yield
    if runtime.engine.dialect.name != "sqlite":
        return  # TRUNCATE is quick
    path = make_url(runtime.settings.database_url).database
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA foreign_keys=OFF")  # a connection of its own: the app's keep their checks
        with raw:
            raw.execute("DELETE FROM history WHERE action = 'imported'")
            raw.execute("DELETE FROM user WHERE nip LIKE '1970%'")


def workbook(rows: Iterable[bytes], *, dimension: str = "A1:C1") -> bytes:
    """A minimal XLSX file whose first sheet holds `rows` (XML <row> elements), written as a stream."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        book.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Pegawai" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                b'main"><dimension ref="' + dimension.encode() + b'"/><sheetData>'
            )
            sheet.write(
                b'<row r="1">'
                + b"".join(_inline(c, 1, v) for c, v in zip("ABC", HEADER, strict=True))
                + b"</row>"
            )
            for row in rows:
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


HEADER = (b"NIP", b"Nama", b"Unit")


def _inline(column: str, row: int, value: bytes) -> bytes:
    return b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (column.encode(), row, value)


def inline_rows(count: int) -> Iterator[bytes]:
    """`count` rows of one inline string each, after the header: rows and cells without their (optional)
    numbers, as some writers make them, which compress to next to nothing."""
    batch = b"<row>" + b'<c t="inlineStr"><is><t>Sari</t></is></c>' + b"</row>"
    for start in range(0, count, 10_000):
        yield batch * min(10_000, count - start)


async def _import(client, world, content: bytes, filename: str):
    started = time.perf_counter()
    response = await client.post(
        "/api/v1/users/import",
        params={"dry_run": "true"},
        files={"file": (filename, content, "application/octet-stream")},
        headers=world.auth(world.admin),
    )
    return response, time.perf_counter() - started


async def test_a_workbook_of_two_million_inline_rows_is_refused_in_moments(client, world):
    content = workbook(inline_rows(2_000_000))
    assert len(content) < 5 * 1024 * 1024  # under the upload limit: the importer itself must refuse it
    response, took = await _import(client, world, content, "pegawai.xlsx")
    assert response.status_code == 422 and f"At most {MAX_ROWS} rows per file" in response.json()["detail"]
    assert took < 2


async def test_a_sheet_that_declares_two_million_rows_is_read_only_to_the_limit(client, world):
    # A small file: a header, then one row numbered 2,000,000; the rows between are empty but still rows.
    content = workbook(
        [b'<row r="2000000">' + _inline("A", 2_000_000, b"1") + b"</row>"], dimension="A1:XFD2000000"
    )
    response, took = await _import(client, world, content, "pegawai.xlsx")
    assert response.status_code == 422 and f"At most {MAX_ROWS} rows per file" in response.json()["detail"]
    assert took < 2


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_one_row_over_the_limit_is_refused_while_reading(client, world, kind):
    if kind == "csv":
        content = ("NIP,Nama,Unit\n" + "x,Sari,Bidang\n" * (MAX_ROWS + 1)).encode()
    else:
        content = workbook(inline_rows(MAX_ROWS + 1))
    response, took = await _import(client, world, content, f"pegawai.{kind}")
    assert response.status_code == 422 and response.json()["detail"] == f"At most {MAX_ROWS} rows per file"
    assert took < 2
