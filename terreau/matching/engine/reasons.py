"""Reasons a person can read for a pair: type, theme, shared words, synonyms (lexicon concepts met through
different phrases), geography and the scopes asked for."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from terreau.matching import geo, lexicon, text
from terreau.vocabulary import THEMES, TYPES

from .aggregation import string_ranks
from .tables import (
    BROAD,
    BROAD_RELEVANCE,
    OFFER_SCOPE_OUTSIDE,
    PHYSICAL,
    THEME_CODES,
    TYPE_COMPATIBILITY,
    TYPE_LABELS,
    WHY_CACHE,
)


class ReasonsMixin:
    """Index methods that explain pairs (cached between blocks of all_partners)."""

    def _explain_cached(self, need_slots: np.ndarray, offer_slots: np.ndarray) -> list[list[str]]:
        keys = list(zip(need_slots.tolist(), offer_slots.tolist(), strict=True))
        cache = self._why_cache
        found = [cache.get(k) for k in keys]
        missing = [i for i, w in enumerate(found) if w is None]
        if missing:
            if len(cache) + len(missing) > WHY_CACHE or len(self._phrase_cache) > 2 * WHY_CACHE:
                cache.clear()
                self._phrase_cache.clear()
            new = self._explain_many(need_slots[missing], offer_slots[missing])
            for i, why in zip(missing, new, strict=True):
                found[i] = cache[keys[i]] = why
        return found

    def prepare_explain(self) -> None:
        """Before the rebuild forks its writers: the tables explain_many() reads, computed once and shared,
        and the terms and surface forms copied into fresh strings side by side. A writer reading a string
        copies its page (the reference count is written); made as the texts were analysed, they lay among
        everything else (each writer held about 1.5 GB of copied pages at a million organisations)."""
        vocabulary = self.vocabulary
        vocabulary.terms = [term.encode().decode() for term in vocabulary.terms]
        self._term_cache = None
        rank, concept, surfaces = self._term_tables()
        self._term_cache = (rank, concept, [s.encode().decode() for s in surfaces], self._term_cache[3])

    def explain_many(self, need_slots, offer_slots) -> list[list[str]]:
        """explain() for many pairs at once (the matching jobs store the reasons of every stored pair)."""
        return self._explain_many(
            np.asarray(need_slots, dtype=np.int64), np.asarray(offer_slots, dtype=np.int64)
        )

    def explain(self, need_slot: int, offer_slot: int) -> list[str]:
        """Short French reasons for one pair (type, theme, shared words, synonyms, geography)."""
        return self._explain_many(np.array([int(need_slot)]), np.array([int(offer_slot)]))[0]

    def _explain_many(self, need_slots: np.ndarray, offer_slots: np.ndarray) -> list[list[str]]:
        """explain() for many pairs at once (vectorised where it counts)."""
        need_side, offer_side = self.needs, self.offers
        ns = np.asarray(need_slots, dtype=np.int64)
        os_ = np.asarray(offer_slots, dtype=np.int64)
        if not len(ns):
            return []
        on, oo = need_side.org.a[ns], offer_side.org.a[os_]
        types = [
            self._type_reason(a, b)
            for a, b in zip(need_side.mask.a[ns].tolist(), offer_side.mask.a[os_].tolist(), strict=True)
        ]
        theme, funded = self._pair_theme(ns, os_)
        texts = self._text_reasons_many(ns, os_)
        geos = self._geo_reasons_many(ns, os_, on, oo)
        broad = (offer_side.flags.a[os_] & BROAD) != 0
        if broad.any():
            # The floor of an offer open to any project counts only inside the area it names (scoring.py).
            b = np.flatnonzero(broad)
            _prox, dist, has_xy = self._geo(on[b], oo[b])
            flags = need_side.flags.a[ns[b]] | offer_side.flags.a[os_[b]]
            remote = self._scope_arrays()["remote"]
            sn, so = need_side.scope.a[ns[b]], offer_side.scope.a[os_[b]]
            physical = ((flags & PHYSICAL) != 0) & ~(remote[sn] | remote[so])
            inside = self._scope_factor(so, oo[b], on[b], dist, has_xy, physical, OFFER_SCOPE_OUTSIDE) >= 1.0
            # ...and only where it raised the pair's relevance (words or themes in common may be above it).
            n_cols = len(self.vocabulary.terms)
            rows_n = need_side.gather(ns[b], n_cols)
            cosine = np.asarray(rows_n.multiply(offer_side.gather(os_[b], n_cols)).sum(axis=1)).ravel()
            broad[b] = inside & (self._relevance(ns[b], os_[b], cosine) < BROAD_RELEVANCE)
        broad = broad.tolist()
        out = []
        for ty, th, fu, tx, ge, br in zip(
            types, theme.tolist(), funded.tolist(), texts, geos, broad, strict=True
        ):
            why = [ty] if ty else []
            if th >= 0:
                why.append(f"{'objet du financeur' if fu else 'même thème'}: {THEME_CODES[th]}")
            why.extend(tx)
            if br:
                why.append("offre ouverte à tout projet")
            why.extend(ge)
            out.append(why)
        return out

    def _type_reason(self, mask_n: int, mask_o: int) -> str | None:
        key = (mask_n, mask_o)
        if key not in self._type_reasons:
            a, b = self._masks[mask_n], self._masks[mask_o]
            given_n, given_o = a[1], b[1]
            reason = None
            if (a[0] | a[2]) and (b[0] | b[2]):
                # The pair of kinds that weighed (scoring._mask_compat: compatibility x confidence).
                (tn, wn), (to, wo) = max(
                    ((x, y) for x in self._weighted_types(a) for y in self._weighted_types(b)),
                    key=lambda p: TYPE_COMPATIBILITY.get((p[0][0], p[1][0]), 0.0) * p[0][1] * p[1][1],
                )
                if TYPE_COMPATIBILITY.get((tn, to), 0.0) > 0:
                    sign = "=" if tn == to else "≈"
                    inferred = "" if given_n and given_o else " (déduit du texte)"
                    reason = f"type {TYPE_LABELS[tn]} {sign} {TYPE_LABELS[to]}{inferred}"
            self._type_reasons[key] = reason
        return self._type_reasons[key]

    def _term_tables(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Rank of each term in string order, whether it is a concept, and its surface form."""
        terms = self.vocabulary.terms
        if (
            self._term_cache is None
            or len(self._term_cache[0]) != len(terms)
            or self._term_cache[3] != len(self.vocabulary.surfaces)
        ):
            rank = string_ranks(terms)
            concept = np.fromiter((t.startswith("~") for t in terms), dtype=np.bool_, count=len(terms))
            surfaces = self.vocabulary.surfaces
            self._term_cache = (rank, concept, [surfaces.get(t, t) for t in terms], len(surfaces))
        return self._term_cache[:3]

    def _text_reasons_many(self, ns: np.ndarray, os_: np.ndarray) -> list[list[str]]:
        """Shared words (3 heaviest) and synonyms (lexicon concepts met through different phrases)."""
        n_cols = len(self.vocabulary.terms)
        a = self.needs.gather(ns, n_cols).astype(np.float64)
        b = self.offers.gather(os_, n_cols).astype(np.float64)
        prod = a.multiply(b).tocsr()
        prod.eliminate_zeros()
        rank, is_concept, surf = self._term_tables()
        r = np.repeat(np.arange(len(ns)), np.diff(prod.indptr))
        cols, vals = prod.indices, prod.data
        conc = is_concept[cols]
        # Heaviest first, ties by term in reverse string order (as sorting (weight, term) in reverse).
        o = np.lexsort((-rank[cols], -vals, conc, r))
        r, cols, conc = r[o], cols[o], conc[o]
        grp = r.astype(np.int64) * 2 + conc
        first = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]]) if len(grp) else np.zeros(0, np.int64)
        pos = np.arange(len(grp)) - np.repeat(first, np.diff(np.r_[first, len(grp)]))
        keep = pos < np.where(conc, 4, 3)
        r, cols, conc = r[keep], cols[keep], conc[keep]
        w_r, w_c = r[~conc], cols[~conc]
        c_r, c_c = r[conc], cols[conc]
        w_b = np.searchsorted(w_r, np.arange(len(ns) + 1)).tolist()
        c_b = np.searchsorted(c_r, np.arange(len(ns) + 1)).tolist()
        w_c, c_c = w_c.tolist(), c_c.tolist()
        terms = self.vocabulary.terms
        cache = self._phrase_cache
        ns_l, os_l = ns.tolist(), os_.tolist()
        out: list[list[str]] = []
        for i in range(len(ns)):
            reasons = []
            if w_b[i] < w_b[i + 1]:
                reasons.append("texte: " + ", ".join(surf[c] for c in w_c[w_b[i] : w_b[i + 1]]))
            if c_b[i] < c_b[i + 1]:
                need_slot, offer_slot = ns_l[i], os_l[i]
                n_terms = o_terms = None
                synonyms: list[str] = []
                domains: list[str] = []
                group = c_c[c_b[i] : c_b[i + 1]]
                for c in group:
                    if len(synonyms) == 2:
                        break
                    concept = terms[c]
                    x = cache.get(("n", need_slot, concept))
                    if x is None:
                        if n_terms is None:
                            n_terms = {terms[t] for t in self.needs.row(need_slot)[0].tolist()}
                        x = cache[("n", need_slot, concept)] = _phrases_in(concept[1:], n_terms)
                    y = cache.get(("o", offer_slot, concept))
                    if y is None:
                        if o_terms is None:
                            o_terms = {terms[t] for t in self.offers.row(offer_slot)[0].tolist()}
                        y = cache[("o", offer_slot, concept)] = _phrases_in(concept[1:], o_terms)
                    if not (x and y) or not set(x).isdisjoint(y):
                        continue
                    name = concept[1:]
                    source = _PHRASE_SOURCE[name]
                    # The phrases listed for this very concept first, then those of narrower ones.
                    x0 = next((p for p in x if source[p] == name), x[0])
                    y0 = next((p for p in y if source[p] == name), y[0])
                    src_x, src_y = source[x0], source[y0]
                    if src_x == src_y == name:
                        # Both phrases are listed for this very concept: synonyms.
                        pair = f"{x0} ≈ {y0}"
                        if pair not in synonyms:
                            synonyms.append(pair)
                    elif (
                        src_x != src_y
                        and not domains
                        and not {"~" + src_x, "~" + src_y}.intersection(terms[g] for g in group)
                    ):
                        # Different things of one field ("logo", "radio": communication): said as such.
                        domains.append(f"{lexicon.CONCEPTS[name].label} ({x0} / {y0})")
                if synonyms:
                    reasons.append("synonymes: " + ", ".join(synonyms))
                if domains:
                    reasons.append("même domaine: " + domains[0])
            out.append(reasons)
        return out

    def _text_reasons(self, need_slot: int, offer_slot: int) -> list[str]:
        return self._text_reasons_many(np.array([int(need_slot)]), np.array([int(offer_slot)]))[0]

    def _geo_reasons_many(self, ns, os_, on, oo) -> list[list[str]]:
        lat_a, lon_a = self.org_lat.a[on], self.org_lon.a[on]
        lat_b, lon_b = self.org_lat.a[oo], self.org_lon.a[oo]
        has_xy = ~(np.isnan(lat_a) | np.isnan(lat_b))
        dn, do = self.org_dept.a[on], self.org_dept.a[oo]
        cn, co = self.org_commune.a[on], self.org_commune.a[oo]
        rn, ro = self.org_region.a[on], self.org_region.a[oo]
        en, eo = self.org_epci.a[on], self.org_epci.a[oo]
        an, ao = self.org_arr.a[on], self.org_arr.a[oo]
        # The intercommunality and the arrondissement only weigh for help given in person (scoring.py).
        physical = ((self.needs.flags.a[ns] | self.offers.flags.a[os_]) & PHYSICAL) != 0
        kind = np.select(
            [
                has_xy,
                (cn >= 0) & (cn == co),
                physical & (en >= 0) & (en == eo),
                physical & (an >= 0) & (an == ao),
                (dn >= 0) & (dn == do),
                (rn >= 0) & (rn == ro),
            ],
            [1, 2, 5, 6, 3, 4],
            0,
        ).tolist()
        km = np.zeros(len(ns), dtype=np.int64)
        if has_xy.any():  # one vectorised formula for the whole block (a Python call per pair cost a sixth)
            km[has_xy] = np.rint(
                geo.haversine_km(lat_a[has_xy], lon_a[has_xy], lat_b[has_xy], lon_b[has_xy])
            ).astype(np.int64)
        scopes = zip(self.needs.scope.a[ns].tolist(), self.offers.scope.a[os_].tolist(), strict=True)
        depts = dn.tolist()
        out = []
        for k, d, sids, dept in zip(kind, km.tolist(), scopes, depts, strict=True):
            if k == 1:
                first = [f"{d} km"]
            elif k == 2:
                first = ["même commune"]
            elif k == 3:
                first = [f"même département ({geo.DEPARTMENT_CODES[dept]})"]
            elif k == 4:
                first = ["même région"]
            elif k == 5:
                first = ["même intercommunalité"]
            elif k == 6:
                first = ["même arrondissement"]
            else:
                first = []
            out.append(first + self._scope_reasons(*sids))
        return out

    def _scope_reasons(self, sid_n: int, sid_o: int) -> list[str]:
        key = (sid_n, sid_o)
        got = self._scope_reason_cache.get(key)
        if got is None:
            found = []
            for sid in key:
                if not sid:
                    continue
                scope = self._scopes[sid]
                if scope.hard and scope.label:
                    found.append(f"dans le périmètre demandé ({scope.label})")
                elif scope.hard and scope.radius_km:
                    found.append(f"dans le rayon demandé ({scope.radius_km} km)")
                if scope.remote:
                    found.append("possible à distance")
            got = self._scope_reason_cache[key] = list(dict.fromkeys(found))
        return got


def _concept_phrases() -> dict[str, list[tuple[str, frozenset[str]]]]:
    """concept -> [(phrase as written, its stems)], including the phrases of narrower concepts; fills
    _PHRASE_SOURCE (concept -> phrase -> the concept, itself or narrower, that lists the phrase)."""
    children: dict[str, list[str]] = {}
    for name, c in lexicon.CONCEPTS.items():
        for p in c.parents:
            children.setdefault(p, []).append(name)
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for name in lexicon.CONCEPTS:
        todo, seen, phrases = [name], set(), []
        while todo:
            n = todo.pop(0)
            if n in seen:
                continue
            seen.add(n)
            for phrase in lexicon.CONCEPTS[n].phrases:
                stems = frozenset(text.phrase_stems(phrase))
                label = phrase if phrase not in text.MARKERS else lexicon.CONCEPTS[n].label
                phrases.append((label, stems))
                _PHRASE_SOURCE.setdefault(name, {}).setdefault(label, n)
            todo.extend(children.get(n, []))
        phrases.sort(key=lambda p: -len(p[1]))
        out[name] = phrases
    return out


_PHRASE_SOURCE: dict[str, dict[str, str]] = {}
_PHRASES = _concept_phrases()


# concept -> stem -> [(-number of stems, phrase, stems)]: tuples sort longest first, then by phrase.
_PHRASES_BY_STEM: dict[str, dict[str, list[tuple[int, str, frozenset[str]]]]] = {}
for _concept, _phrases in _PHRASES.items():
    for _label, _stems in _phrases:
        for _stem in _stems:
            _PHRASES_BY_STEM.setdefault(_concept, {}).setdefault(_stem, []).append(
                (-len(_stems), _label, _stems)
            )


def _phrases_in(concept: str, terms: set[str]) -> list[str]:
    """The lexicon phrases of a concept found in a text's terms (longest first; stems compared)."""
    by_stem = _PHRASES_BY_STEM.get(concept)
    if not by_stem:
        return []
    found = {p for t in by_stem.keys() & terms for p in by_stem[t] if p[2] <= terms}
    if len(found) == 1:
        return [next(iter(found))[1]]
    return [label for _n, label, _stems in sorted(found)]


# --- sentences for people (web pages, API, contact requests) -----------------------------------------
# The reasons above keep the terse format fixed by contracts/matching.md (the `terreau match` output).
# sentences() rewrites them, for the application, as short French sentences with the themes' labels and
# French typography (a non-breaking space before « : ; ? ! », inside guillemets and before units).

NBSP = "\u00a0"
_TYPE_CODE_BY_LABEL = {label: code for code, label in TYPE_LABELS.items()}
_VOWELS = tuple("aeiouyhàâäéèêëîïôöùûüœæ")
_REASON_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = []


def _reason(pattern: str):
    def register(func: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
        _REASON_PATTERNS.append((re.compile(pattern), func))
        return func

    return register


def _de(word: str) -> str:
    """« de » before a word, elided before a vowel or a mute h (« d'ateliers »)."""
    return f"d'{word}" if word[:1].lower() in _VOWELS else f"de {word}"


def _enumerate(words: list[str]) -> str:
    words = [w for w in words if w]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]


def _type_label(label: str) -> str:
    code = _TYPE_CODE_BY_LABEL.get(label)
    return TYPES[code].lower() if code else label


@_reason(r"^type (?P<a>.+?) (?P<sign>[=≈]) (?P<b>.+?)(?P<inferred> \(déduit du texte\))?$")
def _type_sentence(m: re.Match[str]) -> str:
    a, b = _type_label(m["a"]), _type_label(m["b"])
    sentence = (
        f"Même type d'aide{NBSP}: {a}" if m["sign"] == "=" else f"Types d'aide proches{NBSP}: {a} et {b}"
    )
    return sentence + (" (d'après les descriptions)." if m["inferred"] else ".")


@_reason(r"^(?P<what>même thème|objet du financeur): (?P<code>.+)$")
def _theme_sentence(m: re.Match[str]) -> str:
    what = "Même thème" if m["what"] == "même thème" else "Dans ce que finance l'offre"
    return f"{what}{NBSP}: {THEMES.get(m['code'], m['code'])}."


@_reason(r"^texte: (?P<words>.+)$")
def _words_sentence(m: re.Match[str]) -> str:
    words = m["words"].split(", ")
    return f"Mot{'s' if len(words) > 1 else ''} en commun{NBSP}: {_enumerate(words)}."


@_reason(r"^synonymes: (?P<pairs>.+)$")
def _synonyms_sentence(m: re.Match[str]) -> str:
    pairs = [p.split(" ≈ ", 1) for p in m["pairs"].split(", ") if " ≈ " in p]
    said = [f"{_de(x)} et {_de(y)}" for x, y in pairs]
    return f"Les deux parlent {', '.join(said)}." if said else ""


@_reason(r"^même domaine: (?P<label>.+) \((?P<x>.+) / (?P<y>.+)\)$")
def _domain_sentence(m: re.Match[str]) -> str:
    return f"Même domaine{NBSP}: {m['label']} ({m['x']} d'un côté, {m['y']} de l'autre)."


@_reason(r"^(?P<km>\d+) km$")
def _distance_sentence(m: re.Match[str]) -> str:
    km = int(m["km"])
    return f"À moins d'1{NBSP}km l'un de l'autre." if km < 1 else f"À {km}{NBSP}km l'un de l'autre."


@_reason(r"^même commune$")
def _commune_sentence(m: re.Match[str]) -> str:
    return "Dans la même commune."


@_reason(r"^même département \((?P<code>.+)\)$")
def _department_sentence(m: re.Match[str]) -> str:
    return f"Dans le même département ({m['code']})."


@_reason(r"^même intercommunalité$")
def _epci_sentence(m: re.Match[str]) -> str:
    return "Dans la même intercommunalité."


@_reason(r"^même arrondissement$")
def _arrondissement_sentence(m: re.Match[str]) -> str:
    return "Dans le même arrondissement."


@_reason(r"^même région$")
def _region_sentence(m: re.Match[str]) -> str:
    return "Dans la même région."


@_reason(r"^dans le périmètre demandé \((?P<label>.+)\)$")
def _perimeter_sentence(m: re.Match[str]) -> str:
    return f"Dans le périmètre demandé{NBSP}: {m['label']}."


@_reason(r"^dans le rayon demandé \((?P<km>\d+) km\)$")
def _radius_sentence(m: re.Match[str]) -> str:
    return f"Dans le rayon demandé ({m['km']}{NBSP}km)."


@_reason(r"^offre ouverte à tout projet$")
def _broad_sentence(m: re.Match[str]) -> str:
    return "L'offre est ouverte à tout projet de ce type d'aide."


@_reason(r"^possible à distance$")
def _remote_sentence(m: re.Match[str]) -> str:
    return "Aide possible à distance."


_PAIRS = re.compile(r"^(?P<n>\d+) paires complémentaires$")


@_reason(_PAIRS.pattern)
def _pairs_sentence(m: re.Match[str], shown: int | None = None) -> str:
    total = int(m["n"])
    if shown is None or shown >= total:
        return f"Plusieurs points de rencontre{NBSP}: {total} paires besoin-ressource."
    if shown == 1:
        return f"Plusieurs points de rencontre{NBSP}: 1 paire besoin-ressource affichée sur {total}."
    return f"Plusieurs points de rencontre{NBSP}: {shown} paires besoin-ressource affichées sur {total}."


@_reason(r"^échange dans les deux sens$")
def _both_ways_sentence(m: re.Match[str]) -> str:
    return "Chacun peut aider l'autre."


def sentence(reason: str) -> str:
    """One engine reason as a short French sentence ("" when there is nothing to say)."""
    for pattern, func in _REASON_PATTERNS:
        m = pattern.match(reason)
        if m:
            return func(m)
    text_ = reason.strip()
    return f"{text_[:1].upper()}{text_[1:]}." if text_ else ""


def sentences(reasons, *, pairs_shown: int | None = None) -> list[str]:
    """The engine's reasons (contract format) as sentences a person would say, in the same order.

    pairs_shown: how many of the partner's pairs the page lists, so that the number of pairs announced
    matches them ("3 paires besoin-ressource affichées sur 6")."""
    said = []
    for r in reasons:
        m = _PAIRS.match(r) if pairs_shown is not None else None
        said.append(_pairs_sentence(m, pairs_shown) if m else sentence(r))
    return [s for s in dict.fromkeys(said) if s]
