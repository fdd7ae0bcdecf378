"""Matching tests: each starts with a cold worker index, and (unless marked `no_worker`) the matching jobs
run before the pages and services read the stored suggestions, as a worker would have done (a test asking
for the `no_worker` fixture runs the jobs itself).

Tests run in a rolled-back transaction, where jobs deferred after commit never run: the changes the signals
logged (MatchingChange) are processed by incremental.refresh_pending() right before each read instead — the
real job's code, on the test's data (the first time, with nothing built yet, it is a full rebuild)."""

from __future__ import annotations

import functools

import pytest

from terreau.matching import incremental, indexing, services


@pytest.fixture(autouse=True)
def _cold_worker_index():
    indexing.reset_worker_index()
    yield
    indexing.reset_worker_index()


def _after_jobs(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        incremental.refresh_pending()
        return func(*args, **kwargs)

    return wrapper


@pytest.fixture
def no_worker():
    """The test runs the matching jobs itself."""


@pytest.fixture(autouse=True)
def _worker_runs_before_reads(request, monkeypatch):
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if "no_worker" in request.fixturenames or not uses_db:
        yield
        return
    monkeypatch.setattr(services, "suggestions_for", _after_jobs(services.suggestions_for))
    monkeypatch.setattr(services, "territory_overview", _after_jobs(services.territory_overview))
    yield
