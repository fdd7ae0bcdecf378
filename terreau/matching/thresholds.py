"""The worker's copy of every item's best stored scores (terreau.matching.store's incremental updates).

An incremental update writes a pair (item, other) when it beats the PER_ITEM-th best stored score of the other
item (or the other has fewer stored pairs). Instead of one database lookup per candidate other item, the
worker keeps, for every need and every offer of the current generation, its PER_ITEM best stored scores
(exactly: all of them when it has fewer), in numpy arrays filled by the full rebuild from the pairs it wrote
(or read from the generation's rows when a worker starts), and kept up to date by the incremental updates
from the rows they delete (DELETE ... RETURNING) and insert:
    - a row inserted: its score enters both items' lists (the lowest drops out beyond PER_ITEM);
    - a row deleted: when its score is below the PER_ITEM-th of a full list, the list is unchanged; when the
      list was not full, the score leaves it; otherwise the list shrank and its next best is unknown here:
      the item is looked up in the database at its next use (then known again), or before, between changes
      (Thresholds.resolve, called by the job: a change meeting thousands of them would otherwise wait for
      those look-ups);
    - rows deleted elsewhere (a need, an offer or an organisation deleted: the ORM's cascade in a web
      process), or changes processed by another worker, or a failed transaction: everything is looked up in
      the database again (the copy is dropped), then reloaded by the next warm-up or rebuild.
So the rule for which pairs enter is exactly the database's. The copy belongs to one generation (build id)
and to the change log position it reflects; the jobs writing stored rows are serial ("matching.store").
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
from django.db import connection
from django.db.models import Sum

from terreau.matching.models import MatchingChange, MatchingPropagation, StoredSuggestion

FIELDS = ("need_id", "offer_id")
LOAD_CHUNK = 200_000  # rows fetched at a time when a worker reads a generation's scores
RESOLVE_AT_ONCE = 2700  # forgotten items looked up between two checks for a new change (3 queries of 900)


def top_per_key(keys: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct keys sorted, [n, k] best scores descending padded with -inf, how many of them)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros((0, k), dtype=np.float64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((-scores, keys))
    ks, ss = keys[order], scores[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    counts = np.diff(np.r_[starts, len(ks)])
    rank = np.arange(len(ks)) - np.repeat(starts, counts)
    row = np.repeat(np.arange(len(starts)), counts)
    keep = rank < k
    top = np.full((len(starts), k), -np.inf, dtype=np.float64)
    top[row[keep], rank[keep]] = ss[keep]
    return ks[starts].astype(np.int64), top, np.minimum(counts, k)


class _Side:
    """Best stored scores of the needs (or offers) of one generation, by item id."""

    def __init__(self, ids: np.ndarray, top: np.ndarray, count: np.ndarray, k: int):
        order = np.argsort(ids, kind="stable")
        self.k, self.ids, self.top, self.count = k, ids[order], top[order], count[order]
        self.loaded = True  # False: only the items looked up or rewritten since are known
        self.changed: dict[int, list[float]] = {}  # item id: its list since the load (descending)
        self.unknown: set[int] = set()  # items to look up in the database

    def get(self, item: int) -> list[float] | None:
        """The item's best stored scores (descending), None when unknown here."""
        if item in self.unknown:
            return None
        found = self.changed.get(item)
        if found is not None:
            return found
        if not self.loaded:
            return None
        i = int(np.searchsorted(self.ids, item))
        if i < len(self.ids) and self.ids[i] == item:
            return self.top[i, : self.count[i]].tolist()
        return []  # no stored pair at the load, none added since

    def add(self, item: int, score: float) -> None:
        scores = self.get(item)
        if scores is None:
            return
        scores = sorted([*scores, score], reverse=True)[: self.k]
        self.changed[item] = scores

    def remove(self, item: int, score: float) -> None:
        scores = self.get(item)
        if scores is None:
            return
        if len(scores) == self.k and score < scores[-1]:
            return  # below the best k: they are unchanged
        if len(scores) < self.k and score in scores:
            scores = list(scores)
            scores.remove(score)
            self.changed[item] = scores
            return
        self.forget(item)  # one of the best k left: the next best is in the database only

    def forget(self, item: int) -> None:
        self.changed.pop(item, None)
        self.unknown.add(item)

    def set(self, item: int, scores: Iterable[float]) -> None:
        self.unknown.discard(item)
        self.changed[item] = sorted(scores, reverse=True)[: self.k]


class Thresholds:
    """Best stored scores of every need and offer of a generation (see the module's docstring)."""

    def __init__(self, *, generation: int, k: int, needs: _Side, offers: _Side):
        self.generation, self.k = generation, k
        # What it reflects: processed changes (MatchingChange done) and rows written by follow-up propagation
        # blocks (MatchingPropagation.written); other counts mean another worker wrote rows since: stale.
        self.done = 0
        self.propagated = 0
        self.sides = {"need_id": needs, "offer_id": offers}

    @classmethod
    def from_rows(cls, *, generation: int, k: int, need_ids, offer_ids, scores) -> Thresholds:
        """From every row (need id, offer id, score) of the generation."""
        scores = np.asarray(scores, dtype=np.float64)
        sides = [
            _Side(*top_per_key(np.asarray(ids, dtype=np.int64), scores, k), k)
            for ids in (need_ids, offer_ids)
        ]
        return cls(generation=generation, k=k, needs=sides[0], offers=sides[1])

    @classmethod
    def from_slots(cls, *, generation: int, k: int, index, ns, os_, sc) -> Thresholds:
        """From the pairs a full rebuild wrote (item slots of its index, scores as written)."""
        scores = np.asarray(sc, dtype=np.float64)
        sides = []
        for slots, to_ids in ((ns, index.need_ids), (os_, index.offer_ids)):
            keys, top, count = top_per_key(np.asarray(slots, dtype=np.int64), scores, k)
            ids = np.array([int(x) for x in to_ids(keys)], dtype=np.int64)
            sides.append(_Side(ids, top, count, k))
        return cls(generation=generation, k=k, needs=sides[0], offers=sides[1])

    def complete(self) -> bool:
        """Whether every item's list was loaded (not forgotten since by forget_all)."""
        return all(side.loaded for side in self.sides.values())

    def forget_all(self) -> None:
        """Rows deleted elsewhere: every item is looked up in the database again (then known)."""
        for side in self.sides.values():
            side.loaded = False
            side.changed.clear()
            side.unknown.clear()

    def kth(self, field: str, ids: list[int]) -> dict[int, float]:
        """{item id: its k-th best stored score} (items with fewer absent), as incremental._kth_scores; unknown
        items are read from the database, then known."""
        side, k = self.sides[field], self.k
        found: dict[int, float] = {}
        rest = [item for item in ids if item in side.changed or item in side.unknown]
        if side.loaded and len(side.ids):
            # Items unchanged since the load: one vectorised look-up.
            wanted = np.asarray(ids, dtype=np.int64)
            at = np.minimum(np.searchsorted(side.ids, wanted), len(side.ids) - 1)
            full = (side.ids[at] == wanted) & (side.count[at] >= k)
            special = set(rest)
            for item, is_full, score in zip(ids, full.tolist(), side.top[at, k - 1].tolist(), strict=True):
                if is_full and item not in special:
                    found[item] = score
        elif not side.loaded:
            rest = list(ids)
        lists = {item: side.get(item) for item in rest}
        missing = sorted(item for item, scores in lists.items() if scores is None)
        if missing:
            for item, scores in top_scores(field, missing, generation=self.generation, k=k).items():
                side.set(item, scores)
                lists[item] = side.changed[item]
        found.update((item, scores[k - 1]) for item, scores in lists.items() if len(scores) >= k)
        return found

    def kth_array(self, field: str, ids: np.ndarray) -> np.ndarray:
        """kth() as an array aligned with `ids` (int64, repeats allowed): -inf where an item has fewer than k.
        Items unchanged since the load are looked up at once (at a million organisations an item has
        hundreds of thousands of candidates); only the others go through kth()."""
        side, k = self.sides[field], self.k
        bar = np.full(len(ids), -np.inf)
        special = np.ones(len(ids), dtype=np.bool_)
        if side.loaded and len(side.ids) and len(ids):
            at = np.minimum(np.searchsorted(side.ids, ids), len(side.ids) - 1)
            full = (side.ids[at] == ids) & (side.count[at] >= k)
            bar = np.where(full, side.top[at, k - 1], -np.inf)
            # Items changed or forgotten since the load: `changed` grows with every row written until the next
            # load, so the mask is built from whichever is smaller, it or the candidates.
            changed, unknown = side.changed, side.unknown
            if len(changed) + len(unknown) < len(ids):
                moved = [*changed, *unknown]
                special = np.isin(ids, np.array(moved, dtype=np.int64))
            else:
                special = np.fromiter(
                    (item in changed or item in unknown for item in ids.tolist()),
                    dtype=np.bool_,
                    count=len(ids),
                )
        rest = np.flatnonzero(special)
        if len(rest):
            wanted = ids[rest].tolist()
            found = self.kth(field, sorted(set(wanted)))
            bar[rest] = [found.get(item, -np.inf) for item in wanted]
        return bar

    def resolve(self, *, at_most: int | None = None) -> int:
        """Looks up in the database up to `at_most` of the items forgotten since (their full list lost a pair),
        so that the next change does not: the job calls it between changes. Returns how many stay unknown."""
        left = RESOLVE_AT_ONCE if at_most is None else at_most
        for field, side in self.sides.items():
            if left <= 0:
                break
            wanted = sorted(side.unknown)[:left]
            if wanted:
                for item, scores in top_scores(field, wanted, generation=self.generation, k=self.k).items():
                    side.set(item, scores)
                left -= len(wanted)
        return sum(len(side.unknown) for side in self.sides.values())

    def deleted(self, rows: Iterable[tuple[int, int, float]]) -> None:
        """Rows (need id, offer id, score) deleted from the generation."""
        for need, offer, score in rows:
            self.sides["need_id"].remove(need, score)
            self.sides["offer_id"].remove(offer, score)

    def inserted(self, rows: Iterable[tuple[int, int, float]]) -> None:
        for need, offer, score in rows:
            self.sides["need_id"].add(need, score)
            self.sides["offer_id"].add(offer, score)

    def replaced(self, item: int, rows: list[tuple[int, int, float]]) -> None:
        """Every row of the item was deleted and these written: its own lists are exactly known."""
        self.sides["need_id"].set(item, [s for n, _o, s in rows if n == item])
        self.sides["offer_id"].set(item, [s for _n, o, s in rows if o == item])


def top_scores(field: str, ids: list[int], *, generation: int, k: int) -> dict[int, list[float]]:
    """{item id: its k best stored scores, descending} of these needs (field "need_id") or offers; every id
    is in the result (an empty list without stored pairs)."""
    column = connection.ops.quote_name(StoredSuggestion._meta.get_field(field.removesuffix("_id")).column)
    table = connection.ops.quote_name(StoredSuggestion._meta.db_table)
    found: dict[int, list[float]] = {item: [] for item in ids}
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            values = ", ".join(["(%s)"] * len(chunk))
            if connection.vendor == "postgresql":  # one indexed scan of k rows per item
                sql = (  # names from the model's meta, values bound
                    f"WITH wanted(item) AS (VALUES {values}) SELECT wanted.item, s.score FROM wanted "  # noqa: S608
                    f"CROSS JOIN LATERAL (SELECT score FROM {table} WHERE generation = %s AND "
                    f"{column} = wanted.item ORDER BY score DESC LIMIT %s) s"
                )
                cursor.execute(sql, [*chunk, generation, k])
            else:
                marks = ", ".join(["%s"] * len(chunk))
                sql = (
                    f"SELECT item, score FROM (SELECT {column} AS item, score, ROW_NUMBER() OVER (PARTITION "  # noqa: S608
                    f"BY {column} ORDER BY score DESC) AS place FROM {table} WHERE generation = %s AND "
                    f"{column} IN ({marks})) ranked WHERE place <= %s"
                )
                cursor.execute(sql, [generation, *chunk, k])
            for item, score in cursor.fetchall():
                found[int(item)].append(float(score))
    return {item: sorted(scores, reverse=True) for item, scores in found.items()}


def load(*, generation: int, k: int) -> Thresholds:
    """Every item's best scores read from a generation's rows (a worker that did not build it)."""
    table = connection.ops.quote_name(StoredSuggestion._meta.db_table)
    parts: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT need_id, offer_id, score FROM {table} WHERE generation = %s", [generation])  # noqa: S608
        while rows := cursor.fetchmany(LOAD_CHUNK):
            parts.append(np.array(rows, dtype=np.float64))
    data = np.concatenate(parts) if parts else np.zeros((0, 3))
    return Thresholds.from_rows(
        generation=generation, k=k, need_ids=data[:, 0], offer_ids=data[:, 1], scores=data[:, 2]
    )


# The worker's copy: one per process, replaced whole.
_LOCK = threading.Lock()
_CURRENT: list[Thresholds | None] = [None]


def current(*, generation: int) -> Thresholds | None:
    """The worker's copy for this generation, None without one (or when processed changes were done by
    another process since: the copy is dropped)."""
    with _LOCK:
        found = _CURRENT[0]
    if found is None or found.generation != generation:
        return None
    if marks(generation=generation) != (found.done, found.propagated):
        drop()
        return None
    return found


def marks(*, generation: int) -> tuple[int, int]:
    """(processed changes, rows written by follow-up propagation blocks in the generation): what a copy
    reflects (see Thresholds.done)."""
    propagated = MatchingPropagation.objects.filter(generation=generation).aggregate(n=Sum("written"))["n"]
    return MatchingChange.objects.filter(done=True).count(), propagated or 0


def install(thresholds: Thresholds | None) -> None:
    with _LOCK:
        _CURRENT[0] = thresholds


def drop() -> None:
    install(None)
