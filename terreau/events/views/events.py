"""Event pages: the list, an event's page, and creating or editing an event. Thin: objects come through
terreau.core.access (an event's named organisers run it through its "change" right, beside its branch's staff),
changes go through terreau.events.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from terreau.core.access import branches_managed, editable, get_for, visible
from terreau.core.models import Branch
from terreau.directory.models import Theme
from terreau.events import services
from terreau.events.forms import DocumentForm, EventFilterForm, EventForm, WorkshopItemForm
from terreau.events.models import Event, WorkshopDocument, WorkshopItem
from terreau.events.views.common import event_to_run, runs
from terreau.partnerships.models import Partnership
from terreau.territories.models import Department


def event_list(request: HttpRequest) -> HttpResponse:
    branches = Branch.objects.filter(events__in=visible(request.user, Event.objects.all())).distinct()
    qs = visible(request.user, Event.objects.upcoming()).select_related("branch", "commune")
    departments = Department.objects.filter(communes__events__in=qs).distinct()
    form = EventFilterForm(request.GET or None, branches=branches, departments=departments)
    if form.is_valid():
        data = form.cleaned_data
        if data["branch"]:
            qs = qs.filter(branch__slug=data["branch"])
        if data["department"]:
            qs = qs.in_department(data["department"])
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
    page = Paginator(qs.order_by("starts_at", "pk"), 20).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "nav": "events",
        "can_create": branches_managed(request.user).exists(),
    }
    if request.htmx:
        return render(request, "events/_event_list.html", context)
    return render(request, "events/event_list.html", context)


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_for(request.user, Event.objects.select_related("branch", "commune"), slug=slug)
    manager = runs(request.user, event)
    items = (
        visible(request.user, WorkshopItem.objects.filter(event=event))
        if not manager
        else event.workshop_items.all()
    )
    context = {
        "event": event,
        "can_manage": manager,
        "items": items.prefetch_related("themes", "partnerships"),
        "documents": event.documents.all() if manager else WorkshopDocument.objects.none(),
        "seats_left": event.seats_left(),
        "registration_open": event.registration_open(),
        "item_form": WorkshopItemForm() if manager else None,
        "document_form": DocumentForm() if manager else None,
        "speed_participant": (
            event.kind == Event.Kind.SPEED_MEETING and event.registration_of(request.user) is not None
        ),
        "nav": "events",
    }
    return render(request, "events/event_detail.html", context)


def _event_form(request: HttpRequest, *, instance: Event | None = None) -> EventForm:
    user_model = get_user_model()
    managed = branches_managed(request.user)
    form = EventForm(request.POST or None, instance=instance)
    branch_ids = list(managed.values_list("pk", flat=True)) + ([instance.branch_id] if instance else [])
    form.fields["branch"].queryset = Branch.objects.filter(pk__in=branch_ids)
    form.fields["themes"].queryset = Theme.objects.all()
    current = list(instance.organisers.values_list("pk", flat=True)) if instance else []
    form.fields["organisers"].queryset = user_model.objects.filter(
        Q(branch_roles__branch__in=branch_ids) | Q(pk__in=current) | Q(pk=request.user.pk)
    ).distinct()
    form.fields["partnerships"].queryset = editable(request.user, Partnership.objects.all(), action="manage")
    form.fields["partnerships"].required = False
    form.fields["organisers"].required = False
    form.fields["themes"].required = False
    return form


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    if not branches_managed(request.user).exists():
        raise PermissionDenied
    form = _event_form(request)
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        try:
            services.event_save(
                event=event,
                themes=form.cleaned_data["themes"],
                organisers=form.cleaned_data["organisers"] or None,
                partnerships=form.cleaned_data["partnerships"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Rencontre créée."))
            return redirect(event.get_absolute_url())
    return render(request, "events/event_form.html", {"form": form, "event": None, "nav": "events"})


@login_required
def event_edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_to_run(request, slug)
    form = _event_form(request, instance=event)
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        try:
            services.event_save(
                event=event,
                themes=form.cleaned_data["themes"],
                organisers=form.cleaned_data["organisers"],
                partnerships=form.cleaned_data["partnerships"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Rencontre enregistrée."))
            return redirect(event.get_absolute_url())
    return render(request, "events/event_form.html", {"form": form, "event": event, "nav": "events"})
