"""At the door: check-in by QR code or by name, and the attendance export of an event."""

from __future__ import annotations

import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core import french
from terreau.core.audit import audit_export
from terreau.core.french import fold_key
from terreau.core.tabular import csv_response
from terreau.events import services, tokens
from terreau.events.forms import CheckInSearchForm
from terreau.events.models import Event, Registration
from terreau.events.views.common import bad_link, event_to_run, registration_from, runs

S = Registration.Status


def qr_checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The QR code's address: an organiser of the event opening it checks the person in (idempotent)."""
    try:
        registration = registration_from(token, "checkin")
    except tokens.BadLink as exc:
        return bad_link(request, exc)
    if not request.user.is_authenticated or not runs(request.user, registration.event):
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


def _counts(event: Event) -> dict[str, int]:
    """The door's counter: people present, out of the confirmed registrations (present or expected)."""
    return {
        "present": event.registrations.filter(status=S.ATTENDED).count(),
        "expected": event.registrations.filter(status__in=Registration.SEATED).count(),
    }


@login_required
def checkin(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_to_run(request, slug)
    form = CheckInSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    rows = _checkin_rows(event, q)
    context = {
        "event": event,
        "form": form,
        "rows": rows,
        "q": q,
        **_counts(event),
        "nav": "events",
    }
    if request.htmx:
        return render(request, "events/_checkin_rows.html", context)
    return render(request, "events/checkin.html", context)


@login_required
@require_POST
def checkin_mark(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_to_run(request, slug)
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
        # The row, and the counter above the list swapped out of band so that it follows.
        context = {"event": event, "r": registration, "error": error, "oob": True, **_counts(event)}
        return render(request, "events/_checkin_marked.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, _("Présence %(of_name)s enregistrée.") % {"of_name": french.of(registration.name)}
        )
    return redirect("events:checkin", slug=event.slug)


@login_required
def attendance_export(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_to_run(request, slug)
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
    audit_export(request, target=f"presences-{event.slug}.csv", obj=event)
    return csv_response(itertools.chain([header], rows), filename=f"presences-{event.slug}.csv")
