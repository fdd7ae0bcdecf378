"""Periodic jobs of events (run by `terreau worker`; `terreau send-event-reminders` does the same by hand)."""

from __future__ import annotations

import logging

from terreau.core.jobs import job

logger = logging.getLogger(__name__)


# Hourly: a registrant is reminded once, 24 to 48 hours before the event (send_reminders is idempotent).
@job(name="events.send_reminders", periodic="5 * * * *", retries=3)
def send_reminders() -> None:
    from terreau.events.services import send_reminders as send

    logger.info("Event reminders sent: %d", send())
