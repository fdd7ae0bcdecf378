"""Download the directory's current filtered view as CSV (streamed) or XLSX."""

from __future__ import annotations

import csv
import tempfile

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from terreau.directory.exports import export_rows
from terreau.directory.queries import DirectoryParams


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer in a streaming response."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(rows):
    yield "\ufeff"  # UTF-8 BOM: French Excel opens the file with the right encoding
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    for row in rows:
        yield writer.writerow(row)


@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    params = DirectoryParams.from_query(request.GET)
    rows = export_rows(user=request.user, params=params)
    filename = f"annuaire-terreau-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Annuaire")
    for row in rows:
        sheet.append(row)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
