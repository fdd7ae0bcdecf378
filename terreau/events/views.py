"""Pages of the events section. Thin: objects come through terreau.core.access (an event's named organisers
run it through its "change" right, beside its branch's staff), changes go through terreau.events.services."""

from __future__ import annotations

import itertools

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import actor_for, branches_managed, editable, get_for, visible
from terreau.core.french import fold_key
from terreau.core.models import Branch
from terreau.core.tabular import csv_response
from terreau.directory.models import Organisation, Theme
from terreau.events import pdf, services, tokens
from terreau.events.forms import (
    CheckInSearchForm,
    DocumentForm,
    EventFilterForm,
    EventForm,
    RegistrationForm,
    WorkshopItemForm,
)
from terreau.events.models import Event, Registration, WorkshopDocument, WorkshopItem
from terreau.partnerships.models import Partnership

S = Registration.Status


def _runs(user, event: Event) -> bool:
    """Whether the user runs the event: its branch's staff or one of its named organisers."""
    return editable(user, Event.objects.filter(pk=event.pk)).exists()


def _event_to_run(request: HttpRequest, slug: str) -> Event:
    """The event the user runs; 404 when they cannot see it, 403 when they see it but do not run it."""
    return get_for(
        request.user, Event.objects.select_related("branch", "commune"), action="change", slug=slug
    )


# --- public pages ----------------------------------------------------------------------------------


def event_list(request: HttpRequest) -> HttpResponse:
    branches = Branch.objects.filter(events__in=visible(request.user, Event.objects.all())).distinct()
    form = EventFilterForm(request.GET or None, branches=branches)
    qs = visible(request.user, Event.objects.upcoming()).select_related("branch", "commune")
    if form.is_valid():
        data = form.cleaned_data
        if data["branch"]:
            qs = qs.filter(branch__slug=data["branch"])
        if data["department"]:
            qs = qs.in_department(data["department"].strip().upper())
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
    manager = _runs(request.user, event)
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


def _member_organisations(request: HttpRequest):
    actor = actor_for(request.user)
    if not actor.org_ids:
        return None
    return visible(actor, Organisation.objects.filter(pk__in=actor.org_ids)).order_by("name")


def register(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_for(request.user, Event.objects.select_related("branch", "commune"), slug=slug)
    organisations = _member_organisations(request)
    initial = {}
    if request.user.is_authenticated:
        initial = {"name": request.user.get_full_name(), "email": request.user.email}
    form = RegistrationForm(
        request.POST or None,
        initial=initial,
        organisations=organisations,
        asks_side=event.asks_side(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.registration_create(
                event=event,
                name=data["name"],
                email=data["email"],
                organisation=data.get("organisation"),
                organisation_name=data.get("organisation_name", ""),
                side=data.get("side", ""),
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            if registration.status == S.PENDING:
                return render(
                    request,
                    "events/registration_pending.html",
                    {"event": event, "registration": registration},
                )
            return redirect("events:registration", token=tokens.make_token(registration.pk, "manage"))
    return render(
        request,
        "events/register.html",
        {"event": event, "form": form, "registration_open": event.registration_open(), "nav": "events"},
        status=400 if request.method == "POST" else 200,
    )


def _bad_link(request: HttpRequest, exc: tokens.BadLink) -> HttpResponse:
    return render(request, "events/bad_link.html", {"reason": exc.reason}, status=400)


def _registration_from(token: str, purpose: str) -> Registration:
    pk = tokens.read_token(token, purpose)
    try:
        return Registration.objects.select_related("event", "event__branch", "event__commune").get(pk=pk)
    except Registration.DoesNotExist:
        raise tokens.BadLink("tampered") from None


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail link: GET shows a button (link scanners must not confirm), POST confirms."""
    try:
        registration = _registration_from(token, "confirm")
    except tokens.BadLink as exc:
        return _bad_link(request, exc)
    if request.method == "POST":
        try:
            registration = services.registration_confirm(registration=registration)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("events:registration", token=tokens.make_token(registration.pk, "manage"))
    if registration.status != S.PENDING:
        return redirect("events:registration", token=tokens.make_token(registration.pk, "manage"))
    return render(request, "events/confirm.html", {"registration": registration, "event": registration.event})


def registration_page(request: HttpRequest, token: str) -> HttpResponse:
    """The registrant's own page (from the e-mail): status, QR code for the door, cancel, certificate."""
    try:
        registration = _registration_from(token, "manage")
    except tokens.BadLink as exc:
        return _bad_link(request, exc)
    qr = None
    if registration.status in (S.CONFIRMED, S.ATTENDED):
        qr = segno.make(services.checkin_url(registration), error="m").svg_inline(
            scale=5, border=2, omitsize=False
        )
    position = None
    if registration.status == S.WAITLISTED:
        position = (
            registration.event.registrations.filter(status=S.WAITLISTED)
            .filter(
                Q(waitlisted_at__lt=registration.waitlisted_at)
                | Q(waitlisted_at=registration.waitlisted_at, pk__lt=registration.pk)
            )
            .count()
            + 1
        )
    sm = None
    if registration.event.kind == Event.Kind.SPEED_MEETING and registration.status in Registration.SEATED:
        sm = registration.event.speed_meeting_or_none()
    return render(
        request,
        "events/registration.html",
        {
            "registration": registration,
            "event": registration.event,
            "token": token,
            "qr": qr,
            "position": position,
            "sm": sm,
        },
    )


def cancel(request: HttpRequest, token: str) -> HttpResponse:
    try:
        registration = _registration_from(token, "manage")
    except tokens.BadLink as exc:
        return _bad_link(request, exc)
    if request.method == "POST":
        try:
            services.registration_cancel(
                registration=registration, by=request.user if request.user.is_authenticated else None
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Votre inscription est annulée."))
        return redirect("events:registration", token=token)
    return render(request, "events/cancel.html", {"registration": registration, "event": registration.event})


def certificate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        registration = _registration_from(token, "manage")
    except tokens.BadLink as exc:
        return _bad_link(request, exc)
    if registration.status != S.ATTENDED:
        return render(request, "events/no_certificate.html", {"registration": registration}, status=403)
    response = HttpResponse(pdf.attendance_certificate(registration), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-{registration.event.slug}.pdf"'
    return response


# --- organisers ------------------------------------------------------------------------------------


def qr_checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The QR code's address: an organiser of the event opening it checks the person in (idempotent)."""
    try:
        registration = _registration_from(token, "checkin")
    except tokens.BadLink as exc:
        return _bad_link(request, exc)
    if not request.user.is_authenticated or not _runs(request.user, registration.event):
        return render(
            request, "events/qr_visitor.html", {"registration": registration, "event": registration.event}
        )
    error = None
    try:
        registration = services.registration_check_in(registration=registration, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return render(
        request,
        "events/qr_checked_in.html",
        {"registration": registration, "event": registration.event, "error": error},
        status=409 if error else 200,
    )


def _checkin_rows(event: Event, q: str) -> list[Registration]:
    """Registrations expected at the door matching the search, accents and case ignored (an event's list
    is small: folded in Python, identical on SQLite and PostgreSQL)."""
    qs = (
        event.registrations.filter(status__in=[S.CONFIRMED, S.ATTENDED, S.WAITLISTED])
        .select_related("organisation")
        .order_by("name", "pk")
    )
    words = fold_key(q).split()
    if not words:
        return list(qs)
    return [r for r in qs if all(w in fold_key(f"{r.name} {r.organisation_label} {r.email}") for w in words)]


@login_required
def checkin(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event_to_run(request, slug)
    form = CheckInSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    rows = _checkin_rows(event, q)
    context = {
        "event": event,
        "form": form,
        "rows": rows,
        "q": q,
        "present": event.registrations.filter(status=S.ATTENDED).count(),
        "expected": event.registrations.filter(status__in=Registration.SEATED).count(),
        "nav": "events",
    }
    if request.htmx:
        return render(request, "events/_checkin_rows.html", context)
    return render(request, "events/checkin.html", context)


@login_required
@require_POST
def checkin_mark(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _event_to_run(request, slug)
    try:
        registration = event.registrations.get(pk=pk)
    except Registration.DoesNotExist:
        raise Http404 from None
    error = None
    try:
        if request.POST.get("undo"):
            registration = services.registration_undo_check_in(registration=registration, by=request.user)
        else:
            registration = services.registration_check_in(registration=registration, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return render(
            request, "events/_checkin_row.html", {"event": event, "r": registration, "error": error}
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, _("%(name)s est enregistré(e) comme présent(e).") % {"name": registration.name}
        )
    return redirect("events:checkin", slug=event.slug)


@login_required
def attendance_export(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event_to_run(request, slug)
    speed = event.kind == Event.Kind.SPEED_MEETING
    header = [
        _("Nom"),
        _("Adresse e-mail"),
        _("Structure"),
        *([_("Représente")] if speed else []),
        _("Statut"),
        _("Présence constatée le"),
        _("Inscrit le"),
    ]
    registrations = (
        event.registrations.exclude(status=S.CANCELLED).select_related("organisation").order_by("name", "pk")
    )
    rows = (
        [
            r.name,
            r.email,
            r.organisation_label,
            *([r.represents] if speed else []),
            r.get_status_display(),
            timezone.localtime(r.attended_at).strftime("%d/%m/%Y %H:%M") if r.attended_at else "",
            timezone.localtime(r.created_at).strftime("%d/%m/%Y %H:%M"),
        ]
        for r in registrations
    )
    return csv_response(itertools.chain([header], rows), filename=f"presences-{event.slug}.csv")


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
    event = _event_to_run(request, slug)
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


@login_required
@require_POST
def workshop_item_add(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event_to_run(request, slug)
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
    event = _event_to_run(request, slug)
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
    event = _event_to_run(request, slug)
    try:
        document = event.documents.get(pk=pk)
    except WorkshopDocument.DoesNotExist:
        raise Http404 from None
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.file.name.rsplit("/", 1)[-1]
    )


@login_required
def registrations(request: HttpRequest, slug: str) -> HttpResponse:
    """Organisers' list of every registration with its state history."""
    event = _event_to_run(request, slug)
    regs = (
        event.registrations.select_related("organisation")
        .prefetch_related("history")
        .order_by("status", "name")
    )
    return render(
        request, "events/registrations.html", {"event": event, "registrations": regs, "nav": "events"}
    )
