"""The queue's own upkeep: jobs left by a dead worker are retried; old records are pruned."""

from __future__ import annotations

import logging
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.utils import timezone
from procrastinate.contrib.django import app

from terreau.core.jobs import job

logger = logging.getLogger(__name__)

# Finished jobs (the queue's and the progress pages') are kept this long for administrators to read.
KEEP_FINISHED_DAYS = 30


async def _retry_stalled() -> int:
    # A job is stalled when the worker running it stopped sending heartbeats (killed, machine lost): it goes
    # back to the queue and another worker runs it again. Jobs write their data in one transaction, so the
    # dead attempt left nothing half done.
    stalled = await app.job_manager.get_stalled_jobs()
    for stalled_job in stalled:
        await app.job_manager.retry_job(stalled_job)
    return len(stalled)


def retry_stalled() -> int:
    """From a command (the worker's start-up), through Django's connection."""
    count = async_to_sync(_retry_stalled)()
    if count:
        logger.warning("Retried %d job(s) left by a stopped worker", count)
    return count


# The queue's upkeep runs in the worker's event loop (async), on the worker's own connection pool.
@job(name="core.retry_stalled_jobs", periodic="* * * * *", retries=0)
async def retry_stalled_jobs() -> None:
    count = await _retry_stalled()
    if count:
        logger.warning("Retried %d job(s) left by a stopped worker", count)


@job(name="core.prune_finished_jobs", periodic="30 3 * * *", retries=0)
async def prune_finished_jobs() -> None:
    from terreau.core.models import TrackedJob

    await app.job_manager.delete_old_jobs(nb_hours=24 * KEEP_FINISHED_DAYS, include_failed=True)
    cutoff = timezone.now() - timedelta(days=KEEP_FINISHED_DAYS)
    await TrackedJob.objects.filter(created_at__lt=cutoff).adelete()
