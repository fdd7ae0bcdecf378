"""Periodic jobs of territorial diagnoses (run by `terreau worker`)."""

from __future__ import annotations

import logging

from terreau.core.jobs import job

logger = logging.getLogger(__name__)


# Daily: consultations past their closing date move to the analysis, then invitees who have not answered
# are reminded (at most consultation.MAX_REMINDERS times, REMINDER_SPACING apart; idempotent).
@job(name="alliances.consultation_reminders", periodic="30 8 * * *", retries=3)
def consultation_reminders() -> None:
    from terreau.alliances.consultation import send_reminders
    from terreau.alliances.services import close_due_consultations

    logger.info("Consultations closed: %d", close_due_consultations())
    logger.info("Consultation reminders sent: %d", send_reminders())
