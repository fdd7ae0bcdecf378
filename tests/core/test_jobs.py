"""The job queue itself (terreau.core.jobs): jobs deferred in the caller's transaction, retried with backoff,
periodic jobs registered, inline mode on SQLite; and a real Procrastinate worker on PostgreSQL running the
speed-meeting plan job a view deferred."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from terreau.core import jobs
from terreau.core.models import TrackedJob
from tests.meetings.test_speed_meetings import _wish_all, world  # noqa: F401 (fixture)

QUEUE = "tests-core-jobs"
calls: list[str] = []


@jobs.job(name="tests.core.record", queue=QUEUE, retries=0)
def record(*, value: str) -> None:
    calls.append(value)


@jobs.job(name="tests.core.flaky", queue=QUEUE, retries=3)
def flaky(*, value: str) -> None:
    calls.append(value)
    if calls.count(value) == 1:
        raise RuntimeError("first attempt fails")


@jobs.job(name="tests.core.broken", queue=QUEUE, retries=0)
def broken() -> None:
    raise RuntimeError("boom")


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the job queue lives in PostgreSQL (SQLite runs jobs inline)"
)


@pytest.fixture
def queue(settings):
    """The real queue: jobs are rows in Procrastinate's tables, worked by ``run_worker``."""
    settings.TERREAU_JOBS_INLINE = False
    calls.clear()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers CASCADE"
        )
    yield
    calls.clear()
    # Jobs ran in the worker's threads, each with its own Django connection that nothing closes in a test:
    # end them, or the test database could not be dropped.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _work(queues=(QUEUE,)) -> None:
    jobs.run_worker(wait=False, queues=list(queues), install_signal_handlers=False, listen_notify=False)


# --- periodic jobs and inline mode (every database) -----------------------------------------------------

PERIODIC = {
    "core.retry_stalled_jobs",
    "core.prune_finished_jobs",
    "meetings.prune_batch_pdfs",
    "directory.prune_import_uploads",
}


def test_periodic_jobs_are_registered_with_a_valid_cron():
    import croniter

    periodic = {p.task.name: p for p in app.periodic_registry.periodic_tasks.values()}
    assert set(periodic) >= PERIODIC
    for name in PERIODIC:
        assert croniter.croniter.is_valid(periodic[name].cron), name


def test_the_apps_jobs_are_registered():
    assert {"meetings.plan", "meetings.all_agendas_pdf", "directory.import_file"} <= set(app.tasks)
    # A planning job is retried (not on a JobError); an import is not (it reports its own failure).
    assert app.tasks["meetings.plan"].retry_strategy.max_attempts == 2
    assert not app.tasks["directory.import_file"].retry_strategy


@pytest.mark.django_db
def test_inline_mode_runs_after_commit_and_logs_a_failure_without_raising(
    django_capture_on_commit_callbacks, caplog
):
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        jobs.defer(record, value="a")
        assert calls == []  # not before the commit
    assert calls == ["a"]
    with (
        caplog.at_level(logging.ERROR, logger="terreau.core.jobs"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        jobs.defer(broken)
    assert "Job tests.core.broken failed (run inline)" in caplog.text


@pytest.mark.django_db
def test_inline_mode_runs_nothing_for_a_rolled_back_transaction(django_capture_on_commit_callbacks):
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                jobs.defer(record, value="lost")
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and calls == []


# --- the queue on PostgreSQL ----------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_job_deferred_in_a_rolled_back_transaction_is_not_queued(queue):
    try:
        with transaction.atomic():
            jobs.defer(record, value="lost")
            assert ProcrastinateJob.objects.filter(task_name="tests.core.record").count() == 1
            raise RuntimeError
    except RuntimeError:
        pass
    assert not ProcrastinateJob.objects.filter(task_name="tests.core.record").exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_committed_job_is_queued_and_run_by_a_worker(queue):
    with transaction.atomic():
        jobs.defer(record, value="kept")
    queued = ProcrastinateJob.objects.get(task_name="tests.core.record")
    assert (queued.status, queued.args, queued.queue_name) == ("todo", {"value": "kept"}, QUEUE)

    _work()

    assert calls == ["kept"]
    assert ProcrastinateJob.objects.get(pk=queued.pk).status == "succeeded"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_failed_job_is_retried_after_a_backoff(queue):
    jobs.defer(flaky, value="x")
    before = timezone.now()

    _work()

    retried = ProcrastinateJob.objects.get(task_name="tests.core.flaky")
    assert calls == ["x"]
    assert (retried.status, retried.attempts) == ("todo", 1)
    # Waits before the next attempt (exponential backoff), then succeeds.
    assert retried.scheduled_at > before + timedelta(seconds=jobs.backoff_base() - 1)
    ProcrastinateJob.objects.filter(pk=retried.pk).update(scheduled_at=timezone.now())
    _work()
    assert calls == ["x", "x"]
    assert ProcrastinateJob.objects.get(pk=retried.pk).status == "succeeded"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_speed_meeting_plan_deferred_by_the_view_is_completed_by_a_real_worker(
    queue,
    client,
    world,  # noqa: F811
):
    data = world
    _wish_all(data)
    client.force_login(data["organiser"])

    response = client.post(reverse("meetings:plan_run", kwargs={"slug": data["event"].slug}))

    tracked = TrackedJob.objects.get()
    assert response["Location"] == reverse("core:tracked_job", kwargs={"pk": tracked.pk})
    queued = ProcrastinateJob.objects.get(task_name="meetings.plan")
    assert queued.status == "todo" and queued.args["tracked_id"] == str(tracked.pk)
    assert not data["sm"].meetings.exists()

    _work(queues=["default"])

    tracked.refresh_from_db()
    assert tracked.state == TrackedJob.State.DONE, tracked.error
    assert ProcrastinateJob.objects.get(pk=queued.pk).status == "succeeded"
    data["sm"].refresh_from_db()
    assert data["sm"].meetings.exists() and data["sm"].planning_job_id == tracked.pk
    page = client.get(response["Location"]).content.decode()
    assert "Traitement terminé." in page and "Planning calculé : " in page
