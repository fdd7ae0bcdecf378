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
    count = async_to_sync(_retry_stalled)()
    if count:
        logger.warning("Retried %d job(s) left by a stopped worker", count)
    return count


@job(name="core.retry_stalled_jobs", periodic="* * * * *", retries=0)
def retry_stalled_jobs() -> None:
    retry_stalled()


@job(name="core.prune_finished_jobs", periodic="30 3 * * *", retries=0)
def prune_finished_jobs() -> None:
    from terreau.core.models import TrackedJob

    async_to_sync(app.job_manager.delete_old_jobs)(nb_hours=24 * KEEP_FINISHED_DAYS, include_failed=True)
    TrackedJob.objects.filter(created_at__lt=timezone.now() - timedelta(days=KEEP_FINISHED_DAYS)).delete()
