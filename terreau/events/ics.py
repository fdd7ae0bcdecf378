"""iCalendar (.ics) file of an event, written with the `icalendar` package."""

from __future__ import annotations

from datetime import UTC
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as VEvent

from terreau.core.links import absolute_url
from terreau.events.models import Event


def event_ics(event: Event, *, method: str = "PUBLISH") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Terreau//Rencontres//FR")
    cal.add("version", "2.0")
    cal.add("method", method)
    item = VEvent()
    item.add("uid", f"event-{event.pk}@terreau")
    item.add("dtstamp", timezone.now().astimezone(UTC))
    item.add("dtstart", event.starts_at.astimezone(UTC))
    item.add("dtend", event.ends_at.astimezone(UTC))
    item.add("summary", event.title)
    if event.description:
        item.add("description", event.description)
    if event.place:
        item.add("location", event.place)
    item.add("url", absolute_url(event.get_absolute_url()))
    organiser = event.branch.contact_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    item.add("organizer", f"mailto:{organiser}")
    cal.add_component(item)
    return cal.to_ical()
