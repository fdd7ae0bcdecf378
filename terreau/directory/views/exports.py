"""Download the directory's current filtered view as CSV or XLSX, both streamed."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from terreau.core.audit import audit_export
from terreau.core.tabular import Sheet, csv_response, xlsx_response
from terreau.directory.exports import export_rows
from terreau.directory.queries import DirectoryParams


@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    params = DirectoryParams.from_query(request.GET)
    rows = export_rows(user=request.user, params=params)
    filename = f"annuaire-terreau-{timezone.localdate():%Y-%m-%d}.{fmt}"
    audit_export(request, target=filename)
    if fmt == "csv":
        return csv_response(rows, filename=filename, streaming=True)
    return xlsx_response([Sheet("Annuaire", rows=rows)], filename=filename, streaming=True)
