"""What the events pages share: whether a person runs an event, the event they run (404 or 403 otherwise),
and the registration behind a signed link (with the page shown for a bad one)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from terreau.core.access import editable, get_for
from terreau.events import tokens
from terreau.events.models import Event, Registration


def runs(user, event: Event) -> bool:
    """Whether the user runs the event: its branch's staff or one of its named organisers."""
    return editable(user, Event.objects.filter(pk=event.pk)).exists()


def event_to_run(request: HttpRequest, slug: str) -> Event:
    """The event the user runs; 404 when they cannot see it, 403 when they see it but do not run it."""
    return get_for(
        request.user, Event.objects.select_related("branch", "commune"), action="change", slug=slug
    )


def bad_link(request: HttpRequest, exc: tokens.BadLink) -> HttpResponse:
    return render(request, "events/bad_link.html", {"reason": exc.reason}, status=400)


def registration_from(token: str, purpose: str) -> Registration:
    pk = tokens.read_token(token, purpose)
    try:
        return Registration.objects.select_related("event", "event__branch", "event__commune").get(pk=pk)
    except Registration.DoesNotExist:
        raise tokens.BadLink("tampered") from None
