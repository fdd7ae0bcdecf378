"""Registration pages: registering, the registrant's pages behind their signed links (confirm, status and
QR code, cancel, attendance certificate) and the organisers' list of registrations with their history."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from terreau.core.access import actor_for, get_for, visible
from terreau.directory.models import Organisation
from terreau.events import pdf, services, tokens
from terreau.events.forms import RegistrationForm
from terreau.events.models import Event, Registration
from terreau.events.views.common import bad_link, event_to_run, registration_from

S = Registration.Status


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


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail link: GET shows a button (link scanners must not confirm), POST confirms."""
    try:
        registration = registration_from(token, "confirm")
    except tokens.BadLink as exc:
        return bad_link(request, exc)
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
        registration = registration_from(token, "manage")
    except tokens.BadLink as exc:
        return bad_link(request, exc)
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
        registration = registration_from(token, "manage")
    except tokens.BadLink as exc:
        return bad_link(request, exc)
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
        registration = registration_from(token, "manage")
    except tokens.BadLink as exc:
        return bad_link(request, exc)
    if registration.status != S.ATTENDED:
        return render(request, "events/no_certificate.html", {"registration": registration}, status=403)
    response = HttpResponse(pdf.attendance_certificate(registration), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-{registration.event.slug}.pdf"'
    return response


@login_required
def registrations(request: HttpRequest, slug: str) -> HttpResponse:
    """Organisers' list of every registration with its state history."""
    event = event_to_run(request, slug)
    regs = (
        event.registrations.select_related("organisation")
        .prefetch_related("history")
        .order_by("status", "name")
    )
    return render(
        request, "events/registrations.html", {"event": event, "registrations": regs, "nav": "events"}
    )
