"""The cron commands' work is also done by periodic jobs, which `terreau worker` starts by itself."""

from __future__ import annotations

import croniter
import pytest
from procrastinate.contrib.django import app

PERIODIC = {
    "core.retry_stalled_jobs",
    "core.prune_finished_jobs",
    "events.send_reminders",
    "partnerships.expire_contact_requests",
    "activities.enforce_retention",
    "activities.rebuild_dashboard_stats",
}


def _periodic():
    return {p.task.name: p for p in app.periodic_registry.periodic_tasks.values()}


def test_every_daily_command_has_its_periodic_job():
    periodic = _periodic()
    assert set(periodic) >= PERIODIC
    for name in PERIODIC:
        assert croniter.croniter.is_valid(periodic[name].cron), name
        # One waiting job per periodic task: a worker that was down does not pile them up.
        assert periodic[name].task.queueing_lock == name


@pytest.mark.parametrize(
    ("name", "service"),
    [
        ("events.send_reminders", "terreau.events.services.send_reminders"),
        ("partnerships.expire_contact_requests", "terreau.partnerships.services.contact_requests_expire"),
        ("activities.enforce_retention", "terreau.activities.participants.enforce_retention"),
        ("activities.rebuild_dashboard_stats", "terreau.activities.stats.rebuild"),
    ],
)
def test_periodic_job_runs_the_service_of_its_command(monkeypatch, name, service):
    calls = []
    module, _, attribute = service.rpartition(".")
    monkeypatch.setattr(f"{module}.{attribute}", lambda: calls.append(name) or 0)
    # Procrastinate passes the scheduled time to periodic jobs.
    app.tasks[name](timestamp=0)
    assert calls == [name]


@pytest.mark.django_db
def test_periodic_jobs_run_on_an_empty_database():
    for name in PERIODIC - {"core.retry_stalled_jobs", "core.prune_finished_jobs"}:
        app.tasks[name](timestamp=0)


def test_jobs_writing_the_stored_suggestions_never_run_at_once():
    # A first change on a new database starts a full build through matching.refresh, and
    # `terreau rebuild-suggestions --queue` another: Procrastinate runs jobs sharing a lock one at a time.
    refresh, rebuild = app.tasks["matching.refresh"], app.tasks["matching.rebuild"]
    assert refresh.lock == rebuild.lock == "matching.store"
    assert refresh.queueing_lock == "matching.refresh"
