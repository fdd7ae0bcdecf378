"""Candidate generation: the pairs sharing a term (exact), or the best pairs per item at scale (champion
lists blocked by type compatibility, computed chunk by chunk on threads)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from .records import ScoredPairs
from .storage import Side
from .tables import AREA_PROXIMITY, MIN_PAIR_SCORE, QUERY_TERMS


class CandidatesMixin:
    """Index methods that find and score the candidate pairs of items."""

    def _products(self, query: Side, target: Side, q_slots: list[int]):
        """(query slot, target slot, cosine) for every target row sharing a term with the query rows."""
        n_cols = len(self.vocabulary.terms)
        target.fit_columns(n_cols)
        q = query.rows(q_slots, n_cols)
        q_slots_arr = np.asarray(q_slots, dtype=np.int64)
        out_q, out_t, out_c = [], [], []
        if target.n_main:
            res = (q @ target.main_t).tocsr()
            rows = np.repeat(np.arange(res.shape[0]), np.diff(res.indptr))
            out_q.append(q_slots_arr[rows])
            out_t.append(res.indices.astype(np.int64))
            out_c.append(res.data)
        if target.delta:
            slots, dm = target.delta_matrix(n_cols)
            res = (q @ dm).tocsr()
            rows = np.repeat(np.arange(res.shape[0]), np.diff(res.indptr))
            out_q.append(q_slots_arr[rows])
            out_t.append(slots[res.indices])
            out_c.append(res.data)
        if not out_q:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(0, dtype=np.float32)
        qs, ts, cs = np.concatenate(out_q), np.concatenate(out_t), np.concatenate(out_c)
        keep = target.alive.a[ts] & (cs > 0)
        return qs[keep], ts[keep], cs[keep]

    def pairs_for_items(
        self, need_slots: Sequence[int] = (), offer_slots: Sequence[int] = (), *, distinct: bool = False
    ) -> ScoredPairs:
        """Every scored pair of the given items, exact: each need of need_slots with every offer sharing a
        term with it, then each offer of offer_slots with every need sharing a term with it (slots are rows
        of self.needs / self.offers, e.g. from self.org_items[self.org_slot[org_id]]).

        Pairs are not filtered by MIN_PAIR_SCORE (a pair inside one organisation scores 0). A pair whose
        need and offer are both queried comes twice, unless distinct=True: then each pair comes once and
        pairs are ordered by (need slot, offer slot). The caller may filter or re-weight the scores before
        partners_from_pairs().
        """
        chunks = []
        if len(need_slots):
            ns, os_, cos = self._products(self.needs, self.offers, list(need_slots))
            chunks.append((ns, os_, self.score_pairs(ns, os_, cos)))
        if len(offer_slots):
            os_, ns, cos = self._products(self.offers, self.needs, list(offer_slots))
            chunks.append((ns, os_, self.score_pairs(ns, os_, cos)))
        if not chunks:
            z = np.zeros(0, dtype=np.int64)
            return ScoredPairs(z, z, np.zeros(0))
        ns, os_, sc = (np.concatenate([c[i] for c in chunks]) for i in range(3))
        if distinct:
            key = ns.astype(np.int64) * max(1, len(self.offers.ids)) + os_
            _key, first = np.unique(key, return_index=True)
            ns, os_, sc = ns[first], os_[first], sc[first]
        return ScoredPairs(ns, os_, sc)

    def _best_pairs(
        self, query: Side, target: Side, k, champions, chunk_cells, *, need_side: bool, threads: int = 1
    ):
        """Best pairs of each query row, blocked by type compatibility and computed chunk by chunk.

        Returns (need slots int32, offer slots int32, scores float32). Chunks run on `threads` threads
        (the sparse products and numpy work release the GIL)."""
        z = np.zeros(0, dtype=np.int32)
        empty = (z, z, np.zeros(0, dtype=np.float32))
        q_alive = np.flatnonzero(query.alive.v & (np.diff(query.main.indptr) > 0))
        t_alive = target.alive.v & (np.diff(target.main.indptr) > 0)
        if not len(q_alive) or not t_alive.any():
            return empty
        q_masks = query.mask.v[q_alive]
        t_masks = target.mask.v
        compat = self._compat if need_side else self._compat.T
        blocks: dict[tuple[int, ...], list[int]] = {}
        for m in np.unique(q_masks):
            ok = tuple(np.flatnonzero(compat[m] > 0).tolist())
            blocks.setdefault(ok, []).append(int(m))

        n_regions = int(self.org_region.v.max(initial=-1)) + 1
        far_factor = np.float32(AREA_PROXIMITY[-1])
        n_masks = compat.shape[1]
        compat_flat = np.ascontiguousarray(compat, dtype=np.float32).ravel()

        def q_mask_of(chunk):
            return query.mask.a[chunk].astype(np.int64) * n_masks

        def run(chunk, sub, sub_t, t_slots, t_masks_block=None, t_codes=None):
            q = query.main[chunk]
            if k is None:
                res = (q @ sub_t).tocsr()
                r = np.repeat(np.arange(len(chunk)), np.diff(res.indptr))
                cols, cos = res.indices, res.data
            else:
                # Candidates by partial cosine x type compatibility (each row weighted by its own mask's
                # compatibility with the candidates: the same as folding it into the champion lists of
                # each query mask, without a copy of the lists per mask), then their exact cosine.
                res = (_strongest_terms(q, QUERY_TERMS) @ sub_t).tocsr()
                rows = np.repeat(np.arange(len(chunk)), np.diff(res.indptr))
                # Help between regions counts only when said remote (scoring.py): so in the candidates
                # (region code per item, -1 when remote or unknown; factor per (query, target) codes).
                cols = res.indices
                weight = compat_flat.take(q_mask_of(chunk)[rows] + t_masks_block.take(cols))
                q_code, t_code = _region_codes(self, query, chunk)[rows], t_codes.take(cols)
                weight[(q_code != t_code) & (q_code != n_regions) & (t_code != n_regions)] *= far_factor
                res.data *= weight
                sel = _top_per_row(res.indptr, res.data, 2 * k)
                r = np.searchsorted(res.indptr, sel, side="right") - 1
                cols = res.indices[sel]
                del res
                cos = np.asarray(q[r].multiply(sub[cols]).sum(axis=1), dtype=np.float32).ravel()
            qs, ts = chunk[r], t_slots[cols]
            ns, os_ = (qs, ts) if need_side else (ts, qs)
            score = self.score_pairs(ns, os_, cos)
            keep = score >= MIN_PAIR_SCORE
            qs, ns, os_, score = qs[keep], ns[keep], os_[keep], score[keep]
            if k is not None and len(qs):
                order = np.lexsort((-score, qs))
                qs, ns, os_, score = qs[order], ns[order], os_[order], score[order]
                starts = np.r_[0, np.flatnonzero(np.diff(qs)) + 1]
                rank = np.arange(len(qs)) - np.repeat(starts, np.diff(np.r_[starts, len(qs)]))
                keep = rank < k
                ns, os_, score = ns[keep], os_[keep], score[keep]
            return ns.astype(np.int32), os_.astype(np.int32), score.astype(np.float32)

        def block_tasks(ok_masks, q_mask_list):
            """The chunks of one block, with that block's copy of the target rows (built when its turn comes,
            so that one block's copy is alive at a time: all of them at once took 3 GB at a million
            organisations)."""
            t_slots = np.flatnonzero(t_alive & np.isin(t_masks, ok_masks))
            if not len(t_slots):
                return []
            sub = target.main[t_slots]
            sub_t = sub.T.tocsr()
            if k is not None:
                sub_t = _champion_lists(sub_t, champions)
            per_row = champions * QUERY_TERMS if k is not None else len(t_slots)
            step = int(max(16, min(4096, chunk_cells // max(1, per_row))))
            rows = q_alive[np.isin(q_masks, q_mask_list)]
            extra = ()
            if k is not None:
                extra = (t_masks[t_slots].astype(np.int64), _region_codes(self, target, t_slots))
            return [
                (rows[start : start + step], sub, sub_t, t_slots, *extra)
                for start in range(0, len(rows), step)
            ]

        found = []
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            for ok_masks, q_mask_list in blocks.items():
                tasks = block_tasks(ok_masks, q_mask_list)
                if threads > 1 and len(tasks) > 1:
                    found.extend(pool.map(lambda t: run(*t), tasks))
                else:
                    found.extend(run(*t) for t in tasks)
                del tasks
        if not found:
            return empty
        return tuple(np.concatenate([f[i] for f in found]) for i in range(3))


def _region_codes(index, side: Side, slots: np.ndarray) -> np.ndarray:
    """Region of each item's organisation, or the number of regions (no region) when unknown or when the
    item says its help is remote."""
    n_regions = int(index.org_region.v.max(initial=-1)) + 1
    codes = index.org_region.a[side.org.a[slots]].astype(np.int64)
    remote = index._scope_arrays()["remote"][side.scope.a[slots]]
    return np.where((codes < 0) | remote, n_regions, codes).astype(np.int32)


def _champion_lists(m: sp.csr_matrix, size: int) -> sp.csr_matrix:
    """Keeps, in each row (a term), the `size` largest weights (the documents where the term matters most)."""
    lengths = np.diff(m.indptr)
    if not len(lengths) or lengths.max() <= size:
        return m
    keep = np.ones(len(m.data), dtype=np.bool_)
    for row in np.flatnonzero(lengths > size).tolist():
        a, b = m.indptr[row], m.indptr[row + 1]
        drop = np.argpartition(m.data[a:b], b - a - size)[: b - a - size]
        keep[a + drop] = False
    rows = np.repeat(np.arange(m.shape[0]), lengths)[keep]
    return sp.csr_matrix((m.data[keep], (rows, m.indices[keep])), shape=m.shape)


def _strongest_terms(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """The same rows with only their k heaviest terms (candidate generation only)."""
    lengths = np.diff(m.indptr)
    if not len(lengths) or lengths.max() <= k:
        return m
    keep = _top_per_row(m.indptr, m.data, k)
    rows = np.repeat(np.arange(m.shape[0]), lengths)[keep]
    return sp.csr_matrix((m.data[keep], (rows, m.indices[keep])), shape=m.shape)


def _top_per_row(indptr: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values of each CSR row (all of a row's values when it has k or fewer)."""
    lengths = np.diff(indptr)
    long_rows = np.flatnonzero(lengths > k)
    if not len(long_rows):
        return np.arange(len(values))
    keep = np.ones(len(values), dtype=np.bool_)
    for row in long_rows.tolist():
        a, b = indptr[row], indptr[row + 1]
        drop = np.argpartition(values[a:b], b - a - k)[: b - a - k]
        keep[a + drop] = False
    return np.flatnonzero(keep)
