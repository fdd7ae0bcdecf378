"""Aggregation: pairs grouped into partners (best + SECOND_PAIR x (1 - best) x second best), ranked, with
the pairs shown and the reasons of each listed partner's best pair."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .records import Pair, Partner
from .tables import MAX_PAIRS_SHOWN, MIN_PAIR_SCORE, SECOND_PAIR


class AggregationMixin:
    """Index methods that turn scored pairs into partners."""

    def _aggregate(
        self, ns, os_, sc, top: int, only: list[int] | None = None, *, chunk_pairs: int = 1_000_000
    ) -> Iterator[tuple[int, list[Partner]]]:
        """(organisation slot, partners) in increasing slot order, for organisations with partners.

        Vectorised: the pairs (each counted for both organisations) are handled a block of organisations at
        a time (about chunk_pairs pair entries: bounded memory), sorted and reduced with numpy; pair lists
        and reasons are only built for the partners that are listed.
        """
        ns, os_, sc = np.asarray(ns), np.asarray(os_), np.asarray(sc)
        if not (sc >= MIN_PAIR_SCORE).all():
            keep = np.flatnonzero(sc >= MIN_PAIR_SCORE)
            ns, os_, sc = ns[keep], os_[keep], sc[keep]
        ns, os_ = ns.astype(np.int32, copy=False), os_.astype(np.int32, copy=False)
        n = len(ns)
        if not n:
            return
        org_n, org_o = self.needs.org.a[ns], self.offers.org.a[os_]
        # Entry e < n: the pair seen from the organisation with the need (it receives); e >= n: from the
        # organisation with the offer (it gives). Blocks are ranges of organisation slots holding about
        # chunk_pairs entries; each block picks its entries with a scan (no global sort, little memory).
        if only is not None:
            wanted = np.asarray(only, dtype=org_n.dtype)
            entries = np.r_[
                np.flatnonzero(np.isin(org_n, wanted)), n + np.flatnonzero(np.isin(org_o, wanted))
            ]
            if len(entries):
                yield from self._aggregate_block(entries, ns, os_, sc, org_n, org_o, top)
            return
        n_orgs = len(self.org_ids)
        per_block = max(1, int(n_orgs * chunk_pairs / max(1, 2 * n)))
        for lo in range(0, n_orgs, per_block):
            hi = lo + per_block
            entries = np.r_[
                np.flatnonzero((org_n >= lo) & (org_n < hi)), n + np.flatnonzero((org_o >= lo) & (org_o < hi))
            ]
            if len(entries):
                yield from self._aggregate_block(entries, ns, os_, sc, org_n, org_o, top)

    def _aggregate_block(self, e, ns, os_, sc, org_n, org_o, top) -> Iterator[tuple[int, list[Partner]]]:
        n = len(ns)
        d = (e >= n).astype(np.int8)
        p = np.where(d == 0, e, e - n)
        x = np.where(d == 0, org_n[p], org_o[p])
        y = np.where(d == 0, org_o[p], org_n[p])
        s = sc[p].astype(np.float64)
        n_orgs = max(1, len(self.org_ids))
        key = x.astype(np.int64) * n_orgs + y
        order = np.argsort(key, kind="stable")
        key, x, y, d, p, s = (a[order] for a in (key, x, y, d, p, s))
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        lengths = np.diff(np.r_[starts, len(key)])
        group = np.repeat(np.arange(len(starts)), lengths)
        # Best and second best pair of each group (x, y), without sorting by score.
        best = np.maximum.reduceat(s, starts)
        at_best = np.flatnonzero(s == best[group])
        first_best = at_best[np.r_[True, group[at_best][1:] != group[at_best][:-1]]]
        rest = s.copy()
        rest[first_best] = -1.0
        second = np.where(lengths > 1, np.maximum.reduceat(rest, starts), 0.0)
        del rest
        rounded = np.round(np.clip(best + SECOND_PAIR * (1 - best) * second, 0.0, 1.0), 3)
        gx, gy = x[starts], y[starts]
        # Per organisation: best rounded score first, ties by partner id; the first `top` are listed.
        uy, inv = np.unique(gy, return_inverse=True)
        y_rank = string_ranks([self.org_ids[i] for i in uy.tolist()])[inv]
        thousandths = np.rint(rounded * 1000).astype(np.int64)
        gorder = np.argsort(((gx.astype(np.int64) * 1001) + (1000 - thousandths)) * len(uy) + y_rank)
        gx_sorted = gx[gorder]
        first = np.flatnonzero(np.r_[True, gx_sorted[1:] != gx_sorted[:-1]])
        rank = np.arange(len(gorder)) - np.repeat(first, np.diff(np.r_[first, len(gorder)]))
        listed = gorder[rank < top]  # group numbers, in output order
        # Entries of the listed groups: shown pairs ordered by score (rounded), direction, need id, offer id.
        chosen = np.zeros(len(starts), dtype=np.bool_)
        chosen[listed] = True
        rows = np.flatnonzero(chosen[group])
        r_group = group[rows]
        r_ns, r_os, r_d = ns[p[rows]], os_[p[rows]], d[rows]
        r_s = _round3(s[rows])
        un, inv_n = np.unique(r_ns, return_inverse=True)
        uo, inv_o = np.unique(r_os, return_inverse=True)
        n_rank = string_ranks([self.needs.ids[i] for i in un.tolist()])[inv_n]
        o_rank = string_ranks([self.offers.ids[i] for i in uo.tolist()])[inv_o]
        o2 = np.lexsort((r_os, r_ns, o_rank, n_rank, r_d, -r_s, r_group))
        r_group, r_ns, r_os, r_d, r_s = (a[o2] for a in (r_group, r_ns, r_os, r_d, r_s))
        # Block of each group in the sorted rows (groups appear in increasing group number).
        g_start = np.zeros(len(starts), dtype=np.int64)
        g_start[chosen] = np.cumsum(np.r_[0, lengths[chosen]])[:-1]
        both = np.zeros(len(starts), dtype=np.bool_)
        if len(r_d):
            lo = np.minimum.reduceat(r_d, g_start[chosen])
            hi = np.maximum.reduceat(r_d, g_start[chosen])
            both[chosen] = lo != hi
        # Reasons of the best pair of each listed partner only.
        heads = g_start[listed]
        whys = self._explain_cached(r_ns[heads], r_os[heads])
        need_ids, offer_ids, org_ids = self.needs.ids, self.offers.ids, self.org_ids
        l_ns, l_os, l_d, l_s = r_ns.tolist(), r_os.tolist(), r_d.tolist(), r_s.tolist()
        out: list[Partner] = []
        current = -1
        for head, why, gx_g, gy_g, score, length, two in zip(
            heads.tolist(),
            whys,
            gx[listed].tolist(),
            gy[listed].tolist(),
            rounded[listed].tolist(),
            lengths[listed].tolist(),
            both[listed].tolist(),
            strict=True,
        ):
            if gx_g != current:
                if out:
                    yield current, out
                out, current = [], gx_g
            pairs = tuple(
                Pair(
                    need=need_ids[l_ns[i]],
                    offer=offer_ids[l_os[i]],
                    direction="gives" if l_d[i] else "receives",
                    score=l_s[i],
                )
                for i in range(head, head + min(length, MAX_PAIRS_SHOWN))
            )
            why = list(why)
            if length > 1:
                why.append(f"{length} paires complémentaires")
            if two:
                why.append("échange dans les deux sens")
            out.append(Partner(id=org_ids[gy_g], score=score, pairs=pairs, why=tuple(why)))
        if out:
            yield current, out


def string_ranks(strings: list[str]) -> np.ndarray:
    """Rank of each string in sorted order (equal strings get distinct, consecutive ranks)."""
    order = sorted(range(len(strings)), key=strings.__getitem__)
    rank = np.empty(len(strings), dtype=np.int64)
    rank[order] = np.arange(len(strings))
    return rank


def _round3(values: np.ndarray) -> np.ndarray:
    """round(v, 3) for each value, exactly as Python's round (numpy's differs near halves)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.round(values, 3)
    frac = values * 1000 - np.floor(values * 1000)
    near = np.flatnonzero(np.abs(frac - 0.5) < 1e-6)
    if len(near):
        out[near] = [round(v, 3) for v in values[near].tolist()]
    return out
