"""Periodic jobs of programs' activities (run by `terreau worker`; the commands of the same names by hand)."""

from __future__ import annotations

import logging

from terreau.core.jobs import job

logger = logging.getLogger(__name__)


# Daily: beneficiaries' personal data is anonymised once the retention period is over (rules.py).
@job(name="activities.enforce_retention", periodic="45 2 * * *", retries=3)
def enforce_retention() -> None:
    from terreau.activities.participants import enforce_retention as enforce

    logger.info("Participants anonymised: %d", enforce())


# Nightly: the dashboard's summary is rebuilt from the sessions, in case a bulk write bypassed the services.
@job(name="activities.rebuild_dashboard_stats", periodic="0 2 * * *", retries=3)
def rebuild_dashboard_stats() -> None:
    from terreau.activities import stats

    logger.info("Dashboard summary rows rebuilt: %d", stats.rebuild())
