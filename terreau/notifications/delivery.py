"""Sending the outbox: one EmailDelivery at a time, retried until it leaves, never lost.

``send_delivery`` claims the row with a short lease (an UPDATE that commits at once: no row lock is held while
the mail server is talking), sends through Django's mail framework, then marks the row sent. On failure it
records the error, releases the lease and raises, so the queue retries it with its backoff; after
MAX_ATTEMPTS it is marked failed (an administrator may resend it from the admin).

The periodic ``notifications.retry_pending`` job resends pending rows whose last attempt is more than a minute
old: it takes over when the queue gave up, and it is the retry of the SQLite (inline) mode, where a failed
attempt is only logged.

At-least-once, not exactly-once: a worker killed after the server accepted the message and before the row is
marked sent leaves it pending, and it is sent again once the lease expires. The window is the time of one
UPDATE right after ``send()`` returns; nothing else happens in between.
"""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone

from terreau.notifications.models import EmailDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=1)
ERASED = "—"

State = EmailDelivery.State


def build_message(delivery: EmailDelivery, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        delivery.subject,
        delivery.text,
        delivery.from_email or None,
        [delivery.to_email],
        headers=dict(delivery.headers or {}),
        connection=connection,
    )
    if delivery.html:
        message.attach_alternative(delivery.html, "text/html")
    for item in delivery.attachments or []:
        content = base64.b64decode(item["content"])
        if item["mimetype"].startswith("text/"):
            message.attach(item["filename"], content.decode("utf-8"), item["mimetype"])
        else:
            message.attach(item["filename"], content, item["mimetype"])
    return message


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    return bool(
        EmailDelivery.objects.filter(pk=delivery_id, state=State.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1, last_attempt_at=now)
    )


def send_delivery(delivery_id: int, *, raise_errors: bool = True) -> bool:
    """Send one pending e-mail. True when sent now; False when it was not ours to send (already sent, failed,
    or claimed by another sender). A mail server failure is recorded, then raised when ``raise_errors``."""
    from terreau.notifications.kinds import get_kind

    if not _claim(delivery_id):
        return False
    delivery = EmailDelivery.objects.get(pk=delivery_id)
    try:
        build_message(delivery, connection=get_connection()).send(fail_silently=False)
    except Exception as error:
        state = State.FAILED if delivery.attempts >= MAX_ATTEMPTS else State.PENDING
        EmailDelivery.objects.filter(pk=delivery_id).update(
            state=state, claimed_until=None, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        logger.warning("E-mail %s not sent (attempt %s): %s", delivery_id, delivery.attempts, error)
        if raise_errors:
            raise
        return False
    # The only window for a duplicate: the server accepted the message, this UPDATE has not run yet.
    values = {"state": State.SENT, "sent_at": timezone.now(), "claimed_until": None, "last_error": ""}
    try:
        secret = get_kind(delivery.kind).secret
    except LookupError:
        secret = False
    if secret:
        values |= {"text": ERASED, "html": ""}
    EmailDelivery.objects.filter(pk=delivery_id).update(**values)
    return True


def retry_pending(*, now=None, limit: int = 500) -> int:
    """Resend pending e-mails whose last attempt (or creation) is older than a minute. Returns how many left."""
    now = now or timezone.now()
    due = (
        EmailDelivery.objects.filter(state=State.PENDING, created_at__lt=now - RETRY_AFTER)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=now - RETRY_AFTER))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for delivery_id in list(due):
        if send_delivery(delivery_id, raise_errors=False):
            sent += 1
    return sent


def resend(deliveries) -> int:
    """Put failed e-mails back in the outbox (admin action): they leave with the next sending job."""
    from terreau.core.jobs import defer
    from terreau.notifications import tasks

    ids = list(deliveries.filter(state=State.FAILED).values_list("pk", flat=True))
    EmailDelivery.objects.filter(pk__in=ids).update(state=State.PENDING, attempts=0, claimed_until=None)
    for delivery_id in ids:
        defer(tasks.send_email, delivery_id=delivery_id)
    return len(ids)
