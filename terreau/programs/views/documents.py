"""A program's documents: upload (checked by terreau.core.uploads) and download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import get_for
from terreau.core.forms_flow import submit
from terreau.programs import forms, services
from terreau.programs.equipment import ProgramDocument
from terreau.programs.views.common import program_for


@login_required
@require_POST
def document_upload(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request, slug, action="change")
    form = forms.DocumentForm(request.POST, request.FILES)
    submit(
        request,
        form,
        run=lambda: services.document_add(
            program=program,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
            by=request.user,
        ),
        success=_("Document ajouté."),
    )
    return redirect(program)


@login_required
def document_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    document = get_for(request.user, ProgramDocument.objects.filter(program__slug=slug), pk=pk)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    name = document.file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name, content_type=document.content_type or None)
