"""The bell in the header: a link to the notifications page with the unread count (one query per request)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def unread_count(request) -> int:
    """The signed-in person's unread notifications, counted once per request."""
    cached = getattr(request, "_terreau_unread_notifications", None)
    if cached is None:
        from terreau.notifications.models import Notification

        cached = Notification.objects.for_user(request.user).unread().count()
        request._terreau_unread_notifications = cached
    return cached


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not getattr(user, "is_authenticated", False):
        return {"show": False}
    count = unread_count(request)
    if count:
        label = ngettext("Notifications, %(n)s non lue", "Notifications, %(n)s non lues", count) % {
            "n": count
        }
    else:
        label = _("Notifications, aucune non lue")
    return {"show": True, "count": count, "label": label, "current": context.get("nav") == "notifications"}
