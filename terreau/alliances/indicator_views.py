"""Territorial indicators, uploaded from a diagnosis's page by its branch's staff: the CSV file with a default
year and source (checked at once: a file without a code or an indicator column is refused on the form), read
by a job (terreau.alliances.indicator_jobs) whose progress page leads to the import's row-by-row report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from terreau.alliances import indicator_jobs
from terreau.alliances.diagnosis_forms import IndicatorUploadForm
from terreau.alliances.diagnosis_views import managed
from terreau.alliances.indicators import check_header
from terreau.alliances.models import IndicatorImport
from terreau.core.access import get_for
from terreau.directory.importers.reading import HEAD_BYTES, FileRejected

MAX_BYTES = 20 * 1024 * 1024  # an official commune-level file of a few indicators is about 2 MB


@login_required
def indicators_upload(request: HttpRequest, pk: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    form = IndicatorUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error(
                "file", _("Le fichier dépasse 20 Mo : découpez-le ou ne gardez que les colonnes utiles.")
            )
        else:
            try:
                check_header(upload.read(HEAD_BYTES))
                upload.seek(0)
            except FileRejected as exc:
                form.add_error("file", str(exc))
            else:
                tracked = indicator_jobs.start_import(
                    upload=upload,
                    diagnosis=diagnosis,
                    by=request.user,
                    default_year=form.cleaned_data["default_year"],
                    default_source=form.cleaned_data["default_source"].strip(),
                )
                return redirect("core:tracked_job", pk=tracked.pk)
    return render(
        request,
        "alliances/indicators_upload.html",
        {"diagnosis": diagnosis, "form": form, "nav": "diagnoses", "imports": _recent(diagnosis)},
    )


def _recent(diagnosis):
    return IndicatorImport.objects.filter(branch=diagnosis.branch).select_related("imported_by")[:10]


@login_required
def indicators_report(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    run = get_for(
        request.user, IndicatorImport.objects.filter(branch=diagnosis.branch), action="manage", pk=item
    )
    return render(
        request,
        "alliances/indicators_report.html",
        {
            "diagnosis": diagnosis,
            "run": run,
            "rows": [e for e in run.errors if e.get("line") is not None],
            "columns": [e for e in run.errors if e.get("line") is None],
            "nav": "diagnoses",
        },
    )
