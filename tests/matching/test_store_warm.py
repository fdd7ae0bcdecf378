"""The worker's index built ahead of the change jobs (matching.warm): at worker start and periodically."""

from __future__ import annotations

import pytest

from terreau.core.jobs import worker_started
from terreau.directory.models import Direction
from terreau.matching import indexing, store, tasks
from tests.factories import BranchFactory, NeedOfferFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(no_worker):
    branch = BranchFactory()
    giver, taker = OrganisationFactory(branch=branch), OrganisationFactory(branch=branch)
    NeedOfferFactory(
        organisation=giver, direction=Direction.OFFER, title="Prêt d'un minibus pour les sorties"
    )
    NeedOfferFactory(
        organisation=taker, direction=Direction.NEED, title="Un minibus pour les sorties du club"
    )
    store.rebuild_all()
    indexing.reset_worker_index()
    yield {"giver": giver, "taker": taker}
    indexing.reset_worker_index()


def test_nothing_is_warmed_before_the_first_build(no_worker):
    indexing.reset_worker_index()
    assert store.warm_worker_index() is False
    assert indexing._WORKER.index is None


def test_a_cold_worker_builds_its_index_once(built):
    assert store.warm_worker_index() is True
    index = indexing._WORKER.index
    assert index is not None and index.item_slots([str(built["taker"].pk)])[0]
    assert store.warm_worker_index() is False  # fresh: kept
    assert indexing._WORKER.index is index


def test_an_old_index_is_replaced_and_brought_up_to_date(built, monkeypatch):
    store.warm_worker_index()
    old = indexing._WORKER.index
    monkeypatch.setattr(
        indexing._WORKER, "built_at", indexing._WORKER.built_at - indexing.WORKER_INDEX_WARM_AGE - 1
    )
    late = NeedOfferFactory(organisation=built["giver"], direction=Direction.NEED, title="Des tablettes")
    assert store.warm_worker_index() is True
    index = indexing._WORKER.index
    assert index is not old
    need_slots, _offers = index.item_slots([str(built["giver"].pk)])
    assert str(late.pk) in index.need_ids(need_slots)


def test_an_index_older_than_the_current_build_is_replaced(built):
    store.warm_worker_index()
    store.rebuild_all()  # leaves its own index to this process, for the new build
    index = indexing._WORKER.index
    assert store.warm_worker_index() is False
    indexing._WORKER.build_id = 0  # as if built for an earlier build
    assert store.warm_worker_index() is True
    assert indexing._WORKER.index is not index


def test_a_starting_worker_queues_the_warm_up(built, django_capture_on_commit_callbacks):
    # Without a queue (SQLite) the job runs in this process once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        worker_started.send(sender=None)
    assert indexing._WORKER.index is not None


def test_the_warm_up_is_a_periodic_job_of_its_own():
    assert tasks.warm_index.name == "matching.warm"
    assert tasks.warm_index.queueing_lock == "matching.warm"


def test_rows_of_another_engine_version_are_rebuilt_at_once(
    built, monkeypatch, django_capture_on_commit_callbacks
):
    first = store.current_build()
    monkeypatch.setattr(store, "ENGINE_VERSION", first.engine_version + 1)
    with django_capture_on_commit_callbacks(execute=True):  # no queue (SQLite): the rebuild runs here
        tasks.warm_index.func()
    latest = store.current_build()
    assert latest.pk != first.pk and latest.engine_version == first.engine_version + 1
