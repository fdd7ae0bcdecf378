"""The complementarity engine: who can give what to whom, and why.

Pure Python + numpy/scipy (no Django, no network, no model). A pair is (need of X, offer of Y), X != Y; its
score in [0, 1] is

    relevance x type compatibility x kinds of organisations x geography x status/freshness

- relevance = 0.85 * (1 - exp(-3 * cosine)) + 0.15 * theme similarity, where cosine is between TF-IDF
  vectors of stems and lexicon concepts (text.py), theme similarity 1 for the same theme code, 0.5 when the
  organisations' themes meet, 0 otherwise (codes are often missing or wrong: text carries the score);
- type compatibility from TYPE_COMPATIBILITY (given code, else the kinds of help the text suggests);
- geography: distance when both organisations have coordinates, else same commune/department/region, and
  the stated scope ("uniquement dans la Vienne": a hard filter; a plain mention: a soft preference);
- status: fulfilled and withdrawn items are ignored, "in_discussion" weighs less; freshness relative to the
  newest `updated` date of the data (never to today's date, so results are reproducible).

Partners of X aggregate its pairs with Y in both directions: best + 0.25 * (1 - best) * second best.

`Index` keeps the matrices warm: the vocabulary and IDF are fixed when it is built (new words get the IDF of
a rare word), items can be added, edited or removed, and `partners(org_id)` answers with one sparse
row-vector product per item of the organisation. `all_partners()` runs the whole territory in chunks,
blocked by type compatibility, keeping the best pairs per item, without materialising the pair matrix
(chunks run on THREADS threads: scipy's sparse products and numpy release the GIL); pairs are then grouped
into partners a block of organisations at a time with numpy sorts and reductions (no Python loop per pair),
and reasons are written, in bulk, only for the partners that are listed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from terreau.vocabulary import CONTRACT_KINDS, THEMES, TYPES

from . import geo, lexicon, text

# --- tables (keep them small and explicit) ---------------------------------------------------------------

TYPE_CODES: list[str] = list(TYPES)
THEME_CODES: list[str] = list(THEMES)
KINDS: list[str] = list(CONTRACT_KINDS)
STATUSES = {"open": 1.0, "in_discussion": 0.85, "fulfilled": 0.0, "withdrawn": 0.0}

TYPE_LABELS = {
    "competences": "compétences",
    "benevolat": "bénévolat",
    "materiel": "matériel",
    "financement": "financement",
    "locaux": "locaux",
    "reseau": "réseau",
    "visibilite": "visibilité",
    "formation": "formation",
    "mobilite": "mobilité",
    "autre": "autre",
}

# (need type, offer type) -> weight; the same type is 1. Unlisted pairs are incompatible.
TYPE_COMPATIBILITY: dict[tuple[str, str], float] = {
    ("competences", "formation"): 0.7,
    ("formation", "competences"): 0.8,
    ("competences", "benevolat"): 0.7,  # bénévolat de compétences
    ("benevolat", "competences"): 0.6,
    ("formation", "benevolat"): 0.4,
    ("materiel", "financement"): 0.5,  # money to buy the equipment
    ("mobilite", "materiel"): 0.5,  # a vehicle given
    ("mobilite", "financement"): 0.4,
    ("materiel", "mobilite"): 0.3,
    ("locaux", "materiel"): 0.2,
    ("visibilite", "reseau"): 0.6,
    ("reseau", "visibilite"): 0.6,
    ("reseau", "competences"): 0.3,
    ("visibilite", "competences"): 0.5,  # a communication agency's skills
    ("financement", "reseau"): 0.3,  # introductions to funders
}
UNKNOWN_TYPE = 0.6  # one side has no type code and its text suggests none
INFERRED_TYPE = 0.9  # factor when a type only comes from the text
INFERRED_FLOOR = 0.3  # compatibility of types read from the text that the table calls incompatible
for _t in TYPE_CODES:
    if _t != "autre":
        TYPE_COMPATIBILITY[(_t, "autre")] = 0.5
        TYPE_COMPATIBILITY[("autre", _t)] = 0.5
    TYPE_COMPATIBILITY[(_t, _t)] = 1.0

# (kind of the organisation with the need, kind of the one with the offer) -> weight; default 0.8.
KIND_COMPATIBILITY: dict[tuple[str, str], float] = {
    ("association", "company"): 1.0,
    ("association", "foundation"): 1.0,
    ("association", "public_body"): 0.95,
    ("association", "association"): 0.9,
    ("association", "other"): 0.9,
    ("other", "company"): 1.0,
    ("other", "foundation"): 1.0,
    ("other", "association"): 0.9,
    ("company", "association"): 0.9,
    ("public_body", "association"): 0.9,
    ("public_body", "company"): 0.9,
    ("company", "company"): 0.75,
    ("company", "foundation"): 0.6,
    ("foundation", "foundation"): 0.6,
}
DEFAULT_KIND = 0.8

TEXT_GAIN = 3.0
THEME_WEIGHT = 0.15
CONCEPT_WEIGHT = 0.8  # concept tokens weigh a bit less than the words themselves
SECOND_PAIR = 0.25
MIN_PAIR_SCORE = 0.02
QUERY_TERMS = 8  # heaviest terms of a need or offer used to find candidates at scale
CHAMPIONS = 200  # postings kept per term for candidate generation at scale (all_partners with pairs_per_item)
SOFT_SCOPE_OUTSIDE = 0.8
MAX_PAIRS_SHOWN = 3
WHY_CACHE = 100_000  # reasons of pairs kept between blocks of all_partners (bounded memory)
THREADS = 2  # threads for the candidate search of all_partners (sparse products release the GIL)

_OWN_CODES = {None: 0, "commune": 1, "department": 2, "region": 3}


# --- input -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    type: str | None = None
    theme: str | None = None
    status: str | None = None
    updated: dt.date | None = None


@dataclass(frozen=True)
class Organisation:
    id: str
    kind: str = "other"
    name: str = ""
    commune: str | None = None
    themes: tuple[str, ...] = ()
    needs: tuple[Item, ...] = ()
    offers: tuple[Item, ...] = ()
    lat: float | None = None
    lon: float | None = None


def _item(d: Mapping) -> Item:
    updated = d.get("updated")
    if isinstance(updated, str):
        updated = dt.date.fromisoformat(updated[:10])
    return Item(
        id=str(d["id"]),
        text=d.get("text") or "",
        type=d.get("type") or None,
        theme=d.get("theme") or None,
        status=d.get("status") or None,
        updated=updated,
    )


def organisation_from_dict(d: Mapping) -> Organisation:
    """Builds an Organisation from one (already validated) line of the exchange format."""
    return Organisation(
        id=str(d["id"]),
        kind=d.get("kind") or "other",
        name=d.get("name") or "",
        commune=d.get("commune") or None,
        themes=tuple(d.get("themes") or ()),
        needs=tuple(_item(x) for x in d.get("needs") or ()),
        offers=tuple(_item(x) for x in d.get("offers") or ()),
        lat=d.get("lat"),
        lon=d.get("lon"),
    )


# --- output ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    need: str
    offer: str
    direction: str  # "receives": the organisation's need meets the partner's offer; "gives": the reverse
    score: float

    def as_dict(self) -> dict:
        return {"need": self.need, "offer": self.offer, "direction": self.direction, "score": self.score}


@dataclass(frozen=True)
class Partner:
    id: str
    score: float
    pairs: tuple[Pair, ...]
    why: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "score": self.score,
            "pairs": [p.as_dict() for p in self.pairs],
            "why": list(self.why),
        }


class ScoredPairs(NamedTuple):
    """Scored (need, offer) pairs as parallel arrays of item slots (rows of Index.needs / Index.offers).

    Unpacks as (need slots, offer slots, scores); Index.pairs_for_items() makes them and
    Index.partners_from_pairs() turns them, possibly filtered or re-weighted, into partners."""

    need: np.ndarray  # need slots (integers)
    offer: np.ndarray  # offer slots (integers)
    score: np.ndarray  # scores in [0, 1] (floats)


# --- storage helpers ---------------------------------------------------------------------------------


class _Grow:
    """A numpy array that grows by doubling (append is amortised O(1))."""

    def __init__(self, dtype, fill):
        self.a = np.full(64, fill, dtype=dtype)
        self.n = 0
        self.fill = fill

    def append(self, value) -> int:
        if self.n == len(self.a):
            bigger = np.full(len(self.a) * 2, self.fill, dtype=self.a.dtype)
            bigger[: self.n] = self.a
            self.a = bigger
        self.a[self.n] = value
        self.n += 1
        return self.n - 1

    def extend(self, values: np.ndarray) -> None:
        need = self.n + len(values)
        if need > len(self.a):
            bigger = np.full(max(need, len(self.a) * 2), self.fill, dtype=self.a.dtype)
            bigger[: self.n] = self.a[: self.n]
            self.a = bigger
        self.a[self.n : need] = values
        self.n = need

    @property
    def v(self) -> np.ndarray:
        return self.a[: self.n]


class Vocabulary:
    """Terms -> columns with their IDF, fixed when an index is built; unseen terms get a rare word's IDF."""

    def __init__(self, df: Mapping[str, int], n_docs: int):
        self.terms: list[str] = sorted(df)
        self.col: dict[str, int] = {t: i for i, t in enumerate(self.terms)}
        self.n_docs = n_docs
        self.idf = [math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in self.terms]
        self.surfaces: dict[str, str] = {}
        self._factor = np.zeros(0)

    def column(self, term: str, grow: bool = True) -> int | None:
        col = self.col.get(term)
        if col is None and grow:
            col = len(self.terms)
            self.terms.append(term)
            self.col[term] = col
            self.idf.append(math.log((1 + self.n_docs) / 2) + 1.0)
        return col

    def vectors(self, analyses: list[text.Analysis], grow: bool = True) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows (concept tokens weighted by CONCEPT_WEIGHT), one per analysis."""
        cols: list[int] = []
        vals: list[float] = []
        lengths = np.zeros(len(analyses) + 1, dtype=np.int64)
        for i, analysis in enumerate(analyses):
            for term, w in analysis.terms.items():
                col = self.column(term, grow)
                if col is None:
                    continue
                if term not in self.surfaces:
                    self.surfaces[term] = analysis.surfaces.get(term, term)
                cols.append(col)
                vals.append(w)
            lengths[i + 1] = len(cols)
        idx = np.asarray(cols, dtype=np.int32)
        idf = np.asarray(self.idf, dtype=np.float64)
        if len(self._factor) != len(self.terms):
            self._factor = np.where([t.startswith("~") for t in self.terms], CONCEPT_WEIGHT, 1.0)
        factor = self._factor
        data = (np.asarray(vals, dtype=np.float64) * idf[idx] * factor[idx]).astype(np.float32)
        sq = np.concatenate([[0.0], np.cumsum(data.astype(np.float64) ** 2)])
        norms = np.sqrt(sq[lengths[1:]] - sq[lengths[:-1]])
        norms[norms == 0] = 1.0
        data /= np.repeat(norms, np.diff(lengths)).astype(np.float32)
        m = sp.csr_matrix((data, idx, lengths), shape=(len(analyses), len(self.terms)))
        m.sort_indices()
        return m

    def vector(self, analysis: text.Analysis, grow: bool = True) -> tuple[np.ndarray, np.ndarray]:
        m = self.vectors([analysis], grow)
        return m.indices.copy(), m.data.copy()


class _Side:
    """Needs or offers: a main CSR matrix (and its transpose) plus recent rows kept apart until compaction."""

    def __init__(self, name: str):
        self.name = name
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.type_code: list[str | None] = []  # given code, or the one suggested by the text (for reasons)
        self.org = _Grow(np.int32, -1)
        self.mask = _Grow(np.int32, 0)
        self.theme = _Grow(np.int16, -1)
        self.scope = _Grow(np.int32, 0)
        self.status = _Grow(np.float32, 1.0)
        self.updated = _Grow(np.int32, -1)
        self.alive = _Grow(np.bool_, False)
        self.main = sp.csr_matrix((0, 0), dtype=np.float32)
        self.main_t = sp.csr_matrix((0, 0), dtype=np.float32)
        self.n_main = 0
        self.delta: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._delta_csr: tuple[np.ndarray, sp.csr_matrix] | None = None
        self.slot: dict[tuple[int, str], int] = {}

    def row(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        if s < self.n_main:
            a, b = self.main.indptr[s], self.main.indptr[s + 1]
            return self.main.indices[a:b], self.main.data[a:b]
        return self.delta[s]

    def rows(self, slots: Iterable[int], n_cols: int) -> sp.csr_matrix:
        parts = [self.row(int(s)) for s in slots]
        indptr = np.zeros(len(parts) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(p[0]) for p in parts])
        indices = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
        data = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(parts), n_cols))

    def gather(self, slots: np.ndarray, n_cols: int) -> sp.csr_matrix:
        """The rows of these slots as a CSR matrix (fast path when they all are in the main matrix)."""
        slots = np.asarray(slots, dtype=np.int64)
        if not len(slots) or slots.max() >= self.n_main:
            return self.rows(slots.tolist(), n_cols)
        self.fit_columns(n_cols)
        return self.main[slots]

    def delta_matrix(self, n_cols: int) -> tuple[np.ndarray, sp.csr_matrix]:
        if self._delta_csr is None or self._delta_csr[1].shape[0] != n_cols:
            slots = np.array(sorted(self.delta), dtype=np.int64)
            self._delta_csr = (slots, self.rows(slots, n_cols).T.tocsr())
        return self._delta_csr

    def fit_columns(self, n_cols: int) -> None:
        if self.main.shape[1] < n_cols:
            self.main.resize((self.n_main, n_cols))
            self.main_t.resize((n_cols, self.n_main))


# --- the index ---------------------------------------------------------------------------------------


class Index:
    """A warm index of needs and offers; see the module docstring."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.org_ids: list[str] = []
        self.org_slot: dict[str, int] = {}
        self.org_kind = _Grow(np.int8, KINDS.index("other"))
        self.org_dept = _Grow(np.int16, -1)
        self.org_region = _Grow(np.int16, -1)
        self.org_commune = _Grow(np.int32, -1)
        self.org_lat = _Grow(np.float64, np.nan)
        self.org_lon = _Grow(np.float64, np.nan)
        self.org_themes = _Grow(np.int64, 0)
        self.org_alive = _Grow(np.bool_, False)
        self.org_items: dict[int, dict[str, list[int]]] = {}
        self._communes: dict[str, int] = {}
        self.needs = _Side("need")
        self.offers = _Side("offer")
        # Interned type masks and scopes, with their lookup tables.
        self._masks: list[tuple[int, bool]] = [(0, False)]
        self._mask_id: dict[tuple[int, bool], int] = {(0, False): 0}
        self._compat = np.zeros((1, 1), dtype=np.float32)
        self._scopes: list[text.Scope] = [text.NO_SCOPE]
        self._scope_id: dict[text.Scope, int] = {text.NO_SCOPE: 0}
        self._scope_tables: dict[str, np.ndarray] | None = None
        self._kind = np.array(
            [[KIND_COMPATIBILITY.get((a, b), DEFAULT_KIND) for b in KINDS] for a in KINDS], dtype=np.float32
        )
        self._ref_date: int | None = None
        self._ref_dirty = True
        self._analysis_cache: dict[str, text.Analysis] = {}
        self._bulk: dict[str, list[text.Analysis]] | None = None
        self._type_reasons: dict[tuple[int, int], str | None] = {}
        self._why_cache: dict[tuple[int, int], list[str]] = {}
        self._phrase_cache: dict[tuple[str, int, str], list[str]] = {}
        self._scope_reason_cache: dict[tuple[int, int], list[str]] = {}
        self._term_cache: tuple | None = None

    # -- building ---------------------------------------------------------------------------------------

    @classmethod
    def build(cls, organisations: Iterable[Organisation], *, vocabulary: Vocabulary | None = None) -> Index:
        orgs = list(organisations)
        analyses: dict[str, text.Analysis] = {}
        for org in orgs:
            for item in (*org.needs, *org.offers):
                if item.text not in analyses:
                    analyses[item.text] = text.analyse(item.text)
        if vocabulary is None:
            df: dict[str, int] = {}
            n_docs = 0
            for org in orgs:
                for item in (*org.needs, *org.offers):
                    n_docs += 1
                    for term in analyses[item.text].terms:
                        df[term] = df.get(term, 0) + 1
            vocabulary = Vocabulary(df, n_docs)
        index = cls(vocabulary)
        index._analysis_cache = analyses
        index._bulk = {"need": [], "offer": []}
        for org in orgs:
            index.upsert_organisation(org)
        for side in (index.needs, index.offers):
            side.main = vocabulary.vectors(index._bulk[side.name])
            side.main_t = side.main.T.tocsr()
            side.n_main = side.main.shape[0]
        index._bulk = None
        index._analysis_cache = {}
        index.compact()
        return index

    def compact(self) -> None:
        """Moves recent rows into the main matrices and drops removed ones' columns from the products."""
        n_cols = len(self.vocabulary.terms)
        for side in (self.needs, self.offers):
            n = len(side.ids)
            if side.n_main == n and not side.delta and side.main.shape == (n, n_cols):
                continue
            m = side.rows(range(n), n_cols)
            # Rows of removed items stay as empty rows so that slots never move.
            dead = ~side.alive.v
            if dead.any():
                m = sp.diags((~dead).astype(np.float32)) @ m
                m.eliminate_zeros()
            side.main = m.tocsr()
            side.main_t = side.main.T.tocsr()
            side.n_main = n
            side.delta = {}
            side._delta_csr = None

    def _analyse(self, s: str) -> text.Analysis:
        a = self._analysis_cache.get(s)
        return a if a is not None else text.analyse(s)

    # -- organisations and items ---------------------------------------------------------------------

    def upsert_organisation(self, org: Organisation) -> None:
        """Adds or replaces an organisation with all its needs and offers."""
        if org.id in self.org_slot:
            self.remove_organisation(org.id)
        slot = len(self.org_ids)
        self.org_ids.append(org.id)
        self.org_slot[org.id] = slot
        self.org_kind.append(KINDS.index(org.kind) if org.kind in KINDS else KINDS.index("other"))
        dept = geo.department_of(org.commune)
        region = geo.region_of(dept)
        self.org_dept.append(geo.DEPARTMENT_INDEX[dept] if dept else -1)
        self.org_region.append(geo.REGION_INDEX[region] if region else -1)
        self.org_commune.append(
            self._communes.setdefault(org.commune, len(self._communes)) if org.commune else -1
        )
        has_xy = org.lat is not None and org.lon is not None
        self.org_lat.append(float(org.lat) if has_xy else np.nan)
        self.org_lon.append(float(org.lon) if has_xy else np.nan)
        mask = 0
        for theme in org.themes:
            if theme in THEME_CODES:
                mask |= 1 << THEME_CODES.index(theme)
        self.org_themes.append(mask)
        self.org_alive.append(True)
        self.org_items[slot] = {"need": [], "offer": []}
        for item in org.needs:
            self._add_item(slot, self.needs, item)
        for item in org.offers:
            self._add_item(slot, self.offers, item)

    def remove_organisation(self, org_id: str) -> None:
        slot = self.org_slot.pop(org_id)
        self.org_alive.a[slot] = False
        for name, side in (("need", self.needs), ("offer", self.offers)):
            for s in self.org_items[slot][name]:
                side.alive.a[s] = False
                side.slot.pop((slot, side.ids[s]), None)
        del self.org_items[slot]
        self._ref_dirty = True

    def _side(self, side: str) -> _Side:
        if side not in ("need", "offer"):
            raise ValueError(side)
        return self.needs if side == "need" else self.offers

    def upsert_item(self, org_id: str, side: str, item: Item | Mapping) -> None:
        """Adds or edits one need ("need") or offer ("offer") of an organisation already in the index."""
        if not isinstance(item, Item):
            item = _item(item)
        org = self.org_slot[org_id]
        self.remove_item(org_id, side, item.id, missing_ok=True)
        self._add_item(org, self._side(side), item)

    def remove_item(self, org_id: str, side: str, item_id: str, *, missing_ok: bool = False) -> None:
        org = self.org_slot[org_id]
        store = self._side(side)
        s = store.slot.pop((org, item_id), None)
        if s is None:
            if missing_ok:
                return
            raise KeyError(item_id)
        store.alive.a[s] = False
        self.org_items[org][side].remove(s)
        self._ref_dirty = True

    def _add_item(self, org: int, side: _Side, item: Item) -> None:
        status = STATUSES.get(item.status or "open", 1.0)
        analysis = self._analyse(item.text)
        s = len(side.ids)
        side.ids.append(item.id)
        side.texts.append(item.text)
        side.org.append(org)
        if item.type in TYPES:
            bits, given = 1 << TYPE_CODES.index(item.type), True
            side.type_code.append(item.type)
        else:
            bits, given = 0, False
            for t in analysis.types:
                bits |= 1 << TYPE_CODES.index(t)
            side.type_code.append(None)
        side.mask.append(self._intern_mask(bits, given))
        side.theme.append(THEME_CODES.index(item.theme) if item.theme in THEMES else -1)
        side.scope.append(self._intern_scope(analysis.scope))
        side.status.append(status)
        side.updated.append(item.updated.toordinal() if item.updated else -1)
        side.alive.append(status > 0)
        if self._bulk is not None:
            self._bulk[side.name].append(analysis)
        else:
            side.delta[s] = self.vocabulary.vector(analysis)
            side._delta_csr = None
        if status > 0:
            side.slot[(org, item.id)] = s
            self.org_items[org][side.name].append(s)
        self._ref_dirty = True

    def _intern_mask(self, bits: int, given: bool) -> int:
        key = (bits, given)
        mid = self._mask_id.get(key)
        if mid is None:
            mid = len(self._masks)
            self._masks.append(key)
            self._mask_id[key] = mid
            grown = np.zeros((mid + 1, mid + 1), dtype=np.float32)
            grown[:mid, :mid] = self._compat
            for other in range(mid + 1):
                grown[mid, other] = self._mask_compat(key, self._masks[other])
                grown[other, mid] = self._mask_compat(self._masks[other], key)
            self._compat = grown
        return mid

    @staticmethod
    def _types(bits: int) -> list[str]:
        return [t for i, t in enumerate(TYPE_CODES) if bits >> i & 1]

    def _mask_compat(self, a: tuple[int, bool], b: tuple[int, bool]) -> float:
        if not a[0] or not b[0]:
            return UNKNOWN_TYPE
        best = max(TYPE_COMPATIBILITY.get((x, y), 0.0) for x in self._types(a[0]) for y in self._types(b[0]))
        if a[1] and b[1]:
            return best
        # A type read from the text is a guess: it lowers a pair, it never excludes it.
        return max(best * INFERRED_TYPE, INFERRED_FLOOR)

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
                "radius": np.array([sc.radius_km or 0 for sc in self._scopes], dtype=np.float64),
                "own": np.array([_OWN_CODES[sc.own] for sc in self._scopes], dtype=np.int8),
                "any": np.array([not sc.empty for sc in self._scopes]),
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
        prox = np.where(
            has_xy,
            0.6 + 0.4 * np.exp(-np.nan_to_num(dist) / 40.0),
            np.select(
                [(cn == co) & (cn >= 0), (dn == do) & (dn >= 0), (rn == ro) & (rn >= 0), (dn < 0) | (do < 0)],
                [1.0, 0.9, 0.75, 0.75],
                0.6,
            ),
        )
        return prox, dist, has_xy

    def _scope_factor(self, sc, me, other, dist, has_xy) -> np.ndarray:
        """1 inside the scope, 0 outside a hard scope, SOFT_SCOPE_OUTSIDE outside a soft one."""
        t = self._scope_arrays()
        out = np.ones(len(sc), dtype=np.float64)
        active = t["any"][sc]
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
        ok &= np.select([own == 1, own == 2, own == 3], [same_commune, same_dept, same_region], True)
        radius = t["radius"][sc]
        within = np.where(
            has_xy, np.nan_to_num(dist, nan=1e9) <= radius, np.where(radius <= 60, same_dept, same_region)
        )
        ok &= (radius == 0) | within
        out[active] = np.where(ok, 1.0, np.where(t["hard"][sc], 0.0, SOFT_SCOPE_OUTSIDE))
        return out

    def _freshness(self, updated: np.ndarray) -> np.ndarray:
        ref = self._reference_date()
        age = np.where(updated >= 0, ref - updated, 0)
        return np.select([age <= 180, age <= 365, age <= 730], [1.0, 0.9, 0.8], 0.7)

    def score_pairs(self, need_slots: np.ndarray, offer_slots: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """Scores of pairs (need slot, offer slot) given their text cosine; vectorised."""
        need_side, offer_side = self.needs, self.offers
        on, oo = need_side.org.a[need_slots], offer_side.org.a[offer_slots]
        tn, to = (
            need_side.theme.a[need_slots].astype(np.int64),
            offer_side.theme.a[offer_slots].astype(np.int64),
        )
        same_theme = (tn >= 0) & (tn == to)
        themes_n = self.org_themes.a[on] | np.where(tn >= 0, np.left_shift(1, np.maximum(tn, 0)), 0)
        themes_o = self.org_themes.a[oo] | np.where(to >= 0, np.left_shift(1, np.maximum(to, 0)), 0)
        theme_sim = np.where(same_theme, 1.0, np.where((themes_n & themes_o) != 0, 0.5, 0.0))
        relevance = (1 - THEME_WEIGHT) * (1 - np.exp(-TEXT_GAIN * cosine.astype(np.float64)))
        relevance += THEME_WEIGHT * theme_sim
        factor = self._compat[need_side.mask.a[need_slots], offer_side.mask.a[offer_slots]].astype(np.float64)
        factor *= self._kind[self.org_kind.a[on], self.org_kind.a[oo]]
        prox, dist, has_xy = self._geo(on, oo)
        sn, so = need_side.scope.a[need_slots], offer_side.scope.a[offer_slots]
        remote = self._scope_arrays()["remote"]
        prox = np.where(remote[sn] | remote[so], np.maximum(prox, 0.9), prox)
        factor *= prox
        factor *= self._scope_factor(sn, on, oo, dist, has_xy)
        factor *= self._scope_factor(so, oo, on, dist, has_xy)
        factor *= need_side.status.a[need_slots] * offer_side.status.a[offer_slots]
        factor *= self._freshness(need_side.updated.a[need_slots]) * self._freshness(
            offer_side.updated.a[offer_slots]
        )
        factor[on == oo] = 0.0
        return np.clip(relevance * factor, 0.0, 1.0)

    # -- queries ------------------------------------------------------------------------------------

    def _products(self, query: _Side, target: _Side, q_slots: list[int]):
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

    def partners_from_pairs(self, org_id: str, pairs: ScoredPairs, *, top: int = 10) -> list[Partner]:
        """The best `top` partners of one organisation from the given scored pairs, as partners() lists
        them: only pairs involving the organisation and scoring at least MIN_PAIR_SCORE count, a partner
        scores best + SECOND_PAIR * (1 - best) * second best of its pairs, ties are broken by partner id,
        and each partner comes with its best pairs and the reasons of its best pair."""
        slot = self.org_slot[org_id]
        ns, os_, sc = pairs
        return dict(self._aggregate(ns, os_, sc, top, only=[slot])).get(slot, [])

    def partners(self, org_id: str, top: int = 10) -> list[Partner]:
        """The best partners of one organisation, exact (every pair sharing a term is scored)."""
        items = self.org_items[self.org_slot[org_id]]
        return self.partners_from_pairs(org_id, self.pairs_for_items(items["need"], items["offer"]), top=top)

    def all_partners(self, top: int = 10, **options) -> dict[str, list[Partner]]:
        """{organisation id: partners} for every organisation (see iter_partners)."""
        return dict(self.iter_partners(top, **options))

    def iter_partners(
        self,
        top: int = 10,
        *,
        pairs_per_item: int | None = None,
        champions: int = CHAMPIONS,
        chunk_cells: int = 20_000_000,
        threads: int = THREADS,
    ) -> Iterator[tuple[str, list[Partner]]]:
        """(organisation id, partners) for every organisation, in the order they were added; streamed so
        that the explanations of 100,000 organisations are never all in memory.

        pairs_per_item=None is exact: every pair sharing a term is scored (small data). A number bounds time
        and memory at scale: candidates of a need come from the `champions` offers where each of its terms
        weighs most (champion lists, Manning et al. IR book 7.1.3), the best 2 x pairs_per_item of them by
        partial cosine are rescored exactly, and the best pairs_per_item kept; the same for each offer
        against the needs.
        """
        self.compact()
        self._scope_arrays()
        self._reference_date()
        args = (pairs_per_item, champions, chunk_cells)
        found = [
            self._best_pairs(self.needs, self.offers, *args, need_side=True, threads=threads),
            self._best_pairs(self.offers, self.needs, *args, need_side=False, threads=threads),
        ]
        ns = np.concatenate([f[0] for f in found])
        os_ = np.concatenate([f[1] for f in found])
        sc = np.concatenate([f[2] for f in found])
        if len(ns):
            key = ns.astype(np.int64) * max(1, len(self.offers.ids)) + os_
            key, first = np.unique(key, return_index=True)
            ns, os_, sc = ns[first], os_[first], sc[first]
        del found
        ns, os_, sc = ns.astype(np.int32), os_.astype(np.int32), sc.astype(np.float32)
        groups = self._aggregate(ns, os_, sc, top)
        pending = next(groups, None)
        for slot in range(len(self.org_ids)):
            partners: list[Partner] = []
            if pending is not None and pending[0] == slot:
                partners = pending[1]
                pending = next(groups, None)
            if self.org_alive.a[slot]:
                yield self.org_ids[slot], partners
        self._why_cache.clear()
        self._phrase_cache.clear()

    def _best_pairs(
        self, query: _Side, target: _Side, k, champions, chunk_cells, *, need_side: bool, threads: int = 1
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

        def run(chunk, sub, sub_t, t_slots):
            q = query.main[chunk]
            if k is None:
                res = (q @ sub_t).tocsr()
                r = np.repeat(np.arange(len(chunk)), np.diff(res.indptr))
                cols, cos = res.indices, res.data
            else:
                # Candidates by partial cosine x type compatibility (folded into the champion lists: one
                # query mask per chunk), then their exact cosine.
                res = (_strongest_terms(q, QUERY_TERMS) @ sub_t).tocsr()
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

        tasks = []
        for ok_masks, q_mask_list in blocks.items():
            t_slots = np.flatnonzero(t_alive & np.isin(t_masks, ok_masks))
            if not len(t_slots):
                continue
            sub = target.main[t_slots]
            sub_t = sub.T.tocsr()
            if k is not None:
                sub_t = _champion_lists(sub_t, champions)
            per_row = champions * QUERY_TERMS if k is not None else len(t_slots)
            step = int(max(16, min(4096, chunk_cells // max(1, per_row))))
            groups = [(None, q_alive[np.isin(q_masks, q_mask_list)])]
            if k is not None:
                groups = [(m, q_alive[q_masks == m]) for m in q_mask_list]
            for m, rows in groups:
                champ = sub_t
                if m is not None:
                    champ = sub_t.copy()
                    champ.data = champ.data * compat[m, t_masks[t_slots]][champ.indices]
                for start in range(0, len(rows), step):
                    tasks.append((rows[start : start + step], sub, champ, t_slots))
        if threads > 1 and len(tasks) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                found = list(pool.map(lambda t: run(*t), tasks))
        else:
            found = [run(*t) for t in tasks]
        if not found:
            return empty
        return tuple(np.concatenate([f[i] for f in found]) for i in range(3))

    # -- aggregation and reasons --------------------------------------------------------------------

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
        y_rank = _string_ranks([self.org_ids[i] for i in uy.tolist()])[inv]
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
        n_rank = _string_ranks([self.needs.ids[i] for i in un.tolist()])[inv_n]
        o_rank = _string_ranks([self.offers.ids[i] for i in uo.tolist()])[inv_o]
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
        th_n = need_side.theme.a[ns].astype(np.int64)
        th_o = offer_side.theme.a[os_].astype(np.int64)
        bit_n = np.where(th_n >= 0, np.left_shift(1, np.maximum(th_n, 0)), 0)
        bit_o = np.where(th_o >= 0, np.left_shift(1, np.maximum(th_o, 0)), 0)
        common = (self.org_themes.a[on] | bit_n) & (self.org_themes.a[oo] | bit_o)
        lowest = np.full(len(ns), -1, dtype=np.int64)
        for b in range(len(THEME_CODES) - 1, -1, -1):
            lowest = np.where((common >> b) & 1 == 1, b, lowest)
        theme = np.where((th_n >= 0) & (th_n == th_o), th_n, lowest).tolist()
        texts = self._text_reasons_many(ns, os_)
        geos = self._geo_reasons_many(ns, os_, on, oo)
        out = []
        for ty, th, tx, ge in zip(types, theme, texts, geos, strict=True):
            why = [ty] if ty else []
            if th >= 0:
                why.append(f"même thème: {THEME_CODES[th]}")
            why.extend(tx)
            why.extend(ge)
            out.append(why)
        return out

    def _type_reason(self, mask_n: int, mask_o: int) -> str | None:
        key = (mask_n, mask_o)
        if key not in self._type_reasons:
            (bits_n, given_n), (bits_o, given_o) = self._masks[mask_n], self._masks[mask_o]
            reason = None
            if bits_n and bits_o:
                tn, to = max(
                    ((x, y) for x in self._types(bits_n) for y in self._types(bits_o)),
                    key=lambda p: TYPE_COMPATIBILITY.get(p, 0.0),
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
            rank = _string_ranks(terms)
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
                for c in c_c[c_b[i] : c_b[i + 1]]:
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
                    if x and y and not set(x) & set(y):
                        pair = f"{x[0]} ≈ {y[0]}"
                        if pair not in synonyms:
                            synonyms.append(pair)
                    if len(synonyms) == 2:
                        break
                if synonyms:
                    reasons.append("synonymes: " + ", ".join(synonyms))
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
        kind = np.select(
            [has_xy, (cn >= 0) & (cn == co), (dn >= 0) & (dn == do), (rn >= 0) & (rn == ro)], [1, 2, 3, 4], 0
        ).tolist()
        coords = zip(lat_a.tolist(), lon_a.tolist(), lat_b.tolist(), lon_b.tolist(), strict=True)
        scopes = zip(self.needs.scope.a[ns].tolist(), self.offers.scope.a[os_].tolist(), strict=True)
        depts = dn.tolist()
        out = []
        for k, xy, sids, dept in zip(kind, coords, scopes, depts, strict=True):
            if k == 1:
                first = [f"{round(distance_km(*xy))} km"]
            elif k == 2:
                first = ["même commune"]
            elif k == 3:
                first = [f"même département ({geo.DEPARTMENT_CODES[dept]})"]
            elif k == 4:
                first = ["même région"]
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


def _string_ranks(strings: list[str]) -> np.ndarray:
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


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in degrees (floats; geo.haversine_km takes arrays)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, a)))


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


def _concept_phrases() -> dict[str, list[tuple[str, frozenset[str]]]]:
    """concept -> [(phrase as written, its stems)], including the phrases of narrower concepts."""
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
                stems = frozenset(text._phrase_stems(phrase))
                label = phrase if phrase not in text.MARKERS else lexicon.CONCEPTS[n].label
                phrases.append((label, stems))
            todo.extend(children.get(n, []))
        phrases.sort(key=lambda p: -len(p[1]))
        out[name] = phrases
    return out


_PHRASES = _concept_phrases()


_PHRASES_BY_STEM: dict[str, dict[str, list[tuple[str, frozenset[str]]]]] = {}
for _concept, _phrases in _PHRASES.items():
    for _label, _stems in _phrases:
        for _stem in _stems:
            _PHRASES_BY_STEM.setdefault(_concept, {}).setdefault(_stem, []).append((_label, _stems))


def _phrases_in(concept: str, terms: set[str]) -> list[str]:
    """The lexicon phrases of a concept found in a text's terms (longest first; stems compared)."""
    by_stem = _PHRASES_BY_STEM.get(concept)
    if not by_stem:
        return []
    candidates = {p for t in terms for p in by_stem.get(t, ())}
    found = sorted((p for p in candidates if p[1] <= terms), key=lambda p: (-len(p[1]), p[0]))
    return [label for label, _ in found]


# --- one-shot matching (the `terreau match` command) -------------------------------------------------

EXACT_LIMIT = 20_000  # up to this many needs+offers every pair is kept; above, the best pairs per item


def match(organisations: Iterable[Organisation], *, top: int = 10) -> Iterator[tuple[str, list[Partner]]]:
    """(organisation id, partners) in input order (organisation ids must be unique)."""
    orgs = list(organisations)
    if not orgs:
        return
    index = Index.build(orgs)
    n_items = sum(len(o.needs) + len(o.offers) for o in orgs)
    per_item = None if n_items <= EXACT_LIMIT else max(3 * top, 30)
    yield from index.iter_partners(top, pairs_per_item=per_item)
