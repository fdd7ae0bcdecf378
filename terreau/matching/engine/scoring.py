"""Scoring of pairs (need, offer): type and kind compatibility, geography and scopes, status, freshness."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from terreau.matching import geo, text

from .tables import (
    AREA_PROXIMITY,
    BROAD,
    BROAD_RELEVANCE,
    DIRECTION_MISMATCH,
    INFERRED_FLOOR,
    INFERRED_TYPE,
    INTRODUCES,
    OBJECT,
    OBJECT_RELEVANCE,
    OFFER_SCOPE_OUTSIDE,
    OUTSIDE_OBJECT,
    OWN_CODES,
    PHYSICAL,
    PHYSICAL_KM,
    PHYSICAL_OUTSIDE,
    PHYSICAL_PROXIMITY,
    REFURBISHED,
    REVERSED,
    SAME_OBJECT_RELEVANCE,
    SOFT_SCOPE_OUTSIDE,
    TEXT_GAIN,
    THEME_CODES,
    THEME_WEIGHT,
    TYPE_CODES,
    TYPE_COMPATIBILITY,
    UNKNOWN_TYPE,
    USED_INPUT,
    WEAK_KIND,
    WRONG_STAGE,
)

EPCI_KEY = 1 << 21  # scope id * EPCI_KEY + intercommunality number: one integer per (scope, EPCI)


@lru_cache(maxsize=1)
def _compatibility_table() -> np.ndarray:
    """TYPE_COMPATIBILITY as a (need type, offer type) matrix."""
    table = np.zeros((len(TYPE_CODES), len(TYPE_CODES)))
    for (a, b), w in TYPE_COMPATIBILITY.items():
        table[TYPE_CODES.index(a), TYPE_CODES.index(b)] = w
    return table


class ScoringMixin:
    """Index methods that score pairs (vectorised over arrays of need and offer slots)."""

    def _intern_mask(self, bits: int, given: bool, weak: int = 0) -> int:
        """Id of a kind mask: `bits` the kinds of help (the code given, else those the text names before
        its purpose), `weak` kinds kept with less confidence (a code the text contradicts, kinds named only
        in the purpose), `given` whether the code stands as chosen."""
        key = (bits, given, weak & ~bits)
        mid = self._mask_id.get(key)
        if mid is None:
            mid = len(self._masks)
            self._masks.append(key)
            self._mask_id[key] = mid
            row = np.zeros((1, len(TYPE_CODES)), dtype=np.float64)
            for t, w in self._weighted_types(key):
                row[0, TYPE_CODES.index(t)] = w
            weights = np.vstack([self._mask_weights, row]) if mid else row
            self._mask_weights = weights
            given_all = np.array([m[1] for m in self._masks])
            table = _compatibility_table()
            # compat(new, other) = max over x, y of w_new[x] * TC[x, y] * w_other[y]; and the other way.
            out = (weights * (row[0][:, None] * table).max(axis=0)[None, :]).max(axis=1)
            into = (weights * (table * row[0][None, :]).max(axis=1)[None, :]).max(axis=1)
            known = weights.any(axis=1)
            both = given_all & given
            grown = np.zeros((mid + 1, mid + 1), dtype=np.float32)
            grown[:mid, :mid] = self._compat
            for best, target in ((out, grown[mid, :]), (into, grown[:, mid])):
                value = np.where(both, best, np.maximum(best * INFERRED_TYPE, INFERRED_FLOOR))
                # A type read from the text is a guess: it lowers a pair, it never excludes it.
                target[:] = np.where(known & known[mid], value, UNKNOWN_TYPE)
            self._compat = grown
        return mid

    @staticmethod
    def _types(bits: int) -> list[str]:
        return [t for i, t in enumerate(TYPE_CODES) if bits >> i & 1]

    def _weighted_types(self, mask: tuple[int, bool, int]) -> list[tuple[str, float]]:
        return [(t, 1.0) for t in self._types(mask[0])] + [(t, WEAK_KIND) for t in self._types(mask[2])]

    def _intern_scope(self, scope: text.Scope) -> int:
        sid = self._scope_id.get(scope)
        if sid is None:
            sid = len(self._scopes)
            self._scopes.append(scope)
            self._scope_id[scope] = sid
            self._scope_tables = None
        return sid

    def _scope_arrays(self) -> dict[str, np.ndarray]:
        if self._scope_tables is None:
            n_dept = len(geo.DEPARTMENT_CODES)
            depts = np.ones((len(self._scopes), n_dept + 1), dtype=np.bool_)
            for i, sc in enumerate(self._scopes):
                if sc.departments:
                    depts[i, :n_dept] = False
                    for code in sc.departments:
                        depts[i, geo.DEPARTMENT_INDEX[code]] = True
            self._scope_tables = {
                "depts": depts,
                "hard": np.array([sc.hard for sc in self._scopes]),
                "remote": np.array([sc.remote for sc in self._scopes]),
                "area": np.array([sc.area for sc in self._scopes]),
                "radius": np.array([sc.radius_km or 0 for sc in self._scopes], dtype=np.float64),
                "own": np.array([OWN_CODES[sc.own] for sc in self._scopes], dtype=np.int8),
                "any": np.array([not sc.empty for sc in self._scopes]),
                "named": np.array([bool(sc.epcis) for sc in self._scopes]),
                "epci_keys": np.array(
                    sorted(i * EPCI_KEY + e for i, sc in enumerate(self._scopes) for e in sc.epcis),
                    dtype=np.int64,
                ),
            }
        return self._scope_tables

    def _reference_date(self) -> int:
        if self._ref_dirty:
            dates = [side.updated.v[side.alive.v] for side in (self.needs, self.offers)]
            both = np.concatenate(dates) if dates else np.zeros(0)
            self._ref_date = int(both.max()) if len(both) and both.max() >= 0 else -1
            self._ref_dirty = False
        return self._ref_date

    # -- scoring ------------------------------------------------------------------------------------

    def _geo(self, on: np.ndarray, oo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Proximity factor, distance (nan if unknown) and whether both coordinates are known."""
        lat_a, lon_a = self.org_lat.a[on], self.org_lon.a[on]
        lat_b, lon_b = self.org_lat.a[oo], self.org_lon.a[oo]
        has_xy = ~(np.isnan(lat_a) | np.isnan(lat_b))
        dist = np.full(len(on), np.nan)
        if has_xy.any():
            dist[has_xy] = geo.haversine_km(lat_a[has_xy], lon_a[has_xy], lat_b[has_xy], lon_b[has_xy])
        dn, do = self.org_dept.a[on], self.org_dept.a[oo]
        rn, ro = self.org_region.a[on], self.org_region.a[oo]
        cn, co = self.org_commune.a[on], self.org_commune.a[oo]
        # Help given neither in person nor said to be remote: within the region (a little less far from
        # home); between regions it is only suggested when one side says it can be given remotely.
        same, dept, region, unknown, far = AREA_PROXIMITY
        by_area = np.select(
            [(cn == co) & (cn >= 0), (dn == do) & (dn >= 0), (rn == ro) & (rn >= 0), (dn < 0) | (do < 0)],
            [same, dept, region, unknown],
            far,
        )
        by_km = region + (same - region) * np.exp(-np.nan_to_num(dist) / 40.0)
        prox = np.where(has_xy & ((rn == ro) | (rn < 0) | (ro < 0)), by_km, by_area)
        return prox, dist, has_xy

    def _scope_factor(
        self, sc, me, other, dist, has_xy, physical, soft_outside=SOFT_SCOPE_OUTSIDE
    ) -> np.ndarray:
        """1 inside the scope, 0 outside a hard scope, SOFT_SCOPE_OUTSIDE outside a soft one (PHYSICAL_OUTSIDE
        for physical help: a room or a van is not lent beyond the area its text names)."""
        t = self._scope_arrays()
        out = np.ones(len(sc), dtype=np.float64)
        # A town named beside a remote way of giving ("à Niort ou en visio") is where the helper is, not a
        # limit, unless the text says it binds ("uniquement"); an area named binds ("partout en Occitanie").
        active = t["any"][sc] & (t["hard"][sc] | ~t["remote"][sc] | t["area"][sc])
        if not active.any():
            return out
        sc, me, other = sc[active], me[active], other[active]
        dist, has_xy = dist[active], has_xy[active]
        d_other = self.org_dept.a[other]
        ok = t["depts"][sc, np.where(d_other >= 0, d_other, t["depts"].shape[1] - 1)]
        own = t["own"][sc]
        d_me = self.org_dept.a[me]
        r_me, r_other = self.org_region.a[me], self.org_region.a[other]
        c_me, c_other = self.org_commune.a[me], self.org_commune.a[other]
        unknown = (d_me < 0) | (d_other < 0)
        same_commune = (c_me == c_other) | (has_xy & (np.nan_to_num(dist, nan=1e9) <= 15)) | unknown
        same_dept = (d_me == d_other) | unknown
        same_region = (r_me == r_other) | unknown
        e_me, e_other = self.org_epci.a[me], self.org_epci.a[other]
        a_me, a_other = self.org_arr.a[me], self.org_arr.a[other]
        same_epci = same_commune | ((e_me == e_other) & (e_me >= 0)) | (e_me < 0) | (e_other < 0)
        near = same_epci | ((a_me == a_other) & (a_me >= 0))
        ok &= np.select(
            [own == 1, own == 2, own == 3, own == 4], [same_commune, same_dept, same_region, same_epci], True
        )
        radius = t["radius"][sc]
        within = np.where(
            has_xy,
            np.nan_to_num(dist, nan=1e9) <= radius,
            np.select([radius <= 30, radius <= 60], [near, same_dept], same_region),
        )
        ok &= (radius == 0) | within
        named = t["named"][sc]
        if named.any():
            inside = np.isin(sc.astype(np.int64) * EPCI_KEY + e_other, t["epci_keys"])
            ok &= ~named | inside | (e_other < 0)
        soft = np.where(physical[active], PHYSICAL_OUTSIDE, soft_outside)
        out[active] = np.where(ok, 1.0, np.where(t["hard"][sc], 0.0, soft))
        return out

    def _physical_proximity(self, on, oo, dist, has_xy) -> np.ndarray:
        """Proximity for help given in person: local area first (PHYSICAL_PROXIMITY, PHYSICAL_KM)."""
        cn, co = self.org_commune.a[on], self.org_commune.a[oo]
        en, eo = self.org_epci.a[on], self.org_epci.a[oo]
        an, ao = self.org_arr.a[on], self.org_arr.a[oo]
        dn, do = self.org_dept.a[on], self.org_dept.a[oo]
        rn, ro = self.org_region.a[on], self.org_region.a[oo]
        local, arr, dept, region, far = PHYSICAL_PROXIMITY
        by_area = np.select(
            [
                ((cn == co) & (cn >= 0)) | ((en == eo) & (en >= 0)),
                (an == ao) & (an >= 0),
                (dn == do) & (dn >= 0),
                (rn == ro) & (rn >= 0),
                (dn < 0) | (do < 0),
            ],
            [local, arr, dept, region, arr],
            far,
        )
        by_km = np.maximum(np.exp(-np.maximum(np.nan_to_num(dist) - PHYSICAL_KM, 0.0) / 60.0), far)
        return np.where(has_xy, by_km, by_area)

    def _freshness(self, updated: np.ndarray) -> np.ndarray:
        ref = self._reference_date()
        age = np.where(updated >= 0, ref - updated, 0)
        return np.select([age <= 180, age <= 365, age <= 730], [1.0, 0.9, 0.8], 0.7)

    def _theme_similarity(self, need_slots: np.ndarray, offer_slots: np.ndarray) -> np.ndarray:
        """1 when the need's and the offer's topics meet (a theme code given or read from the text), 0.5 when
        the organisations' themes meet those topics or each other, else 0."""
        need_side, offer_side = self.needs, self.offers
        on, oo = need_side.org.a[need_slots], offer_side.org.a[offer_slots]
        tn = need_side.topics.a[need_slots].astype(np.int64)
        to = offer_side.topics.a[offer_slots].astype(np.int64)
        themes_n = self.org_themes.a[on] | tn
        themes_o = self.org_themes.a[oo] | to
        return np.where((tn & to) != 0, 1.0, np.where((themes_n & themes_o) != 0, 0.5, 0.0))

    def _pair_theme(self, ns: np.ndarray, os_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For reasons: the theme code index (-1: none) that _theme_similarity used (topics of both items,
        else of their organisations), or the need's theme inside a funder's stated object; and whether it is
        that object (_object_fit 1)."""
        tn, to = self.needs.topics.a[ns].astype(np.int64), self.offers.topics.a[os_].astype(np.int64)
        on, oo = self.needs.org.a[ns], self.offers.org.a[os_]
        common = np.where(
            (tn & to) != 0, tn & to, (self.org_themes.a[on] | tn) & (self.org_themes.a[oo] | to)
        )
        funded = self._object_fit(ns, os_) == 1
        common = np.where(funded, np.where(tn != 0, tn, self.org_themes.a[on]) & to, common)
        theme = np.full(len(ns), -1, dtype=np.int64)
        for b in range(len(THEME_CODES) - 1, -1, -1):
            theme = np.where((common >> b) & 1 == 1, b, theme)
        return theme, funded

    def _object_fit(self, need_slots: np.ndarray, offer_slots: np.ndarray) -> np.ndarray:
        """For offers of money that state their object (OBJECT): 1 when the need's topics (else its
        organisation's themes) meet it, 0 when they are known and outside it, -1 when unknown or no object."""
        fo = self.offers.flags.a[offer_slots]
        out = np.full(len(need_slots), -1, dtype=np.int8)
        funder = (fo & OBJECT) != 0
        if funder.any():
            f = np.flatnonzero(funder)
            tn = self.needs.topics.a[need_slots[f]].astype(np.int64)
            tn = np.where(tn != 0, tn, self.org_themes.a[self.needs.org.a[need_slots[f]]])
            to = self.offers.topics.a[offer_slots[f]].astype(np.int64)
            out[f] = np.where(tn == 0, -1, np.where((tn & to) != 0, 1, 0))
        return out

    def _relevance(self, need_slots: np.ndarray, offer_slots: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """Relevance of pairs from their text cosine and themes, before the floor of offers open to any project
        (score_pairs; reasons.py tells that floor only where it raised the relevance)."""
        relevance = (1 - THEME_WEIGHT) * (1 - np.exp(-TEXT_GAIN * cosine.astype(np.float64)))
        relevance += THEME_WEIGHT * self._theme_similarity(need_slots, offer_slots)
        return relevance

    def pair_factors(
        self, need_slots: np.ndarray, offer_slots: np.ndarray, cosine: np.ndarray, *, signals: bool = False
    ) -> dict[str, np.ndarray]:
        """The per-pair signals the score combines (vectorised): "relevance" (text and themes, with the floor
        of offers open to any project), "text" (1 - exp(-TEXT_GAIN x cosine)), "theme" (1 same theme code,
        0.5 themes meet, 0), "broad" (that floor applies), then the factors in [0, 1]: "types", "kinds",
        "proximity", "need_scope", "offer_scope", "direction", "status" (0 inside one organisation), "freshness",
        and the flags "remote" and "physical". "text" and "theme" only with `signals` (bench/matching_learned.py:
        the score needs neither, and best_pairs scores hundreds of millions of pairs at national scale)."""
        need_side, offer_side = self.needs, self.offers
        on, oo = need_side.org.a[need_slots], offer_side.org.a[offer_slots]
        relevance = self._relevance(need_slots, offer_slots, cosine)
        types = self._compat[need_side.mask.a[need_slots], offer_side.mask.a[offer_slots]].astype(np.float64)
        kinds = self._kind[self.org_kind.a[on], self.org_kind.a[oo]].astype(np.float64)
        prox, dist, has_xy = self._geo(on, oo)
        sn, so = need_side.scope.a[need_slots], offer_side.scope.a[offer_slots]
        remote = self._scope_arrays()["remote"]
        is_remote = remote[sn] | remote[so]
        fn, fo = need_side.flags.a[need_slots], offer_side.flags.a[offer_slots]
        physical = (((fn | fo) & PHYSICAL) != 0) & ~is_remote
        if physical.any():
            prox = np.where(physical, self._physical_proximity(on, oo, dist, has_xy), prox)
        prox = np.where(is_remote, 1.0, prox)
        need_scope = self._scope_factor(sn, on, oo, dist, has_xy, physical)
        offer_scope = self._scope_factor(so, oo, on, dist, has_xy, physical, OFFER_SCOPE_OUTSIDE)
        # An offer open to any project of its kind: inside the area it names, the kind of help (type
        # factor) decides, not the words in common.
        broad = ((fo & BROAD) != 0) & (offer_scope >= 1.0)
        if broad.any():
            relevance = np.where(broad, np.maximum(relevance, BROAD_RELEVANCE), relevance)
        # A funder that states its object funds a need inside it, whatever their words in common, and is
        # a poor match for a need outside it.
        fit = self._object_fit(need_slots, offer_slots)
        inside_object = (fit == 1) & (offer_scope >= 1.0)
        if inside_object.any():
            relevance = np.where(inside_object, np.maximum(relevance, OBJECT_RELEVANCE), relevance)
        # The offer names every thing the need is about (its computers, its room): the same object of help;
        # still outside what a funder states it funds (below).
        obn, obo = need_side.objects.a[need_slots], offer_side.objects.a[offer_slots]
        same_object = (obn != 0) & ((obn & ~obo) == 0)
        relevance = np.where(same_object, np.maximum(relevance, SAME_OBJECT_RELEVANCE), relevance)
        relevance = np.where(fit == 0, relevance * OUTSIDE_OBJECT, relevance)
        # Direction: a "need" that gives meets an offer that gives (or two that ask) -> weaker; both
        # reversed: the need's organisation gives what the offer's asks for, still a (weaker) match.
        rn, ro = (fn & REVERSED) != 0, (fo & REVERSED) != 0
        direction = np.where(rn ^ ro, DIRECTION_MISMATCH, np.where(rn & ro, 0.7, 1.0))
        # An introduction service serves the side that gives as well as the side that receives.
        direction = np.where(rn & ((fo & INTRODUCES) != 0), 1.0, direction)
        # A workshop asking for used devices to refurbish is offered refurbished ones: what it makes.
        wrong_stage = ((fn & USED_INPUT) != 0) & ((fo & REFURBISHED) != 0)
        direction = np.where(wrong_stage, direction * WRONG_STAGE, direction)
        status = need_side.status.a[need_slots] * offer_side.status.a[offer_slots]
        status = np.where(on == oo, 0.0, status)
        fresh = self._freshness(need_side.updated.a[need_slots]) * self._freshness(
            offer_side.updated.a[offer_slots]
        )
        factors = {
            "relevance": relevance,
            "broad": broad,
            "types": types,
            "kinds": kinds,
            "proximity": prox,
            "need_scope": need_scope,
            "offer_scope": offer_scope,
            "direction": direction,
            "status": status,
            "freshness": fresh,
            "remote": is_remote,
            "physical": physical,
        }
        if signals:
            factors["text"] = 1 - np.exp(-TEXT_GAIN * cosine.astype(np.float64))
            factors["theme"] = self._theme_similarity(need_slots, offer_slots)
        return factors

    def hand_score(self, f: dict[str, np.ndarray]) -> np.ndarray:
        """The hand-written score: relevance x the product of the factors."""
        factor = f["types"] * f["kinds"] * f["proximity"] * f["need_scope"] * f["offer_scope"]
        factor = factor * f["direction"] * f["status"] * f["freshness"]
        return np.clip(f["relevance"] * factor, 0.0, 1.0)

    def score_pairs(self, need_slots: np.ndarray, offer_slots: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """Scores of pairs (need slot, offer slot) given their text cosine; vectorised."""
        return self.hand_score(self.pair_factors(need_slots, offer_slots, cosine))
