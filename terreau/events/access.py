"""Who may run an event: branch staff (terreau.core.access, action "manage") and its named organisers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from terreau.core.access import actor_for, editable, get_for
from terreau.events.models import Event, organised_by


def events_managed(user: Any) -> QuerySet[Event]:
    actor = actor_for(user)
    staff = editable(actor, Event.objects.all(), action="manage")
    return Event.objects.filter(pk__in=staff.values("pk")) | Event.objects.filter(
        pk__in=organised_by(user).values("pk")
    )


def event_to_manage(user: Any, qs: QuerySet[Event] | None = None, **lookup: Any) -> Event:
    """The event if the user organises it or is staff of its branch; otherwise 404 (invisible) or 403."""
    qs = Event.objects.select_related("branch", "commune") if qs is None else qs
    organised = organised_by(user).filter(**lookup).values("pk")
    found = qs.filter(pk__in=organised).first()
    if found is not None:
        return found
    return get_for(user, qs, action="manage", **lookup)


def can_manage(user: Any, event: Event) -> bool:
    return events_managed(user).filter(pk=event.pk).exists()
