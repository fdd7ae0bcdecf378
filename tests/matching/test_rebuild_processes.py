"""A full rebuild's pairs explained and written by forked processes (terreau.matching.rebuild_processes):
the same rows as one process writes, the parent's session (and its advisory lock) intact, a failed process
failing the rebuild without touching the current generation.

These tests commit (the children's connections see only committed tables): transactional database."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from terreau.matching import partitions, rebuild_processes, store
from terreau.matching.models import SuggestionBuild
from tests.matching.test_store import territory  # noqa: F401 (fixture)
from tests.matching.test_store_partitions import _dump, _reads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="forked writers only on PostgreSQL"),
]


def _lock_held() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid = %s",
            [partitions.REBUILD_LOCK],
        )
        return cursor.fetchone()[0] > 0


def test_forked_processes_write_the_same_rows_as_one(territory, no_worker, settings, monkeypatch):  # noqa: F811
    settings.TERREAU_REBUILD_PROCESSES = 1
    one = store.rebuild_all()
    rows, reads = _dump(one.pk), _reads(territory["orgs"])
    assert len(rows) >= 5  # three blocks or more below

    settings.TERREAU_REBUILD_PROCESSES = 2
    monkeypatch.setattr(store, "ROWS_PER_BLOCK", 2)  # blocks for each process
    forked = []
    real = rebuild_processes.write_blocks

    def spy(write_block, blocks, *, processes, progress=None):
        forked.append(processes)
        return real(write_block, blocks, processes=processes, progress=progress)

    monkeypatch.setattr(rebuild_processes, "write_blocks", spy)
    pid = connection.connection.info.backend_pid
    two = store.rebuild_all()
    assert forked == [2]
    assert _dump(two.pk) == rows
    assert _reads(territory["orgs"]) == reads
    assert connection.connection.info.backend_pid == pid  # the parent's session survived its children
    assert partitions.attached() == [two.pk]


def test_progress_counts_every_row_once(territory, no_worker, settings, monkeypatch):  # noqa: F811
    settings.TERREAU_REBUILD_PROCESSES = 2
    monkeypatch.setattr(store, "ROWS_PER_BLOCK", 2)
    seen = []
    build = store.rebuild_all(progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (build.pairs, build.pairs)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_a_failed_process_fails_the_rebuild_and_keeps_the_current_generation(
    territory,  # noqa: F811
    no_worker,
    settings,
    monkeypatch,
):
    settings.TERREAU_REBUILD_PROCESSES = 1
    first = store.rebuild_all()
    reads = _reads(territory["orgs"])
    settings.TERREAU_REBUILD_PROCESSES = 2
    monkeypatch.setattr(store, "ROWS_PER_BLOCK", 2)
    real_write = store._write_new

    parent = os.getpid()

    def write_or_die(rows, *args):
        if os.getpid() != parent:
            raise RuntimeError("killed")
        real_write(rows, *args)

    monkeypatch.setattr(store, "_write_new", write_or_die)
    with pytest.raises(RuntimeError, match="rebuild process failed"):
        store.rebuild_all()
    assert store.current_build() == first and partitions.attached() == [first.pk]
    assert SuggestionBuild.objects.exclude(pk=first.pk).get().finished_at is None
    assert _reads(territory["orgs"]) == reads
    assert not _lock_held()  # released by the failed rebuild's own session
    monkeypatch.setattr(store, "_write_new", real_write)
    third = store.rebuild_all()
    assert partitions.generations() == [third.pk] and _reads(territory["orgs"]) == reads


def test_one_process_inside_a_transaction(territory, no_worker, settings):  # noqa: F811
    from django.db import transaction

    settings.TERREAU_REBUILD_PROCESSES = 2
    with transaction.atomic():
        assert not rebuild_processes.can_fork(partitioned=True)
    assert rebuild_processes.can_fork(partitioned=True)
    assert not rebuild_processes.can_fork(partitioned=False)
