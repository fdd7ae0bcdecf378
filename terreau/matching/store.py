"""The stored suggestions: computed by the matching jobs (terreau.matching.tasks), read by the pages.

What is stored
    StoredSuggestion rows are scored (need, offer) pairs of two organisations. For every active need, its
    PER_ITEM best offers are kept, and for every active offer its PER_ITEM best needs (the union: a pair is
    stored once), when their engine score is at least STORE_MIN_SCORE: the lowest score that the learned
    adjustment (at most TYPE_FACTOR_RANGE's top, x1.3) can lift to ALLIANCE_MIN_SCORE, the threshold of
    everything shown. Each row keeps the engine's raw score and reasons (contract format); the viewer's
    visibility, dismissals and learned factors are applied when the rows are read (services).

Full rebuild (rebuild_all)
    Builds an index of everything (the worker keeps it for the incremental jobs), finds the best pairs of
    every need and offer (exactly, every pair sharing a term, up to engine.EXACT_LIMIT needs and offers;
    above, through the engine's champion lists, as `terreau match` does), then explains and writes them a
    block of ROWS_PER_BLOCK at a time (bounded memory) under a new generation.
    When all are written, the build is marked finished: readers switch to the new generation at once (one
    row), and the previous generation is deleted (on PostgreSQL each generation is a table of its own, written
    without indexes, indexed, then attached; the old one dropped: terreau.matching.partitions). Changes
    logged while it ran are queued again.

Incremental updates (terreau.matching.incremental)
    Each changed need or offer: its own best pairs again, exactly, and its place in the others' lists.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from terreau.matching import engine, indexing, partitions, rebuild_processes, thresholds
from terreau.matching import rows as stored_rows
from terreau.matching.models import MatchingChange, MatchingPropagation, StoredSuggestion, SuggestionBuild
from terreau.matching.selection import ALLIANCE_MIN_SCORE

logger = logging.getLogger(__name__)

ENGINE_VERSION = 7  # raise when the engine's scores or reasons change meaning
PER_ITEM = 10  # best pairs kept per need and per offer (a page lists 10 partners)
MAX_LEARNED_FACTOR = 1.3  # services.TYPE_FACTOR_RANGE's top (partner factors only lower a score)
STORE_MIN_SCORE = max(engine.MIN_PAIR_SCORE, ALLIANCE_MIN_SCORE / MAX_LEARNED_FACTOR)
ROWS_PER_BLOCK = 20_000  # pairs explained and written together by the full rebuild (bounded memory)
DELETE_RANGE = 50_000  # ids per DELETE of an old generation
REBUILD_ABOVE = 2000  # more pending changes than this: a full rebuild is faster than one by one
CHANGE_LOG_DAYS = 1  # processed changes older than this are pruned by the full rebuild


def current_build() -> SuggestionBuild | None:
    """The build whose rows the pages read (the last finished one), None before the first."""
    return SuggestionBuild.objects.filter(finished_at__isnull=False).order_by("-finished_at", "-pk").first()


# --- rows from the engine ----------------------------------------------------------------------------


def top_per_item(keys: np.ndarray, sc: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores of each key (ties by position)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(sc)), -sc, keys))
    ks = keys[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    rank = np.arange(len(ks)) - np.repeat(starts, np.diff(np.r_[starts, len(ks)]))
    return order[rank < k]


def _union_top(ns: np.ndarray, os_: np.ndarray, sc: np.ndarray) -> engine.ScoredPairs:
    """Of scored pairs, each once and ordered by (need slot, offer slot) as Index.best_pairs gives them: each
    need's PER_ITEM best and each offer's PER_ITEM best scoring at least STORE_MIN_SCORE, in the same order.

    Both sides' best are marked in one boolean mask: no union of positions nor sort again (at a million
    organisations these took 3 GB of 8-byte arrays)."""
    keep = np.flatnonzero(sc >= STORE_MIN_SCORE)
    ns, os_, sc = ns[keep], os_[keep], sc[keep]
    del keep
    chosen = np.zeros(len(ns), dtype=np.bool_)
    chosen[top_per_item(ns, sc, PER_ITEM)] = True
    chosen[top_per_item(os_, sc, PER_ITEM)] = True
    return engine.ScoredPairs(ns[chosen], os_[chosen], sc[chosen])


# Columns of a stored row, in the order of _row_values()'s tuples (and of the rebuild's COPY).
COLUMNS = stored_rows.COLUMNS


def _numeric_ids(index: engine.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The index's need, offer and organisation ids (database keys) as integer arrays, read by slot.

    Computed by the rebuild before it forks its writers: they then never read the millions of id strings
    (reading an object writes its reference count, which copies the page holding it into the writer)."""
    return (
        np.array(index.needs.ids, dtype=np.int64),
        np.array(index.offers.ids, dtype=np.int64),
        np.array(index.org_ids, dtype=np.int64),
    )


def _row_values(
    index: engine.Index,
    pairs: engine.ScoredPairs,
    *,
    generation: int,
    ids: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> list[tuple]:
    """The values of the stored rows of scored pairs (COLUMNS order), with their details and reasons.
    `ids`: _numeric_ids(index), when the caller has them."""
    ns, os_, sc = pairs
    if not len(ns):
        return []
    details = index.pair_details(ns, os_, with_ids=ids is None)
    if ids is None:
        keys = [details.need_id, details.offer_id, details.need_org, details.offer_org]
    else:
        need_ids, offer_ids, org_ids = ids
        keys = [
            need_ids[ns].tolist(),
            offer_ids[os_].tolist(),
            org_ids[index.needs.org.a[ns]].tolist(),
            org_ids[index.offers.org.a[os_]].tolist(),
        ]
    whys = index.explain_many(ns, os_)
    now = timezone.now()
    return [
        (generation, int(need), int(offer), int(need_org), int(offer_org), score, why, need_type or "")
        + (offer_type or "", None if km is None else round(km, 3), remote, ENGINE_VERSION, now)
        for need, offer, need_org, offer_org, score, why, need_type, offer_type, km, remote in zip(
            *keys,
            np.asarray(sc, dtype=np.float64).tolist(),
            whys,
            details.need_type,
            details.offer_type,
            details.distance_km,
            details.remote,
            strict=True,
        )
    ]


def rows_for(index: engine.Index, pairs: engine.ScoredPairs, *, generation: int) -> list[StoredSuggestion]:
    """StoredSuggestion objects (not saved) for scored pairs, with their details and reasons."""
    return [
        StoredSuggestion(**dict(zip(COLUMNS, v, strict=True)))
        for v in _row_values(index, pairs, generation=generation)
    ]


_insert = stored_rows.insert  # one statement per batch on PostgreSQL


def _write_new(rows: list[tuple], table: str | None = None) -> None:
    """Rows (_row_values) of a generation nobody else writes yet (the rebuild's): COPY on PostgreSQL (into
    the generation's own table when partitioned), else batches."""
    if connection.vendor != "postgresql":
        _insert([StoredSuggestion(**dict(zip(COLUMNS, v, strict=True))) for v in rows])
        return
    reasons = COLUMNS.index("reasons")
    columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    dumps = json.dumps
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(table or StoredSuggestion._meta.db_table)} ({columns}) FROM STDIN"
        ) as copy,
    ):
        write = copy.write_row
        for v in rows:
            write(v[:reasons] + (dumps(v[reasons]),) + v[reasons + 1 :])


def _delete_generation(generation: int) -> None:
    """Deletes a generation's rows: its table dropped when partitioned (PostgreSQL), else by ranges of ids (a
    rebuild writes its rows with consecutive ids), then whatever is left (rows a job added later): one
    indexed DELETE per range, no id list round trip."""
    if partitions.partitioned():
        partitions.drop(generation)
        return
    rows = StoredSuggestion.objects.filter(generation=generation)
    bounds = rows.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is not None:
        for lo in range(bounds["lo"], bounds["hi"] + 1, DELETE_RANGE):
            rows.filter(pk__gte=lo, pk__lt=lo + DELETE_RANGE).delete()
    rows.delete()


def _write_block(
    b: int, *, index: engine.Index, pairs: engine.ScoredPairs, generation: int, target, ids
) -> int:
    """Explains and writes the b-th block of ROWS_PER_BLOCK pairs of a rebuild; returns its row count."""
    block = slice(b * ROWS_PER_BLOCK, (b + 1) * ROWS_PER_BLOCK)
    block_pairs = engine.ScoredPairs(pairs.need[block], pairs.offer[block], pairs.score[block])
    _write_new(_row_values(index, block_pairs, generation=generation, ids=ids), target)
    return len(block_pairs.need)


# --- full rebuild ------------------------------------------------------------------------------------


@partitions.serialised
def rebuild_all(*, progress: Callable[..., None] | None = None) -> SuggestionBuild:
    """Computes every suggestion again under a new generation, then swaps it in (see the module's docstring)."""
    partitioned = partitions.partitioned()
    if partitioned:  # tables of builds interrupted before they finished (none but the current one is read)
        current = current_build()
        partitions.drop_others({current.pk} if current is not None else set())
    build = SuggestionBuild.objects.create(engine_version=ENGINE_VERSION)
    target = partitions.create(build.pk) if partitioned else None
    position = indexing.last_change_id()  # every change up to here is in the data read now...
    # ...except those not committed yet (a change becomes visible when its transaction commits): the recent
    # ones seen now are known, any other one at or below the position was committed later.
    seen = set(
        MatchingChange.objects.filter(
            at__gte=timezone.now() - dt.timedelta(seconds=indexing.LATE_COMMIT_SECONDS)
        ).values_list("id", flat=True)
    )
    index = indexing.build_index()
    org_ids = index.org_ids_alive()
    need_slots, offer_slots = index.item_slots(org_ids)
    # Exact on small data; at scale each item's best pairs come from the engine's champion lists.
    per_item = None if len(need_slots) + len(offer_slots) <= engine.EXACT_LIMIT else 2 * PER_ITEM
    ns, os_, sc = _union_top(*index.best_pairs(pairs_per_item=per_item))

    pairs = len(ns)
    index.prepare_explain()
    processes = (
        rebuild_processes.processes_wanted() if rebuild_processes.can_fork(partitioned=partitioned) else 1
    )
    written = rebuild_processes.write_blocks(
        functools.partial(
            _write_block,
            index=index,
            pairs=engine.ScoredPairs(ns, os_, sc),
            generation=build.pk,
            target=target,
            ids=_numeric_ids(index),
        ),
        -(-pairs // ROWS_PER_BLOCK),
        processes=processes,
        progress=None if progress is None else lambda done: progress(done=done, total=pairs),
    )
    if written != pairs:  # a block lost would leave items without their suggestions until the next rebuild
        raise RuntimeError(f"{written} rows written of {pairs} pairs")
    copy = thresholds.Thresholds.from_slots(
        generation=build.pk, k=PER_ITEM, index=index, ns=ns, os_=os_, sc=sc
    )
    del ns, os_, sc
    if partitioned:
        partitions.index(build.pk)  # the parent's constraints and indexes, built once on the full table
    with transaction.atomic():
        if partitioned:
            partitions.attach(build.pk)  # no validation scan (CHECK constraint); readers switch below
        build.finished_at = timezone.now()
        build.organisations = len(org_ids)
        build.pairs = pairs  # each pair once (best_pairs, _union_top): as many rows
        build.save(update_fields=["finished_at", "organisations", "pairs"])
        # Changes this build may have missed (logged after it read the data, or committed late) are done again
        # on the new generation, even if a job processed them into the previous one; the others are in it.
        recent = MatchingChange.objects.filter(
            id__lte=position, at__gte=build.started_at - dt.timedelta(seconds=indexing.LATE_COMMIT_SECONDS)
        ).values_list("id", flat=True)
        late = Q(id__gt=position) | Q(id__in=sorted(set(recent) - seen))
        MatchingChange.objects.filter(late, done=True).update(done=False)
        MatchingChange.objects.filter(~late, done=False).update(done=True)
    indexing.set_worker_index(index, position=position, build_id=build.pk)
    # Older generations (the one replaced, and any build interrupted before it finished) are deleted.
    for old in SuggestionBuild.objects.exclude(pk=build.pk).filter(started_at__lte=build.started_at):
        _delete_generation(old.pk)
        old.delete()
    if partitioned:
        partitions.drop_others({build.pk})  # tables left by builds whose row is gone
    MatchingChange.objects.filter(
        done=True, id__lte=position, at__lt=timezone.now() - dt.timedelta(days=CHANGE_LOG_DAYS)
    ).delete()
    # Entries still to propagate into the previous generation's lists: this build computed them all.
    MatchingPropagation.objects.exclude(generation=build.pk).delete()
    copy.done, copy.propagated = thresholds.marks(generation=build.pk)  # after the pruning
    thresholds.install(copy)
    logger.info("Suggestions rebuilt: %s organisations, %s pairs", len(org_ids), pairs)
    return build


# --- incremental updates -----------------------------------------------------------------------------


def warm_worker_index() -> bool:
    """The worker's index built ahead of the change jobs (matching.warm); nothing before the first build
    (the first change starts a full rebuild, which leaves its index to the worker)."""
    build = current_build()
    if build is None:
        return False
    warmed = indexing.warm_worker_index(current_build_id=build.pk)
    copy = thresholds.current(generation=build.pk)
    if copy is None or not copy.complete():
        done = thresholds.marks(generation=build.pk)
        copy = thresholds.load(generation=build.pk, k=PER_ITEM)
        copy.done, copy.propagated = done
        thresholds.install(copy)
    return warmed


def record_change(*, organisation_id: int, need_offer_id: int | None = None, direction: str = "") -> None:
    """Logs a change to recompute (in the caller's transaction; the signals call it)."""
    MatchingChange.objects.create(
        organisation_id=organisation_id, need_offer_id=need_offer_id, direction=direction or ""
    )
