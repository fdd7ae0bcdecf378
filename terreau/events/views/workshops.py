"""A workshop's items (ideas, needs, decisions... linked to themes and partnerships) and its documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import editable
from terreau.directory.models import Theme
from terreau.events import services
from terreau.events.forms import DocumentForm, WorkshopItemForm
from terreau.events.models import WorkshopDocument
from terreau.events.views.common import event_to_run
from terreau.partnerships.models import Partnership


@login_required
@require_POST
def workshop_item_add(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_to_run(request, slug)
    form = WorkshopItemForm(request.POST)
    if form.is_valid():
        try:
            services.workshop_item_add(
                event=event,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                themes=Theme.objects.filter(code__in=request.POST.getlist("themes")),
                partnerships=editable(request.user, Partnership.objects.all(), action="manage").filter(
                    pk__in=[p for p in request.POST.getlist("partnerships") if p.isdigit()]
                ),
                by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Point ajouté."))
    else:
        messages.error(request, _("Indiquez le type et le texte du point."))
    return redirect(event.get_absolute_url() + "#atelier")


@login_required
@require_POST
def document_add(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_to_run(request, slug)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.workshop_document_add(
                event=event,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Document ajouté."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(event.get_absolute_url() + "#atelier")


@login_required
def document_download(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_to_run(request, slug)
    try:
        document = event.documents.get(pk=pk)
    except WorkshopDocument.DoesNotExist:
        raise Http404 from None
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.file.name.rsplit("/", 1)[-1]
    )
