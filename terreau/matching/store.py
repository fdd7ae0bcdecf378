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

Incremental update (refresh_pending), for each changed need or offer
    - exact for the item itself: its rows are deleted and its PER_ITEM best pairs written again, scored by
      the worker's index (brought up to date with every logged change first);
    - its place in others' lists: a pair (item, other) is also written when it beats the PER_ITEM-th best
      stored pair of the other item (or the other has fewer), which is exactly "the pair is in the other's
      best PER_ITEM" since the stored rows of an item always contain its own best ones (the others' best
      scores are kept in the worker's memory, exactly: terreau.matching.thresholds);
    - not redone until the next full rebuild: a pair pushed out of another item's list by the new one stays
      stored (it is a real pair, scored, just beyond PER_ITEM), and when an item leaves another's list, that
      list is one short (the next best pair of the other item is not searched for);
    - scores are those of the worker's index, whose vocabulary (IDF weights of public texts) and freshness
      reference date are fixed when it is built: equal to a full rebuild's while these do not move (a
      private item, or words already known), close otherwise; the nightly rebuild realigns everything.
    A changed organisation (kind, place, themes) is all its needs and offers.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable, Iterable

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from terreau.matching import engine, indexing, partitions, rebuild_processes, thresholds
from terreau.matching import rows as stored_rows
from terreau.matching.models import MatchingChange, StoredSuggestion, SuggestionBuild
from terreau.matching.selection import ALLIANCE_MIN_SCORE

logger = logging.getLogger(__name__)

ENGINE_VERSION = 4  # raise when the engine's scores or reasons change meaning
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


def _top_per_item(keys: np.ndarray, sc: np.ndarray, k: int) -> np.ndarray:
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
    chosen[_top_per_item(ns, sc, PER_ITEM)] = True
    chosen[_top_per_item(os_, sc, PER_ITEM)] = True
    return engine.ScoredPairs(ns[chosen], os_[chosen], sc[chosen])


def _own_best(found: engine.ScoredPairs, *, by_need: bool) -> engine.ScoredPairs:
    """Of one need's (by_need) or one offer's scored pairs, exact (Index.pairs_for_items): its PER_ITEM best
    scoring at least STORE_MIN_SCORE, ordered by (need slot, offer slot), with the scores as the full rebuild
    has them (the engine's float32), so both write the same values."""
    ns, os_, sc = found
    keep = np.flatnonzero(sc >= STORE_MIN_SCORE)
    keep = keep[_top_per_item((ns if by_need else os_)[keep], sc[keep], PER_ITEM)]
    keep = keep[np.lexsort((os_[keep], ns[keep]))]
    return engine.ScoredPairs(ns[keep], os_[keep], sc[keep].astype(np.float32))


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


_existing, _insert = stored_rows.existing, stored_rows.insert  # one statement each on PostgreSQL


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
    copy.done = MatchingChange.objects.filter(done=True).count()  # after the pruning
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
        done = MatchingChange.objects.filter(done=True).count()
        copy = thresholds.load(generation=build.pk, k=PER_ITEM)
        copy.done = done
        thresholds.install(copy)
    return warmed


def record_change(*, organisation_id: int, need_offer_id: int | None = None, direction: str = "") -> None:
    """Logs a change to recompute (in the caller's transaction; the signals call it)."""
    MatchingChange.objects.create(
        organisation_id=organisation_id, need_offer_id=need_offer_id, direction=direction or ""
    )


def refresh_pending() -> int:
    """Recomputes the suggestions of the pending changes, a batch at a time in one transaction each (the
    changes stay locked meanwhile, so two workers never do the same one, and a failure leaves them pending
    for the retry); a full rebuild instead when nothing was ever built or when there are too many. Returns
    how many changes were handled."""
    build = current_build()
    pending = MatchingChange.objects.filter(done=False).count()
    done = 0
    if build is None or pending > REBUILD_ABOVE:
        build = rebuild_all()
        done = pending  # then the changes it may have missed, if any
    while True:
        try:
            handled = _refresh_batch(build)
        except BaseException:
            thresholds.drop()  # its updates may belong to a rolled back transaction
            raise
        if not handled:
            return done
        done += handled


def _refresh_batch(build: SuggestionBuild) -> int:
    """One batch of pending changes, in one transaction; returns how many (0: none was pending)."""
    with transaction.atomic():
        claimed = list(
            MatchingChange.objects.select_for_update(skip_locked=True)
            .filter(done=False)
            .order_by("id")
            .values_list("id", "organisation_id", "need_offer_id")[:500]
        )
        if not claimed:
            return 0
        copy = thresholds.current(generation=build.pk)
        if copy is not None and _deleted_elsewhere(claimed):
            copy.forget_all()  # rows removed by the ORM's cascade: the others' lists are not known here
        with indexing.worker_index(current_build_id=build.pk) as index:
            # The changes themselves are applied again: one committed late may be below the position.
            indexing.apply_changes(index, [(org, item) for _id, org, item in claimed])
            items: set[tuple[str, str, str]] = set()
            for _id, org_id, item_id in claimed:
                if item_id is None:
                    need_slots, offer_slots = index.item_slots([str(org_id)])
                    items.update((str(org_id), "need", n) for n in index.need_ids(need_slots))
                    items.update((str(org_id), "offer", o) for o in index.offer_ids(offer_slots))
                    if not need_slots and not offer_slots:
                        _forget_organisation(org_id, generation=build.pk, copy=copy)
                else:
                    items.add((str(org_id), "", str(item_id)))
            refresh_items(index, items, generation=build.pk, copy=copy)
        MatchingChange.objects.filter(id__in=[c[0] for c in claimed]).update(done=True)
        if copy is not None:
            copy.done += len(claimed)
    return len(claimed)


def _deleted_elsewhere(claimed: list[tuple[int, int, int | None]]) -> bool:
    """Whether a need, an offer or an organisation of these changes is deleted (its stored rows went with it,
    deleted by the ORM's cascade where it was deleted)."""
    from terreau.directory.models import NeedOffer, Organisation

    items = {item for _id, _org, item in claimed if item is not None}
    orgs = {org for _id, org, _item in claimed}
    return NeedOffer.objects.filter(pk__in=items).count() < len(items) or (
        Organisation.objects.filter(pk__in=orgs).count() < len(orgs)
    )


def _delete_returning(condition: str, value: int, *, generation: int) -> list[tuple[int, int, float]]:
    """Deletes the generation's rows where a column equals a value; returns their (need, offer, score)."""
    table = connection.ops.quote_name(StoredSuggestion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE generation = %s AND {connection.ops.quote_name(condition)} = %s "  # noqa: S608
            "RETURNING need_id, offer_id, score",
            [generation, value],
        )
        return cursor.fetchall()


def _forget_organisation(org_id: int, *, generation: int, copy: thresholds.Thresholds | None = None) -> None:
    """Gone, or nothing active left: none of its pairs stays."""
    for column in ("need_organisation_id", "offer_organisation_id"):
        deleted = _delete_returning(column, org_id, generation=generation)
        if copy is not None:
            copy.deleted(deleted)


def refresh_items(
    index: engine.Index,
    items: Iterable[tuple[str, str, str]],
    *,
    generation: int,
    copy: thresholds.Thresholds | None = None,
) -> None:
    """Replaces the stored pairs of these (organisation id, side or "", item id): see the module docstring.
    `copy`: the worker's copy of the best stored scores, used and kept up to date (None: the database)."""
    for org_id, side, item_id in sorted(items):
        need_slot = offer_slot = None
        if side in ("", "need"):
            need_slot = index.item_slot(org_id, "need", item_id)
        if side in ("", "offer") and need_slot is None:
            offer_slot = index.item_slot(org_id, "offer", item_id)
        rows: list[StoredSuggestion] = []
        if need_slot is not None or offer_slot is not None:
            by_need = need_slot is not None
            # Every pair of the item, scored once: its own best and its place in the others' lists.
            found = index.pairs_for_items([need_slot] if by_need else (), () if by_need else [offer_slot])
            own = _own_best(found, by_need=by_need)
            rows = rows_for(index, own, generation=generation)
            rows += _entering_others(index, found, own, by_need=by_need, generation=generation, copy=copy)
        with transaction.atomic():
            deleted = _delete_returning("need_id", int(item_id), generation=generation)
            deleted += _delete_returning("offer_id", int(item_id), generation=generation)
            written = _existing(rows)
            _insert(written)
        if copy is not None:
            copy.deleted(deleted)
            copy.inserted((r.need_id, r.offer_id, r.score) for r in written)
            copy.replaced(int(item_id), [(r.need_id, r.offer_id, r.score) for r in written])


def _entering_others(
    index: engine.Index,
    found: engine.ScoredPairs,
    own: engine.ScoredPairs,
    *,
    by_need: bool,
    generation: int,
    copy: thresholds.Thresholds | None = None,
) -> list[StoredSuggestion]:
    """Of one item's scored pairs (`found`), those beyond its own best (`own`) that enter the other item's
    best PER_ITEM."""
    ns, os_, sc = found
    if by_need:
        others, other_field, other_ids = os_, "offer_id", index.offer_ids
    else:
        others, other_field, other_ids = ns, "need_id", index.need_ids
    sc = sc.astype(np.float32)
    keep = np.flatnonzero(sc >= STORE_MIN_SCORE)
    # The item is the same in every pair: a pair is the item's own when its other side is (at a million
    # organisations an item may have hundreds of thousands of candidates: no Python loop over them).
    keep = keep[~np.isin(others[keep], own.offer if by_need else own.need)]
    if not len(keep):
        return []
    ids = [int(x) for x in other_ids(others[keep])]
    if copy is not None:
        kth = copy.kth(other_field, sorted(set(ids)))
    else:
        kth = _kth_scores(other_field, sorted(set(ids)), generation=generation)
    # Enters when the other has fewer than PER_ITEM stored pairs (absent: -inf) or a lower PER_ITEM-th score.
    bar = np.fromiter((kth.get(other, -np.inf) for other in ids), dtype=np.float64, count=len(ids))
    pick = keep[sc[keep] > bar]
    return rows_for(index, engine.ScoredPairs(ns[pick], os_[pick], sc[pick]), generation=generation)


def _kth_scores(field: str, ids: list[int], *, generation: int) -> dict[int, float]:
    """{item id: its PER_ITEM-th best stored score} of these needs (field "need_id") or offers ("offer_id");
    an item with fewer stored pairs is absent (the database's answer when the worker keeps no copy)."""
    best = thresholds.top_scores(field, ids, generation=generation, k=PER_ITEM)
    return {item: scores[PER_ITEM - 1] for item, scores in best.items() if len(scores) >= PER_ITEM}
