"""Jobs of notifications: sending one e-mail, resending those still pending, the daily digest."""

from __future__ import annotations

import logging

from terreau.core.jobs import job
from terreau.notifications import delivery, digest

logger = logging.getLogger(__name__)


# Retried by the queue with its exponential backoff (the job raises on a mail server failure).
@job(name="notifications.send_email", retries=5)
def send_email(*, delivery_id: int) -> None:
    delivery.send_delivery(delivery_id)


@job(name="notifications.retry_pending", periodic="*/5 * * * *", retries=0)
def retry_pending() -> None:
    sent = delivery.retry_pending()
    if sent:
        logger.info("Pending e-mails sent: %d", sent)


@job(name="notifications.send_digests", periodic="0 7 * * *", retries=2)
def send_digests() -> None:
    logger.info("Daily digests queued: %d", digest.send_digests())
