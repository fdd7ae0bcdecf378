"""Incremental updates of the stored suggestions (terreau.matching.store): the matching.refresh job.

For each changed need or offer
    - exact for the item itself: its rows are deleted and its PER_ITEM best pairs written again, scored by
      the worker's index (brought up to date with every logged change first);
    - its place in others' lists: a pair (item, other) is also written when it beats the PER_ITEM-th best
      stored pair of the other item (or the other has fewer), which is exactly "the pair is in the other's
      best PER_ITEM" since the stored rows of an item always contain its own best ones (the others' best
      scores are kept in the worker's memory, exactly: terreau.matching.thresholds). The ENTRIES_AT_ONCE best
      of these entries are written with the change; a text that enters more lists (at a million
      organisations, up to tens of thousands: 150 µs each) leaves a MatchingPropagation, whose rest the same
      job writes afterwards, PROPAGATE_ROWS at a time, each block in its own transaction, recomputed against
      the lists as they are then, between the changes that keep arriving (a change waits for one block at
      most, never for a whole propagation);
    - not redone until the next full rebuild: a pair pushed out of another item's list by the new one stays
      stored (it is a real pair, scored, just beyond PER_ITEM), and when an item leaves another's list, that
      list is one short (the next best pair of the other item is not searched for);
    - scores are those of the worker's index, whose vocabulary (IDF weights of public texts) and freshness
      reference date are fixed when it is built: equal to a full rebuild's while these do not move (a
      private item, or words already known), close otherwise; the nightly rebuild realigns everything.
A changed organisation (kind, place, themes) is all its needs and offers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from django.db import connection, transaction

from terreau.matching import engine, indexing, store, thresholds
from terreau.matching import rows as stored_rows
from terreau.matching.models import MatchingChange, MatchingPropagation, StoredSuggestion, SuggestionBuild

ENTRIES_AT_ONCE = 1000  # best entries in others' lists written with the change itself (about 0.15 s)
PROPAGATE_ROWS = 2500  # rows per follow-up block of a propagation (one transaction, about 0.4 s)

_existing, _insert = stored_rows.existing, stored_rows.insert  # one statement each on PostgreSQL


def refresh_pending(*, propagate: bool = True) -> int:
    """Recomputes the suggestions of the pending changes, a batch at a time in one transaction each (the
    changes stay locked meanwhile, so two workers never do the same one, and a failure leaves them pending
    for the retry); a full rebuild instead when nothing was ever built or when there are too many. Then,
    with `propagate`, the pending propagations a block at a time, the changes logged meanwhile first. Returns
    how many changes were handled."""
    build = store.current_build()
    pending = MatchingChange.objects.filter(done=False).count()
    done = 0
    if build is None or pending > store.REBUILD_ABOVE:
        build = store.rebuild_all()
        done = pending  # then the changes it may have missed, if any
    while True:
        try:
            handled = _refresh_batch(build)
            more = bool(handled) or (propagate and propagate_next(build=build) is not None)
        except BaseException:
            thresholds.drop()  # its updates may belong to a rolled back transaction
            raise
        if not more:
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


def _item_pairs(
    index: engine.Index,
    org_id: str,
    side: str,
    item_id: str,
    *,
    generation: int,
    copy: thresholds.Thresholds | None,
) -> tuple[bool, engine.ScoredPairs, engine.ScoredPairs] | None:
    """(whether the item is a need, its own best pairs, its entries in others' lists best first) of an item
    (side "need", "offer" or "": either) as the worker's index scores it now; None when the index does not
    know it (deleted, closed, organisation gone)."""
    need_slot = offer_slot = None
    if side in ("", "need"):
        need_slot = index.item_slot(org_id, "need", item_id)
    if side in ("", "offer") and need_slot is None:
        offer_slot = index.item_slot(org_id, "offer", item_id)
    if need_slot is None and offer_slot is None:
        return None
    by_need = need_slot is not None
    # Every pair of the item, scored once: its own best and its place in the others' lists.
    found = index.pairs_for_items([need_slot] if by_need else (), () if by_need else [offer_slot])
    own = _own_best(found, by_need=by_need)
    return (
        by_need,
        own,
        _entering_others(index, found, own, by_need=by_need, generation=generation, copy=copy),
    )


def _head(pairs: engine.ScoredPairs, n: int) -> engine.ScoredPairs:
    return engine.ScoredPairs(pairs.need[:n], pairs.offer[:n], pairs.score[:n])


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
        rows: list[StoredSuggestion] = []
        entering = 0
        found = _item_pairs(index, org_id, side, item_id, generation=generation, copy=copy)
        if found is not None:
            _by_need, own, others = found
            entering = len(others.need)
            rows = store.rows_for(index, own, generation=generation)
            rows += store.rows_for(index, _head(others, ENTRIES_AT_ONCE), generation=generation)
        with transaction.atomic():
            deleted = _delete_returning("need_id", int(item_id), generation=generation)
            deleted += _delete_returning("offer_id", int(item_id), generation=generation)
            written = _existing(rows)
            _insert(written)
            # An earlier propagation of the item is moot (its rows are gone); the rest of this one, if any.
            MatchingPropagation.objects.filter(
                generation=generation, done=False, need_offer_id=int(item_id)
            ).update(done=True)
            if entering > ENTRIES_AT_ONCE:
                MatchingPropagation.objects.create(
                    generation=generation, need_offer_id=int(item_id), organisation_id=int(org_id)
                )
        if copy is not None:
            copy.deleted(deleted)
            copy.inserted((r.need_id, r.offer_id, r.score) for r in written)
            copy.replaced(int(item_id), [(r.need_id, r.offer_id, r.score) for r in written])


def propagate_next(*, build: SuggestionBuild, block_done: Callable[[int], None] | None = None) -> int | None:
    """Goes on with the oldest pending propagation of the build's generation; returns the rows written, None
    when none is pending. First, the worker's copy of the thresholds looks up the items it forgot (until none
    is left or a change is logged).

    The item's entries are computed against the others' lists as they are now, less the pairs already stored
    (by an interrupted run or the change itself: never written twice, and the worker's copy of the thresholds
    counts each row once), then written PROPAGATE_ROWS at a time, each block in its own transaction, until all
    are or a change is logged: the change goes first, the rest is computed again afterwards. While no change
    comes, nothing else writes the generation (the jobs are serial): the entries computed once stay exact.
    `block_done(rows)` is called after each block (the bench times them)."""
    generation = build.pk
    copy = thresholds.current(generation=generation)
    # Items forgotten by the changes handled so far are looked up now, not by the next change.
    while copy is not None and copy.resolve() and not MatchingChange.objects.filter(done=False).exists():
        pass
    with indexing.worker_index(current_build_id=generation) as index:
        marker = MatchingPropagation.objects.filter(generation=generation, done=False).order_by("id").first()
        if marker is None:
            return None
        found = _item_pairs(
            index,
            str(marker.organisation_id),
            "",
            str(marker.need_offer_id),
            generation=generation,
            copy=copy,
        )
        entries = None
        if found is not None:  # gone since (deleted, closed): closed below, nothing written
            by_need, _own, others = found
            entries = _not_stored(
                index, others, by_need=by_need, item_id=marker.need_offer_id, generation=generation
            )
        total = start = 0
        while True:
            with transaction.atomic():
                locked = (
                    MatchingPropagation.objects.select_for_update(skip_locked=True)
                    .filter(pk=marker.pk, done=False)
                    .first()
                )
                if locked is None:  # closed by a change of its item meanwhile
                    return total
                written: list[StoredSuggestion] = []
                if entries is not None:
                    block = engine.ScoredPairs(*(a[start : start + PROPAGATE_ROWS] for a in entries))
                    written = _existing(store.rows_for(index, block, generation=generation))
                    _insert(written)
                start += PROPAGATE_ROWS
                locked.written += len(written)
                locked.done = entries is None or start >= len(entries.need)
                locked.save(update_fields=["written", "done"])
            if copy is not None:
                copy.inserted((r.need_id, r.offer_id, r.score) for r in written)
                copy.propagated += len(written)
            total += len(written)
            if block_done is not None:
                block_done(len(written))
            if locked.done or MatchingChange.objects.filter(done=False).exists():
                return total


def _not_stored(
    index: engine.Index, pairs: engine.ScoredPairs, *, by_need: bool, item_id: int, generation: int
) -> engine.ScoredPairs:
    """The item's pairs whose other side is not stored with it in the generation yet."""
    if by_need:
        stored = StoredSuggestion.objects.filter(generation=generation, need_id=item_id).values_list(
            "offer_id"
        )
        others = np.array(index.offer_ids(pairs.offer), dtype=np.int64)
    else:
        stored = StoredSuggestion.objects.filter(generation=generation, offer_id=item_id).values_list(
            "need_id"
        )
        others = np.array(index.need_ids(pairs.need), dtype=np.int64)
    keep = ~np.isin(others, np.array([pk for (pk,) in stored], dtype=np.int64))
    return engine.ScoredPairs(pairs.need[keep], pairs.offer[keep], pairs.score[keep])


def _own_best(found: engine.ScoredPairs, *, by_need: bool) -> engine.ScoredPairs:
    """Of one need's (by_need) or one offer's scored pairs, exact (Index.pairs_for_items): its PER_ITEM best
    scoring at least STORE_MIN_SCORE, ordered by (need slot, offer slot), with the scores as the full rebuild
    has them (the engine's float32), so both write the same values."""
    ns, os_, sc = found
    keep = np.flatnonzero(sc >= store.STORE_MIN_SCORE)
    keep = keep[store.top_per_item((ns if by_need else os_)[keep], sc[keep], store.PER_ITEM)]
    keep = keep[np.lexsort((os_[keep], ns[keep]))]
    return engine.ScoredPairs(ns[keep], os_[keep], sc[keep].astype(np.float32))


def _entering_others(
    index: engine.Index,
    found: engine.ScoredPairs,
    own: engine.ScoredPairs,
    *,
    by_need: bool,
    generation: int,
    copy: thresholds.Thresholds | None = None,
) -> engine.ScoredPairs:
    """Of one item's scored pairs (`found`), those beyond its own best (`own`) that enter the other item's
    best PER_ITEM, best first (ties: by the other's slot)."""
    ns, os_, sc = found
    if by_need:
        others, other_field, other_ids = os_, "offer_id", index.offer_ids
    else:
        others, other_field, other_ids = ns, "need_id", index.need_ids
    sc = sc.astype(np.float32)
    keep = np.flatnonzero(sc >= store.STORE_MIN_SCORE)
    # The item is the same in every pair: a pair is the item's own when its other side is (at a million
    # organisations an item may have hundreds of thousands of candidates: no Python loop over them).
    keep = keep[~np.isin(others[keep], own.offer if by_need else own.need)]
    if not len(keep):
        return engine.ScoredPairs(ns[keep], os_[keep], sc[keep])
    ids = np.array(other_ids(others[keep]), dtype=np.int64)
    # Enters when the other has fewer than PER_ITEM stored pairs (-inf) or a lower PER_ITEM-th score.
    if copy is not None:
        bar = copy.kth_array(other_field, ids)
    else:
        kth = _kth_scores(other_field, sorted(set(ids.tolist())), generation=generation)
        bar = np.array([kth.get(other, -np.inf) for other in ids.tolist()], dtype=np.float64)
    pick = keep[sc[keep] > bar]
    pick = pick[np.lexsort((others[pick], -sc[pick]))]
    return engine.ScoredPairs(ns[pick], os_[pick], sc[pick])


def _kth_scores(field: str, ids: list[int], *, generation: int) -> dict[int, float]:
    """{item id: its PER_ITEM-th best stored score} of these needs (field "need_id") or offers ("offer_id");
    an item with fewer stored pairs is absent (the database's answer when the worker keeps no copy)."""
    best = thresholds.top_scores(field, ids, generation=generation, k=store.PER_ITEM)
    return {
        item: scores[store.PER_ITEM - 1] for item, scores in best.items() if len(scores) >= store.PER_ITEM
    }
