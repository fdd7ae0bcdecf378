"""CSV import pages for branch staff: upload form with past imports, downloadable template, report. The
upload is stored and imported by a job (terreau.directory.tasks.import_file) the user follows on its progress
page, which links to the report."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from terreau.core import access
from terreau.core.audit import audit_export
from terreau.core.tabular import Sheet, csv_response, xlsx_response
from terreau.directory.importers import GENERIC_COLUMNS, GENERIC_EXAMPLE
from terreau.directory.importers.rejects import rejects_filename, rejects_rows
from terreau.directory.importers.stored import start_import
from terreau.directory.models import ImportRejection, ImportRun

# Multipart boundaries and the other form fields around the file, in bytes.
MULTIPART_OVERHEAD = 64 * 1024
REJECTIONS_PER_PAGE = 50
RUNS_PER_PAGE = 20


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV"),
        help_text=gettext_lazy("UTF-8 (avec ou sans BOM) ou Latin-1, séparateur point-virgule ou virgule."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("", gettext_lazy("Détection automatique"))] + list(ImportRun.Format.choices),
        required=False,
    )
    branch = forms.ModelChoiceField(label=gettext_lazy("Antenne"), queryset=None, empty_label=None)

    def __init__(self, *args, branches: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading an uploaded file as soon as it goes over the limit (the rest is never stored)."""

    def __init__(self, limit: int, request: HttpRequest | None = None):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _managed_branches(request: HttpRequest) -> QuerySet:
    """Branches the user runs; anyone else is refused (403)."""
    branches = access.branches_managed(request.user)
    if not branches.exists():
        raise PermissionDenied
    return branches


def _limit_mb() -> str:
    limit_mb = settings.TERREAU_IMPORT_MAX_UPLOAD_BYTES / (1024 * 1024)
    return f"{limit_mb:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def _too_big_message() -> str:
    return _(
        "Ce fichier dépasse la taille maximale acceptée par l'interface web (%(limit)s Mo) : il n'a pas été "
        "lu. Importez-le en ligne de commande, sans limite de taille : "
        "« terreau import-organisations FICHIER --branch ANTENNE »."
    ) % {"limit": _limit_mb()}


def _render_page(
    request: HttpRequest, branches: QuerySet, form: ImportForm, *, too_big: bool = False, status: int = 200
) -> HttpResponse:
    runs = access.visible(
        request.user, ImportRun.objects.filter(branch__in=branches).select_related("branch", "started_by")
    )
    context = {
        "nav": "directory",
        "form": form,
        "too_big_error": _too_big_message() if too_big else "",
        "runs": Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page")),
        "max_upload_mb": _limit_mb(),
    }
    return render(request, "directory/import.html", context, status=status)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# CSRF is checked by _upload once the size is known to be acceptable: Django's CSRF middleware would
# otherwise parse (and store) the whole multipart body before this view could refuse it.
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    branches = _managed_branches(request)
    if request.method == "POST":
        limit = settings.TERREAU_IMPORT_MAX_UPLOAD_BYTES
        if _content_length(request) > limit + MULTIPART_OVERHEAD:
            return _render_page(request, branches, ImportForm(branches=branches), too_big=True, status=413)
        handler = SizeLimitUploadHandler(limit, request)
        request.upload_handlers.insert(0, handler)
        return _upload(request, branches, handler)
    return _render_page(request, branches, ImportForm(branches=branches))


@csrf_protect
def _upload(request: HttpRequest, branches: QuerySet, handler: SizeLimitUploadHandler) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES, branches=branches)
    upload = request.FILES.get("file")
    if handler.exceeded or (upload is not None and upload.size > settings.TERREAU_IMPORT_MAX_UPLOAD_BYTES):
        return _render_page(request, branches, ImportForm(branches=branches), too_big=True, status=413)
    if not form.is_valid():
        return _render_page(request, branches, form, status=400)
    upload = form.cleaned_data["file"]
    _run, tracked = start_import(
        upload=upload,
        format=form.cleaned_data["format"] or None,
        branch=form.cleaned_data["branch"],
        by=request.user,
    )
    return redirect("core:tracked_job", pk=tracked.pk)


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """The generic template: header and one example row, UTF-8 with BOM so that spreadsheets read it."""
    _managed_branches(request)
    return csv_response([GENERIC_COLUMNS, GENERIC_EXAMPLE], filename="modele-import-terreau.csv")


@login_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    _managed_branches(request)
    run = access.get_for(request.user, ImportRun.objects.select_related("branch", "started_by"), pk=pk)
    rejections = access.visible(request.user, ImportRejection.objects.filter(run=run))
    processed = run.created_count + run.updated_count + run.rejected_count
    context = {
        "nav": "directory",
        "run": run,
        "unchanged": max(run.rows_read - processed, 0),
        "rejections": Paginator(rejections, REJECTIONS_PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "directory/import_report.html", context)


@login_required
@require_GET
def import_rejects(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The rejected rows of an import, to correct and import again (CSV or XLSX): the file's columns as
    uploaded and an "erreurs" column. Only the staff of the import's branch get it (404 for others)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _managed_branches(request)
    run = access.get_for(request.user, ImportRun.objects.all(), pk=pk)
    rejections = access.visible(request.user, ImportRejection.objects.filter(run=run)).iterator(
        chunk_size=2000
    )
    rows = rejects_rows(run, rejections)
    audit_export(request, target=rejects_filename(run, fmt), obj=run)
    if fmt == "csv":
        return csv_response(rows, filename=rejects_filename(run, "csv"), streaming=True)
    header = next(rows)
    sheet = Sheet(title=_("Lignes refusées"), header=header, rows=rows)
    return xlsx_response([sheet], filename=rejects_filename(run, "xlsx"), title=run.file_name, streaming=True)
