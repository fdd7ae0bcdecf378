"""Matching jobs: the stored suggestions computed outside web requests (terreau.matching.store).

- matching.refresh: the pending changes (needs, offers, organisations edited, closed or deleted), deferred
  by terreau.matching.signals in the transaction of the change; one waits in the queue at a time (a burst of
  edits is handled by one job, which takes every pending change), then the entries of a changed item in
  thousands of other items' lists, a block at a time between the changes (terreau.matching.incremental).
- matching.rebuild: everything again, every night and on `terreau rebuild-suggestions`.
- matching.warm: the worker's index built ahead of the change jobs (or, after an upgrade of the engine, a
  full rebuild queued at once), when a worker starts and every four hours (before WORKER_INDEX_MAX_AGE makes a change job build it): a change job then only updates it, so a
  changed need's suggestions are stored within seconds, not after an index build. With several worker
  processes, the one that takes the job is warmed; the others build theirs at their first change.

Both write the stored suggestions: they are serial ("matching.store"), so two full builds never run at once
(a first change on a new database starts one, `terreau rebuild-suggestions --queue` another: the second then
finds a build started after it was asked for and stops at once).
"""

from __future__ import annotations

from django.utils import timezone

from terreau.core.jobs import defer, job, tracking
from terreau.matching import incremental, store
from terreau.matching.models import MatchingPropagation


@job(name="matching.refresh", retries=3, lock="matching.refresh", serial="matching.store")
def refresh_suggestions() -> None:
    incremental.refresh_pending()


@job(name="matching.warm", retries=1, lock="matching.warm", periodic="20 */4 * * *")
def warm_index() -> None:
    build = store.current_build()
    if build is not None and build.engine_version != store.ENGINE_VERSION:
        # Rows scored by another version of the engine (an upgrade): everything again now, not at night, or
        # pages would rank old rows against new ones. The rebuild leaves its index to the worker that runs it.
        defer(rebuild_suggestions, requested_after=timezone.now().isoformat())
        return
    store.warm_worker_index()
    if MatchingPropagation.objects.filter(done=False).exists():  # left by a worker stopped mid-way
        defer(refresh_suggestions)


@job(name="matching.rebuild", retries=2, periodic="30 2 * * *", serial="matching.store")
def rebuild_suggestions(tracked_id: str | None = None, requested_after: str | None = None) -> None:
    """`requested_after`: an ISO time; a build started since then already covers the request."""
    if requested_after:
        latest = store.SuggestionBuild.objects.filter(started_at__gt=requested_after).exists()
        if latest:
            return
    with tracking(tracked_id) as progress:
        store.rebuild_all(progress=progress)
