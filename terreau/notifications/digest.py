"""The daily digest: one e-mail per person listing the notifications of the kinds they chose to receive that
way, since their last digest."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from terreau.core.jobs import defer
from terreau.core.links import absolute_url
from terreau.core.mail import render_email
from terreau.notifications.kinds import get_kind
from terreau.notifications.models import EmailDelivery, Notification

KIND = "notifications.digest"


def _absolute(link: str) -> str:
    return link if not link or "://" in link else absolute_url(link)


def send_digests(*, now=None) -> int:
    """Queue each person's digest (once per day and person). Returns the number of digests queued."""
    now = now or timezone.now()
    due = Notification.objects.filter(in_digest=True, digested_at__isnull=True, recipient__isnull=False)
    user_ids = sorted(set(due.values_list("recipient_id", flat=True)))
    queued = 0
    for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk"):
        if _send_one(user=user, now=now):
            queued += 1
    return queued


@transaction.atomic
def _send_one(*, user, now) -> bool:
    from terreau.notifications import tasks

    rows = list(
        Notification.objects.select_for_update()
        .filter(recipient=user, in_digest=True, digested_at__isnull=True)
        .order_by("created_at", "pk")
    )
    if not rows:
        return False
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        try:
            label = str(get_kind(row.kind).label)
        except LookupError:
            label = row.kind
        groups[label].append({"title": row.title, "link": _absolute(row.link), "created_at": row.created_at})
    context = {
        "user": user,
        "groups": sorted(groups.items()),
        "count": len(rows),
        "notifications_url": absolute_url(reverse("notifications:list")),
        "preferences_url": absolute_url(reverse("notifications:preferences")),
    }
    subject, text, html = render_email("notifications/emails/digest", context)
    if html is None:
        html = render_to_string("notifications/emails/base.html", {"subject": subject, "text": text})
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(digested_at=now)
    try:
        with transaction.atomic():
            delivery = EmailDelivery.objects.create(
                recipient=user,
                kind=KIND,
                to_email=user.email,
                from_email=settings.DEFAULT_FROM_EMAIL,
                subject=subject[:300],
                text=text,
                html=html,
                dedup_key=f"{KIND}:{user.pk}:{timezone.localdate(now).isoformat()}",
            )
    except IntegrityError:
        # Today's digest already left: these notifications wait for tomorrow's.
        transaction.set_rollback(True)
        return False
    defer(tasks.send_email, delivery_id=delivery.pk)
    return True
