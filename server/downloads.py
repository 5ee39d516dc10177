"""Files people download (CSV and XLSX): a Content-Disposition any browser reads whatever the name, and
cells a spreadsheet shows as the text they are, never runs as a formula.

A name is stored as it was typed, so it may begin with "=" ("=HYPERLINK(...)" from an import) or hold a
control character from older data: the defence is at write time, here, for every export."""

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection"), the
# full-width forms included: some spreadsheets fold them to the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# The most characters one XLSX cell holds.
XLSX_CELL_MAX = 32_767


def attachment(filename: str) -> dict[str, str]:
    """The Content-Disposition header (RFC 6266) for a download named `filename`: an ASCII `filename`
    for old clients and the exact name as `filename*` (RFC 5987, UTF-8), so "kinerja-dinas-ωmega.csv"
    reaches the browser as it is and the header stays Latin-1, as HTTP requires."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(c if c.isprintable() and c not in '"\\;' else "_" for c in fallback) or "download"
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return {"Content-Disposition": header}


def _is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file Excel opens as UTF-8 (byte-order mark), None as an empty cell, and every text cell that
    a spreadsheet would run as a formula written with a leading apostrophe, so it shows as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(value) for value in header])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8", "replace")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and _is_formula_like(value):
        return "'" + value
    return value


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    """An XLSX workbook with one sheet: every text cell is a string cell (never a formula or an error
    value, whatever it starts with; one that would read as a formula when edited is quote-prefixed),
    characters XML cannot hold are dropped and an over-long text is cut at the cell limit."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _xlsx_text(title)[:31] or "Sheet"
    widths: dict[int, int] = {}
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                text = _xlsx_text(value)
                cell.value = text
                cell.data_type = "s"  # openpyxl makes "=..." a formula and "#N/A" an error value
                if _is_formula_like(text):
                    cell.quotePrefix = True  # and stays text when someone edits the cell
            else:
                cell.value = float(value) if hasattr(value, "as_tuple") else value  # Decimal → number
            widths[c] = max(widths.get(c, 12), min(40, len(str(cell.value or "")) + 2))
    for c, width in widths.items():
        sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_text(value: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    # XML 1.0 cannot hold lone surrogates or U+FFFE/U+FFFF either; ILLEGAL_CHARACTERS_RE leaves them.
    text = "".join(c for c in text if not ("\ud800" <= c <= "\udfff" or c in "\ufffe\uffff"))
    return text[:XLSX_CELL_MAX]
