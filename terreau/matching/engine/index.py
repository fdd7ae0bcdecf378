"""The index: storage of organisations, needs and offers, incremental updates, and the public queries."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import scipy.sparse as sp

from terreau.matching import communes, geo, reach, refurb, text
from terreau.vocabulary import THEMES, TYPES

from .aggregation import AggregationMixin
from .candidates import CandidatesMixin
from .reasons import ReasonsMixin
from .records import Item, Organisation, PairDetails, Partner, ScoredPairs, item_from_dict
from .scoring import ScoringMixin
from .storage import BulkTerms, Grow, Side, Vocabulary
from .tables import (
    BROAD,
    CHAMPIONS,
    DEFAULT_KIND,
    INTRODUCES,
    KIND_COMPATIBILITY,
    KIND_HEAD,
    KINDS,
    NEVER_REMOTE,
    OBJECT,
    PHYSICAL,
    PHYSICAL_TYPES,
    REFURBISHED,
    REVERSED,
    STATUSES,
    TEXT_KINDS_WITH_CODE,
    THEME_CODES,
    THREADS,
    TYPE_CODES,
    UNKNOWN_TYPE,
    USED_INPUT,
)

# refurb.stage() -> item flag
_STAGE_FLAGS = {refurb.USED_INPUT: USED_INPUT, refurb.REFURBISHED: REFURBISHED}


class Index(ScoringMixin, CandidatesMixin, AggregationMixin, ReasonsMixin):
    """A warm index of needs and offers; see terreau.matching.engine's docstring.

    The stages live in mixins (scoring, candidates, aggregation, reasons); this class holds the storage,
    the building and incremental updates, and the public queries."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.org_ids: list[str] = []
        self.org_slot: dict[str, int] = {}
        self.org_kind = Grow(np.int8, KINDS.index("other"))
        self.org_dept = Grow(np.int16, -1)
        self.org_region = Grow(np.int16, -1)
        self.org_commune = Grow(np.int32, -1)
        self.org_epci = Grow(np.int32, -1)  # intercommunality (communes.py), -1 when unknown
        self.org_arr = Grow(np.int32, -1)  # arrondissement, -1 when unknown
        self.org_lat = Grow(np.float64, np.nan)
        self.org_lon = Grow(np.float64, np.nan)
        self.org_themes = Grow(np.int64, 0)
        self.org_alive = Grow(np.bool_, False)
        self.org_items: dict[int, dict[str, list[int]]] = {}
        self._communes: dict[str, int] = {}
        self.needs = Side("need")
        self.offers = Side("offer")
        # Interned type masks and scopes, with their lookup tables.
        self._masks: list[tuple[int, bool, int]] = [(0, False, 0)]  # (kinds, code given, weak kinds)
        self._mask_id: dict[tuple[int, bool, int], int] = {(0, False, 0): 0}
        self._compat = np.full((1, 1), UNKNOWN_TYPE, dtype=np.float32)
        self._mask_weights = np.zeros((1, len(TYPE_CODES)))  # kind weights of each mask (scoring.py)
        self._scopes: list[text.Scope] = [text.NO_SCOPE]
        self._scope_id: dict[text.Scope, int] = {text.NO_SCOPE: 0}
        self._scope_tables: dict[str, np.ndarray] | None = None
        self._kind = np.array(
            [[KIND_COMPATIBILITY.get((a, b), DEFAULT_KIND) for b in KINDS] for a in KINDS], dtype=np.float32
        )
        self._ref_date: int | None = None
        self._ref_dirty = True
        self._bulk: BulkTerms | None = None  # while build() runs
        self._type_reasons: dict[tuple[int, int], str | None] = {}
        self._why_cache: dict[tuple[int, int], list[str]] = {}
        self._phrase_cache: dict[tuple[str, int, str], list[str]] = {}
        self._scope_reason_cache: dict[tuple[int, int], list[str]] = {}
        self._term_cache: tuple | None = None

    # -- building ---------------------------------------------------------------------------------------

    @classmethod
    def build(cls, organisations: Iterable[Organisation], *, vocabulary: Vocabulary | None = None) -> Index:
        """An index of these organisations (any iterable, read once: a generator streams them). The
        vocabulary's IDF weights come from their texts unless a vocabulary is given.

        One pass: each distinct text is analysed (a repeated one is copied: BulkTerms.known), its
        organisation's arrays are filled, and its terms are kept compact (BulkTerms: term ids and weight
        codes, no Analysis object); the document frequencies, the vocabulary and the TF-IDF matrices follow,
        a block of rows at a time. Same index as analysing every text, then vectorising all the analyses."""
        index = cls(vocabulary if vocabulary is not None else Vocabulary({}, 0))
        bulk = index._bulk = BulkTerms()
        try:
            for org in organisations:
                index.upsert_organisation(org)
        finally:
            index._bulk = None
        if vocabulary is None:
            vocabulary = index.vocabulary = Vocabulary(*bulk.document_frequencies())
        for side in (index.needs, index.offers):
            side.main = bulk.matrix(side.name, vocabulary)
            side.main_t = side.main.T.tocsr()
            side.n_main = side.main.shape[0]
        del bulk
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
        place = communes.commune(org.commune)
        self.org_epci.append(place.epci)
        self.org_arr.append(place.arrondissement)
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

    def _side(self, side: str) -> Side:
        if side not in ("need", "offer"):
            raise ValueError(side)
        return self.needs if side == "need" else self.offers

    def upsert_item(self, org_id: str, side: str, item: Item | Mapping) -> None:
        """Adds or edits one need ("need") or offer ("offer") of an organisation already in the index."""
        if not isinstance(item, Item):
            item = item_from_dict(item)
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

    def _add_item(self, org: int, side: Side, item: Item) -> None:
        status = STATUSES.get(item.status or "open", 1.0)
        bulk = self._bulk
        seen = bulk.known(side.name, item.text) if bulk is not None else None
        analysis = seen if seen is not None else text.analyse(item.text)
        s = len(side.ids)
        side.ids.append(item.id)
        side.org.append(org)
        inferred = _bits(analysis.types)
        main = _bits(analysis.main_types)
        weak = 0
        # "Mobilité européenne" (Erasmus+) coded as transport: the code repeats the word, not the kind of help.
        false_friend = item.type == "mobilite" and analysis.objects & text.INTERNATIONAL_MOBILITY != 0
        if item.type in TYPES and not false_friend:
            bits, given = 1 << TYPE_CODES.index(item.type), True
            if inferred and not inferred & bits:
                # The text contradicts the code ("autre", or a wrong pick): the kinds the text names are
                # read first, the code is kept as a weaker guess.
                bits, given, weak = main, False, bits | inferred
            elif TEXT_KINDS_WITH_CODE:
                # The text agrees with the code and names other kinds too ("graphistes bénévoles : logo,
                # affiche" coded volunteering): those stay as weaker guesses instead of being dropped.
                weak = main & ~bits
            side.type_code.append(sys.intern(item.type))  # one string per code, not one per item
        else:
            # No code: the kinds named before the purpose first, those of the purpose as weaker guesses.
            bits, given, weak = main, False, inferred
            side.type_code.append(sys.intern(item.type) if false_friend else None)  # shown, not scored
        side.mask.append(self._intern_mask(bits, given, weak))
        stage = refurb.stage(item.text, side=side.name)
        reversed_ = (
            (analysis.gives and not analysis.seeks)
            if side.name == "need"
            else (analysis.seeks and not analysis.gives) or stage == refurb.COLLECTS
        )
        scope = analysis.scope
        kinds = {item.type} if given else set(self._types(bits))
        # An offer that reaches other regions in any form (national scale, online access); not an offer
        # written as a need ("nous recherchons des financements pour nos tournois nationaux"), nor a room or
        # a vehicle, which never travel ("salle de réunion, visio possible").
        if (
            side.name == "offer"
            and not reversed_
            and not (kinds and kinds <= NEVER_REMOTE)
            and text.offer_reach_remote(item.text, scope)
        ):
            scope = dataclasses.replace(scope, remote=True)
        physical = (bool(kinds & PHYSICAL_TYPES) or scope.on_site) and not scope.remote
        broad = side.name == "offer" and reach.broad_object(item.text)
        if broad and seen is None:
            # Open to any project of its kind: the kind itself is what a need shares with it (its concept
            # token: a candidate and some cosine even without a word in common).
            heads = {f"~{KIND_HEAD[k]}" for k in kinds if k in KIND_HEAD} - set(analysis.terms)
            if heads:
                analysis = dataclasses.replace(
                    analysis, terms={**analysis.terms, **dict.fromkeys(heads, 1.0)}
                )
        theme = THEME_CODES.index(item.theme) if item.theme in THEMES else -1
        topics = analysis.topics | (1 << theme if theme >= 0 else 0)
        # An offer of money whose text or code says what it funds: it funds that only (scoring.py).
        funder = side.name == "offer" and "financement" in kinds and topics != 0 and not broad
        side.flags.append(
            (PHYSICAL if physical else 0)
            | (REVERSED if reversed_ else 0)
            | (BROAD if broad else 0)
            | (OBJECT if funder else 0)
            | _STAGE_FLAGS.get(stage, 0)
            | (INTRODUCES if side.name == "offer" and not reversed_ and reach.introduces(item.text) else 0)
        )
        side.topics.append(topics)
        side.objects.append(analysis.objects)
        side.scope.append(self._intern_scope(scope))
        side.status.append(status)
        side.updated.append(item.updated.toordinal() if item.updated else -1)
        side.alive.append(status > 0)
        if seen is not None:
            bulk.copy(side.name, seen)
        elif bulk is not None:
            bulk.add(side.name, analysis, item.text)
        else:
            side.delta[s] = self.vocabulary.vector(analysis)
            side._delta_csr = None
        if status > 0:
            side.slot[(org, item.id)] = s
            self.org_items[org][side.name].append(s)
        self._ref_dirty = True

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
        ns, os_, sc = self.best_pairs(
            pairs_per_item=pairs_per_item, champions=champions, chunk_cells=chunk_cells, threads=threads
        )
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

    def best_pairs(
        self,
        *,
        pairs_per_item: int | None = None,
        champions: int = CHAMPIONS,
        chunk_cells: int = 20_000_000,
        threads: int = THREADS,
    ) -> ScoredPairs:
        """The candidate pairs of the whole index, each once, ordered by (need slot, offer slot): every pair
        sharing a term (pairs_per_item=None, exact), or the best pairs_per_item of each need and of each offer
        found through champion lists (see iter_partners). Slots int32, scores float32."""
        self.compact()
        self._scope_arrays()
        self._reference_date()
        args = (pairs_per_item, champions, chunk_cells)
        found = [
            self._best_pairs(self.needs, self.offers, *args, need_side=True, threads=threads),
            self._best_pairs(self.offers, self.needs, *args, need_side=False, threads=threads),
        ]
        ns, os_, sc = (np.concatenate([f[i] for f in found]) for i in range(3))
        del found
        if len(ns):
            # Each pair once, its first occurrence (the need side's), ordered by key: np.unique(key,
            # return_index=True) with fewer arrays alive at once (tens of millions of pairs at scale).
            key = ns.astype(np.int64)
            key *= max(1, len(self.offers.ids))
            key += os_
            order = np.argsort(key, kind="stable")
            key = key[order]
            first = np.ones(len(key), dtype=np.bool_)
            np.not_equal(key[1:], key[:-1], out=first[1:])
            del key
            order = order[first]
            del first
            ns, os_, sc = ns[order], os_[order], sc[order]
        return ScoredPairs(
            ns.astype(np.int32, copy=False),
            os_.astype(np.int32, copy=False),
            sc.astype(np.float32, copy=False),
        )

    # -- reading the index (callers outside the engine use these, never the storage) ------------------

    def has_organisation(self, org_id: str) -> bool:
        """Whether the organisation is in the index."""
        return org_id in self.org_slot

    def item_slots(self, org_ids: Iterable[str]) -> tuple[list[int], list[int]]:
        """(need slots, offer slots) of the active items of these organisations, organisation by
        organisation (ids not in the index are skipped), e.g. for pairs_for_items()."""
        need_slots: list[int] = []
        offer_slots: list[int] = []
        for org_id in org_ids:
            slot = self.org_slot.get(org_id)
            if slot is not None:
                need_slots.extend(self.org_items[slot]["need"])
                offer_slots.extend(self.org_items[slot]["offer"])
        return need_slots, offer_slots

    def item_slot(self, org_id: str, side: str, item_id: str) -> int | None:
        """Slot of one active need ("need") or offer ("offer") of an organisation; None when not indexed."""
        org = self.org_slot.get(org_id)
        return None if org is None else self._side(side).slot.get((org, item_id))

    def org_ids_alive(self) -> list[str]:
        """Ids of the organisations in the index, in the order they were added."""
        return [o for s, o in enumerate(self.org_ids) if self.org_alive.a[s]]

    def need_ids(self, slots: Iterable[int]) -> list[str]:
        """Ids of the needs at these slots."""
        return [self.needs.ids[s] for s in np.asarray(slots, dtype=np.int64).tolist()]

    def offer_ids(self, slots: Iterable[int]) -> list[str]:
        """Ids of the offers at these slots."""
        return [self.offers.ids[s] for s in np.asarray(slots, dtype=np.int64).tolist()]

    def pair_details(
        self, need_slots: Iterable[int], offer_slots: Iterable[int], *, with_ids: bool = True
    ) -> PairDetails:
        """Ids, organisations, type codes (given, or suggested by the text), distance and remote help of
        pairs of item slots (without `with_ids`, the four id lists are empty: a caller that maps slots to
        ids itself, as the rebuild's forked writers do, need not read millions of id strings)."""
        ns = np.asarray(need_slots, dtype=np.int64)
        os_ = np.asarray(offer_slots, dtype=np.int64)
        org_ids = self.org_ids
        _prox, dist, has_xy = self._geo(self.needs.org.a[ns], self.offers.org.a[os_])
        scopes = self._scopes
        remote = [
            scopes[a].remote or scopes[b].remote
            for a, b in zip(self.needs.scope.a[ns].tolist(), self.offers.scope.a[os_].tolist(), strict=True)
        ]
        return PairDetails(
            need_id=self.need_ids(ns) if with_ids else [],
            offer_id=self.offer_ids(os_) if with_ids else [],
            need_org=[org_ids[s] for s in self.needs.org.a[ns].tolist()] if with_ids else [],
            offer_org=[org_ids[s] for s in self.offers.org.a[os_].tolist()] if with_ids else [],
            need_type=[self.needs.type_code[s] for s in ns.tolist()],
            offer_type=[self.offers.type_code[s] for s in os_.tolist()],
            distance_km=[
                float(d) if known else None for d, known in zip(dist.tolist(), has_xy.tolist(), strict=True)
            ],
            remote=remote,
        )


def _bits(types) -> int:
    out = 0
    for t in types:
        out |= 1 << TYPE_CODES.index(t)
    return out


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
