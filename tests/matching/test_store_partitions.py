"""Stored suggestions: a table per generation on PostgreSQL (terreau.matching.partitions), and the worker's
copy of every item's best stored scores (terreau.matching.thresholds) equal to the database's."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone

from terreau.directory.models import Direction, NeedOfferStatus
from terreau.matching import incremental, partitions, services, store, thresholds
from terreau.matching.models import MatchingChange, StoredSuggestion, SuggestionBuild
from tests.factories import NeedOfferFactory, UserFactory
from tests.matching.test_store import TEXTS, territory  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions by generation exist on PostgreSQL only"
)

COLUMNS = [c for c in store.COLUMNS if c not in ("generation", "computed_at")]


def _dump(generation: int) -> list[tuple]:
    return list(
        StoredSuggestion.objects.filter(generation=generation)
        .order_by("need_id", "offer_id")
        .values_list(*COLUMNS)
    )


def _reads(orgs) -> list:
    superuser = UserFactory(is_superuser=True)
    return [
        [
            (s.partner.pk, s.score, s.why, [(p.need.pk, p.offer.pk) for p in s.pairs])
            for s in services.suggestions_for(organisation=o, user=superuser)
        ]
        for o in orgs
    ]


@postgresql_only
def test_the_table_is_partitioned_and_a_rebuild_leaves_one_partition(territory, no_worker):  # noqa: F811
    assert partitions.partitioned()
    first = store.rebuild_all()
    reads = _reads(territory["orgs"])
    rows = _dump(first.pk)
    assert partitions.attached() == [first.pk] and partitions.generations() == [first.pk]
    second = store.rebuild_all()
    assert partitions.attached() == [second.pk] and partitions.generations() == [second.pk]
    assert list(SuggestionBuild.objects.all()) == [second]
    assert _dump(second.pk) == rows  # the same data: the same rows
    assert _reads(territory["orgs"]) == reads
    with connection.cursor() as cursor:  # partition pruning: the pages' query reads one partition
        table = StoredSuggestion._meta.db_table
        cursor.execute(f"EXPLAIN SELECT * FROM {table} WHERE generation = %s", [second.pk])  # noqa: S608
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert partitions.table_name(second.pk) in plan


@postgresql_only
def test_a_rebuild_that_dies_leaves_the_current_generation_and_the_next_one_cleans_up(
    territory,  # noqa: F811
    no_worker,
    monkeypatch,
):
    first = store.rebuild_all()
    reads = _reads(territory["orgs"])
    real_write = store._write_new
    calls = []

    def write_then_die(rows, *args):
        real_write(rows, *args)
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")

    monkeypatch.setattr(store, "ROWS_PER_BLOCK", 3)
    monkeypatch.setattr(store, "_write_new", write_then_die)
    with pytest.raises(RuntimeError):
        store.rebuild_all()
    orphan = SuggestionBuild.objects.exclude(pk=first.pk).get()
    assert orphan.finished_at is None
    assert partitions.generations() == sorted([first.pk, orphan.pk])  # the orphan table, not attached
    assert partitions.attached() == [first.pk]
    assert store.current_build() == first and _reads(territory["orgs"]) == reads
    monkeypatch.setattr(store, "_write_new", real_write)
    third = store.rebuild_all()
    assert partitions.generations() == [third.pk] and partitions.attached() == [third.pk]
    assert _reads(territory["orgs"]) == reads


@postgresql_only
def test_an_orphan_table_without_build_is_dropped(territory, no_worker):  # noqa: F811
    partitions.create(987654)
    assert 987654 in partitions.generations()
    build = store.rebuild_all()
    assert partitions.generations() == [build.pk]


def _edit(items, titles, *, one_by_one: bool = True):
    for item, title in zip(items, titles, strict=False):
        item.title = title
        item.save()  # the signals log the change (the job deferred after commit never runs in a test)
        if one_by_one:
            incremental.refresh_pending()
    incremental.refresh_pending()


def _assert_copy_equals_database(generation: int, *, complete: bool = True):
    copy = thresholds.current(generation=generation)
    assert copy is not None and copy.complete() == complete
    known = 0
    for field in thresholds.FIELDS:
        ids = sorted(
            set(StoredSuggestion.objects.filter(generation=generation).values_list(field, flat=True))
        )
        ids += [max(ids, default=0) + 1000]  # an item without stored pairs
        database = thresholds.top_scores(field, ids, generation=generation, k=store.PER_ITEM)
        for item in ids:
            scores = copy.sides[field].get(item)
            if scores is not None:
                known += 1
                assert scores == database[item], (field, item)
        kth = incremental._kth_scores(field, ids, generation=generation)
        assert copy.kth(field, ids) == kth
        repeated = np.array(ids + ids[:3], dtype=np.int64)  # an array with repeats, as candidates come
        assert copy.kth_array(field, repeated).tolist() == [kth.get(i, -np.inf) for i in repeated.tolist()]
    assert known or not complete


def test_the_workers_copy_of_the_best_scores_equals_the_database(
    territory,  # noqa: F811
    no_worker,
    monkeypatch,
):
    monkeypatch.setattr(store, "PER_ITEM", 2)  # lists fill up and shrink on this small territory
    old = timezone.now() - dt.timedelta(days=store.CHANGE_LOG_DAYS + 1)
    MatchingChange.objects.create(organisation_id=territory["orgs"][0].pk, at=old, done=True)  # pruned
    build = store.rebuild_all()
    _assert_copy_equals_database(build.pk)
    items = territory["items"]
    _edit(
        items,
        [
            "Prêt d'un minibus et de tablettes pour les ateliers",
            "Une salle pour les sorties des résidents",
            "Des tablettes pour l'aide aux devoirs",
            "Bénévoles pour des ateliers numériques",
            "Recherche une salle de réunion pour les bénévoles",
        ],
    )
    _assert_copy_equals_database(build.pk)
    extra = NeedOfferFactory(
        organisation=territory["orgs"][1],
        direction=Direction.OFFER,
        title="Dons de tablettes et prêt de salles pour des ateliers numériques",
        description="",
    )
    incremental.refresh_pending()
    _assert_copy_equals_database(build.pk)
    extra.status = NeedOfferStatus.WITHDRAWN
    extra.save()
    incremental.refresh_pending()
    _assert_copy_equals_database(build.pk)
    items[0].delete()  # the ORM's cascade deletes its rows here: the copy looks the others up again
    incremental.refresh_pending()
    _assert_copy_equals_database(build.pk, complete=False)
    store.warm_worker_index()  # the worker's warm-up reads the scores again
    _assert_copy_equals_database(build.pk)


def test_incremental_updates_with_the_copy_write_the_same_rows_as_with_the_database(
    territory,  # noqa: F811
    no_worker,
    monkeypatch,
):
    monkeypatch.setattr(store, "PER_ITEM", 2)
    build = store.rebuild_all()
    start = _dump(build.pk)
    last = MatchingChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    titles = [
        "Prêt d'un minibus et de tablettes",
        "Une salle pour les sorties",
        "Bénévoles pour les ateliers",
    ]
    _edit(territory["items"][:3], titles, one_by_one=False)  # one batch
    assert thresholds.current(generation=build.pk) is not None
    with_copy = _dump(build.pk)
    assert with_copy != start
    # The same batch again, from the same rows, looking the thresholds up in the database.
    StoredSuggestion.objects.filter(generation=build.pk).delete()
    StoredSuggestion.objects.bulk_create(
        StoredSuggestion(generation=build.pk, **dict(zip(COLUMNS, row, strict=True))) for row in start
    )
    thresholds.drop()
    monkeypatch.setattr(thresholds, "current", lambda **_kw: None)
    MatchingChange.objects.filter(id__gt=last).update(done=False)
    incremental.refresh_pending()
    assert _dump(build.pk) == with_copy


@postgresql_only
def test_a_rebuild_holds_the_lock_that_serialises_rebuilds(territory, no_worker):  # noqa: F811
    """A rebuild run by `terreau rebuild-suggestions` (no --queue) while the worker rebuilds must wait: each drops
    the other generations' tables when it starts. Another session cannot take the lock while a rebuild runs."""
    import psycopg

    taken_elsewhere: list[bool] = []

    def progress(**_figures) -> None:
        with psycopg.connect(**connection.get_connection_params()) as other:
            got = other.execute("SELECT pg_try_advisory_lock(%s)", [partitions.REBUILD_LOCK]).fetchone()[0]
            taken_elsewhere.append(got)

    store.rebuild_all(progress=progress)
    assert taken_elsewhere and not any(taken_elsewhere)
    with psycopg.connect(**connection.get_connection_params()) as other:  # released at the end
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [partitions.REBUILD_LOCK]).fetchone()[0]
