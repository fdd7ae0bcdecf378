"""Periodic jobs of partnerships (run by `terreau worker`; `terreau expire-contact-requests` by hand)."""

from __future__ import annotations

import logging

from terreau.core.jobs import job

logger = logging.getLogger(__name__)


@job(name="partnerships.expire_contact_requests", periodic="15 6 * * *", retries=3)
def expire_contact_requests() -> None:
    from terreau.partnerships.services import contact_requests_expire

    logger.info("Contact requests expired: %d", contact_requests_expire())
