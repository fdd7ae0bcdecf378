"""Background jobs: the one way Terreau runs work outside a web request.

Jobs run on Procrastinate, a maintained job queue that lives in the project's own PostgreSQL: a small install
needs no other service, jobs survive restarts, a failed job is retried with an exponential backoff, and any
number of web processes and workers share one database. Workers start with `terreau worker`
(docs/deployment.md); administrators see every job, its state and its attempts in the admin.

A job is deferred in the caller's transaction (Procrastinate's Django connector writes through Django's
connection): it becomes visible to workers when, and only if, that transaction commits. Nothing is sent for
data that was rolled back, and nothing saved is left without its job.

On SQLite (the zero-configuration demo) there is no queue: TERREAU_JOBS_INLINE runs each job in the process
that asked for it, right after the commit; a failure is logged, never shown as an error page. Tests run
inline too, except those of the queue itself.

Usage, in an app's ``tasks.py`` (discovered by Procrastinate)::

    @job(name="events.send_reminders", periodic="0 7 * * *")
    def send_reminders() -> None: ...

    @job(name="meetings.plan", retries=2)
    def plan(*, event_id: int, tracked_id: str) -> None:
        with tracking(tracked_id) as progress:
            ...
            progress(done=3, total=10)

and from a service: ``defer(plan, event_id=event.pk, tracked_id=...)`` or, for work a person waits for,
``start_tracked(plan, owner=user, title=..., event_id=event.pk)`` which returns the TrackedJob whose page
shows the progress. A worker: ``terreau worker``, or ``run_worker(wait=False)`` in a test on PostgreSQL.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from procrastinate import RetryStrategy, exceptions, manager
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.tasks import configure_task

logger = logging.getLogger(__name__)

# Sent by `terreau worker` when it starts, before it takes jobs: apps queue the work a fresh worker should do
# ahead of the jobs (e.g. the matching index, which a change job would otherwise build first).
worker_started = Signal()


def backoff_base() -> int:
    """Retry n waits base ** n seconds: with 4, about 4 s, 16 s, 1 min, 4 min, 17 min (an SMTP server or
    an outside service has time to come back). TERREAU_JOBS_BACKOFF_SECONDS sets it (fault tests use 1)."""
    return settings.TERREAU_JOBS_BACKOFF_SECONDS


class Task(Protocol):
    name: str
    func: Callable[..., Any]
    queue: str
    lock: str | None
    queueing_lock: str | None
    priority: int

    def defer(self, **kwargs: Any) -> int: ...


class JobError(Exception):
    """A failure whose message (in French) is shown to the person who started the job; not retried."""


def job(
    *,
    name: str,
    retries: int = 5,
    queue: str = "default",
    periodic: str | None = None,
    lock: str | None = None,
    serial: str | None = None,
) -> Callable[[Callable[..., Any]], Task]:
    """Register ``func`` as a job called ``name``. ``retries`` attempts after the first, with backoff;
    ``periodic`` is a cron line (in UTC) for jobs the workers start by themselves; ``lock`` lets one
    job of that name wait in the queue at a time (later defers are dropped); jobs sharing a ``serial``
    name never run at the same time, whichever worker takes them (they run one after the other)."""

    def decorate(func: Callable[..., Any]) -> Task:
        body = func
        # Procrastinate passes the scheduled time to periodic jobs; ours do not need it.
        if periodic is not None and inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def body(timestamp: int | None = None, **kwargs: Any) -> Any:
                return await func(**kwargs)

        elif periodic is not None:

            @functools.wraps(func)
            def body(timestamp: int | None = None, **kwargs: Any) -> Any:
                return func(**kwargs)

        task = app.task(
            name=name,
            queue=queue,
            queueing_lock=lock or (name if periodic else None),
            lock=serial,
            retry=RetryStrategy(
                max_attempts=retries,
                exponential_wait=backoff_base(),
                retry_exceptions={Exception},
            )
            if retries
            else False,
        )(body)
        if periodic is not None:
            app.periodic(cron=periodic, periodic_id=name)(task)
        return task

    return decorate


def inline() -> bool:
    return bool(settings.TERREAU_JOBS_INLINE)


@functools.cache
def _transactional_jobs() -> manager.JobManager:
    # Through Django's connection, whichever connector the app uses (a worker swaps in its own pool): a job
    # deferred by a job, or by a request, commits or rolls back with the data it is about.
    return manager.JobManager(DjangoConnector(alias="default"))


def defer(task: Task, /, **kwargs: Any) -> None:
    """Run ``task`` with ``kwargs`` in the background once the current transaction commits. A job with a
    ``lock`` already waiting in the queue is not queued twice."""
    if inline():
        transaction.on_commit(functools.partial(run_inline, task, kwargs))
        return
    deferrer = configure_task(
        name=task.name,
        job_manager=_transactional_jobs(),
        queue=task.queue,
        lock=task.lock,
        queueing_lock=task.queueing_lock,
        priority=task.priority,
    )
    try:
        # A savepoint: the refused duplicate must not abort the caller's transaction.
        with transaction.atomic():
            deferrer.defer(**kwargs)
    except exceptions.AlreadyEnqueued:
        logger.debug("Job %s already waiting in the queue", task.name)


def run_worker(**options: Any) -> None:
    """Work the queue (`terreau worker`; tests: ``run_worker(wait=False)`` runs what is queued, then returns).

    Django's connector cannot listen for new jobs: the worker runs on Procrastinate's own connection pool to
    the same database (LISTEN/NOTIFY), as `manage.py procrastinate worker` does."""
    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(**options)


def run_inline(task: Task, kwargs: dict[str, Any]) -> None:
    """The job in this process: used when there is no queue (SQLite). A failure is logged (and reported
    to Sentry when configured), never raised into the request that asked for the job."""
    try:
        if inspect.iscoroutinefunction(task.func):
            async_to_sync(task.func)(**kwargs)
        else:
            task.func(**kwargs)
    except Exception:
        logger.exception("Job %s failed (run inline)", task.name)


# -- Work a person waits for: progress they can follow ------------------------------------------------------


def start_tracked(task: Task, /, *, owner, title: str, branch=None, **kwargs: Any):
    """Create the TrackedJob a person follows, then defer ``task`` with ``tracked_id`` added. ``branch``
    (the branch the work is for) lets that branch's staff follow it too (TrackedJob.ACCESS)."""
    from terreau.core.models import TrackedJob

    tracked = TrackedJob.objects.create(owner=owner, title=title, name=task.name, branch=branch)
    defer(task, tracked_id=str(tracked.pk), **kwargs)
    return tracked


@contextmanager
def tracking(tracked_id: str | None) -> Iterator[Callable[..., None]]:
    """Mark the TrackedJob running, give the job a ``progress(done=, total=, message=)`` callable, and mark
    it done (or failed, with a French message) at the end. Progress is written outside the job's own
    transaction, so the person sees it move while the job works. Without a tracked id it does nothing."""
    from terreau.core.models import TrackedJob

    if not tracked_id:
        yield lambda **kwargs: None
        return
    jobs = TrackedJob.objects.filter(pk=tracked_id)
    jobs.update(state=TrackedJob.State.RUNNING, started_at=timezone.now(), error="")

    def progress(*, done: int, total: int | None = None, message: str | None = None) -> None:
        values: dict[str, Any] = {"done": done}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message
        jobs.update(**values)

    try:
        yield progress
    except JobError as error:
        jobs.update(state=TrackedJob.State.FAILED, error=str(error), finished_at=timezone.now())
        return
    except Exception:
        jobs.update(
            state=TrackedJob.State.FAILED,
            error=_("Une erreur inattendue a interrompu le traitement ; l'équipe technique est prévenue."),
            finished_at=timezone.now(),
        )
        raise
    jobs.update(state=TrackedJob.State.DONE, finished_at=timezone.now())


def finish_tracked(tracked_id: str | None, *, result_url: str = "", message: str | None = None) -> None:
    """Record where the result of a tracked job is (a page, a file to download) for its progress page."""
    from terreau.core.models import TrackedJob

    if not tracked_id:
        return
    values: dict[str, Any] = {"result_url": result_url}
    if message is not None:
        values["message"] = message
    TrackedJob.objects.filter(pk=tracked_id).update(**values)
