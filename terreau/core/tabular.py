"""The one writer of tabular files (CSV and XLSX) for every export of the product.

Every cell goes through safe_cell(): a text that a spreadsheet would run as a formula (it starts with
= + - @, a tab or a carriage return) gets an apostrophe in front, as OWASP recommends for CSV injection;
numbers, dates and empty cells keep their type. CSV files are written with ';' (French Excel), CRLF line
ends and a UTF-8 BOM so that Excel reads the accents; they stream row by row. XLSX workbooks are written in
openpyxl's write-only mode (rows go to disk, not memory).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_KEPT_TYPES = (bool, int, float, Decimal, date, datetime, time, timedelta)
_SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet may read it without ever running it as a formula."""
    if value is None or isinstance(value, _KEPT_TYPES):
        return value
    text = str(value)  # lazy translations, choices labels
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


# --- CSV --------------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write() returns the line, so that csv.writer feeds a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The BOM, then one neutralised CSV line per row (';' separated, CRLF)."""
    yield BOM
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    for row in rows:
        yield writer.writerow(safe_row(row))


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    return "".join(csv_lines(rows))


def write_csv(rows: Iterable[Iterable[Any]], file: IO[str]) -> None:
    """Write to a text file opened with encoding="utf-8" and newline="" (the BOM is written here)."""
    for line in csv_lines(rows):
        file.write(line)


def csv_response(rows: Iterable[Iterable[Any]], *, filename: str, streaming: bool = False) -> HttpResponse:
    """A CSV download. streaming=True for exports of unbounded size (rows are read as they are sent)."""
    if streaming:
        response: HttpResponse = StreamingHttpResponse(csv_lines(rows), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(csv_text(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- XLSX -------------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One worksheet: its title (cut to Excel's 31 characters), a bold header row, then the rows."""

    title: str
    header: Sequence[Any] = ()
    rows: Iterable[Iterable[Any]] = field(default_factory=list)


def _xlsx_cell(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters are refused by the format
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)  # XLSX has no time zones
    return value


def _sheet_title(title: str) -> str:
    return str(title).translate(_SHEET_TITLE_FORBIDDEN)[:31] or "Feuille"


def write_xlsx(sheets: Iterable[Sheet], file: IO[bytes], *, title: str = "") -> None:
    workbook = Workbook(write_only=True)
    if title:
        workbook.properties.title = _xlsx_cell(title)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=_sheet_title(sheet.title))
        if sheet.header:
            cells = []
            for value in sheet.header:
                cell = WriteOnlyCell(worksheet, value=_xlsx_cell(value))
                cell.font = Font(bold=True)
                cells.append(cell)
            worksheet.append(cells)
        for row in sheet.rows:
            worksheet.append([_xlsx_cell(value) for value in row])
    workbook.save(file)


def xlsx_bytes(sheets: Iterable[Sheet], *, title: str = "") -> bytes:
    out = io.BytesIO()
    write_xlsx(sheets, out, title=title)
    return out.getvalue()


def xlsx_response(
    sheets: Iterable[Sheet], *, filename: str, title: str = "", streaming: bool = False
) -> HttpResponse:
    """An XLSX download. streaming=True spools the workbook to a temporary file and sends it in chunks."""
    if not streaming:
        response = HttpResponse(xlsx_bytes(sheets, title=title), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(sheets, spool, title=title)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
