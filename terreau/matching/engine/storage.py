"""Storage of the index: growing arrays, the vocabulary (terms, IDF, TF-IDF rows) and one side's matrices."""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Iterable, Mapping

import numpy as np
import scipy.sparse as sp

from terreau.matching import text

from .tables import CONCEPT_WEIGHT


class Grow:
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
        # self.idf and each term's concept weight as arrays, extended as terms are added (_arrays).
        self._idf = np.zeros(0)
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
            self._columns(analysis, grow, cols, vals)
            lengths[i + 1] = len(cols)
        idx = np.asarray(cols, dtype=np.int32)
        data, _carry = self._weights(np.asarray(vals, dtype=np.float64), idx, lengths)
        m = sp.csr_matrix((data, idx, lengths), shape=(len(analyses), len(self.terms)))
        m.sort_indices()
        return m

    def _columns(self, analysis: text.Analysis, grow: bool, cols: list[int], vals: list[float]) -> None:
        """Appends the columns and raw weights of an analysis's terms (unseen terms added when grow)."""
        for term, w in analysis.terms.items():
            col = self.column(term, grow)
            if col is None:
                continue
            if term not in self.surfaces:
                self.surfaces[term] = analysis.surfaces.get(term, term)
            cols.append(col)
            vals.append(w)

    def _weights(
        self, vals: np.ndarray, idx: np.ndarray, lengths: np.ndarray, carry: float = 0.0
    ) -> tuple[np.ndarray, float]:
        """L2-normalised TF-IDF values (float32) of rows given by raw weights, columns and row bounds
        (lengths[0] may be > 0: a block of a larger matrix). Row norms come from a running sum of squares
        over the whole matrix, started at `carry` (the running sum before this block; 0 for the first):
        blocks normalised one after the other give exactly the values of the whole matrix at once.
        Returns (values, running sum at the end of the block)."""
        idf, factor = self._arrays()
        data = (vals * idf[idx] * factor[idx]).astype(np.float32)
        sq = np.cumsum(np.concatenate([[carry], data.astype(np.float64) ** 2]))
        local = lengths - lengths[0]
        norms = np.sqrt(sq[local[1:]] - sq[local[:-1]])
        norms[norms == 0] = 1.0
        data /= np.repeat(norms, np.diff(lengths)).astype(np.float32)
        return data, float(sq[-1])

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The IDF and the concept weight of every column, as arrays extended by the terms added since the last
        call. Converting the whole lists at each call cost O(vocabulary) per row added one at a time: about
        30 minutes for the private needs and offers of a national rebuild (indexing.build_index)."""
        done = len(self._idf)
        if done != len(self.terms):
            new = self.terms[done:]
            self._idf = np.concatenate([self._idf, np.asarray(self.idf[done:], dtype=np.float64)])
            self._factor = np.concatenate(
                [self._factor, np.where([t.startswith("~") for t in new], CONCEPT_WEIGHT, 1.0)]
            )
        return self._idf, self._factor

    def vector(self, analysis: text.Analysis, grow: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """One row of vectors() as (columns in order, values), without building a matrix (rows added one at a
        time: a worker's changes, the private needs and offers of a rebuild)."""
        cols: list[int] = []
        vals: list[float] = []
        self._columns(analysis, grow, cols, vals)
        idx = np.asarray(cols, dtype=np.int32)
        data, _carry = self._weights(np.asarray(vals, dtype=np.float64), idx, np.array([0, len(cols)]))
        order = np.argsort(idx, kind="stable")
        return idx[order], data[order]


class Side:
    """Needs or offers: a main CSR matrix (and its transpose) plus recent rows kept apart until compaction."""

    def __init__(self, name: str):
        self.name = name
        self.ids: list[str] = []
        self.type_code: list[str | None] = []  # given code, or the one suggested by the text (for reasons)
        self.org = Grow(np.int32, -1)
        self.mask = Grow(np.int32, 0)
        # Theme bits: the theme code given and the topics of the text (text.topics_of).
        self.topics = Grow(np.int32, 0)
        self.objects = Grow(np.int32, 0)  # text.OBJECT_CONCEPTS bits
        self.scope = Grow(np.int32, 0)
        self.flags = Grow(np.int8, 0)  # PHYSICAL | REVERSED (tables.py)
        self.status = Grow(np.float32, 1.0)
        self.updated = Grow(np.int32, -1)
        self.alive = Grow(np.bool_, False)
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


class BulkTerms:
    """The analysed terms of every item added while an index is built, kept compact until the vocabulary is
    known (the analyses themselves are dropped): per side, each row's term ids (into self.terms, in the
    order of its analysis) and weight codes, and the surface of each term's first occurrence on that side.
    A text seen before is not analysed again: its row is copied (known()), unless one of its terms has no
    surface on this side yet (then it is analysed, for that surface). Document frequencies are counted from
    the rows; matrix() makes a side's TF-IDF rows, exactly as Vocabulary.vectors() of the analyses would
    (same columns, values, surfaces, order of new terms)."""

    BLOCK = 1 << 20  # nonzeros vectorised at a time (bounded temporaries)

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.term_id: dict[str, int] = {}
        self.weights: list[float] = []  # distinct raw weights (1 + log tf): few
        self._weight_code: dict[float, int] = {}
        self.rows = {name: _BulkSide() for name in ("need", "offer")}
        self.seen: dict[bytes, Seen] = {}  # digest of a text -> what the index reads of its analysis
        self._interned: dict = {}

    def known(self, side: str, s: str) -> Seen | None:
        """What the index reads of this text's analysis when the text was added before and its row can be
        copied (every term already has a surface on this side); None otherwise."""
        seen = self.seen.get(_digest(s))
        if seen is None:
            return None
        source = self.rows[seen.side]
        a, b = source.lengths[seen.row], source.lengths[seen.row + 1]
        surfaces = self.rows[side].surfaces
        return seen if all(i in surfaces for i in source.ids[a:b]) else None

    def copy(self, side: str, seen: Seen) -> None:
        """Adds a row equal to the row of the text seen before."""
        source, rows = self.rows[seen.side], self.rows[side]
        a, b = source.lengths[seen.row], source.lengths[seen.row + 1]
        rows.ids.extend(source.ids[a:b])
        rows.codes.extend(source.codes[a:b])
        rows.lengths.append(len(rows.ids))

    def add(self, side: str, analysis: text.Analysis, s: str | None = None) -> None:
        rows = self.rows[side]
        if s is not None:
            key = _digest(s)
            if key not in self.seen:
                intern = self._interned.setdefault
                self.seen[key] = Seen(
                    intern(analysis.types, analysis.types),
                    intern(analysis.main_types, analysis.main_types),
                    intern(analysis.scope, analysis.scope),
                    analysis.gives,
                    analysis.seeks,
                    side,
                    len(rows.lengths) - 1,
                    analysis.topics,
                    analysis.objects,
                )
        term_id, surfaces, codes = self.term_id, rows.surfaces, self._weight_code
        ids, weights = rows.ids, rows.codes
        for term, w in analysis.terms.items():
            i = term_id.get(term)
            if i is None:
                i = term_id[term] = len(self.terms)
                self.terms.append(term)
            if i not in surfaces:
                surfaces[i] = analysis.surfaces.get(term, term)
            code = codes.get(w)
            if code is None:
                code = codes[w] = len(self.weights)
                self.weights.append(w)
            ids.append(i)
            weights.append(code)
        rows.lengths.append(len(ids))

    def document_frequencies(self) -> tuple[dict[str, int], int]:
        """({term: number of rows having it}, number of rows) over both sides."""
        counts = np.zeros(len(self.terms), dtype=np.int64)
        n_docs = 0
        for rows in self.rows.values():
            counts += np.bincount(np.frombuffer(rows.ids, dtype=np.int32), minlength=len(self.terms))
            n_docs += len(rows.lengths) - 1
        return {t: int(c) for t, c in zip(self.terms, counts.tolist(), strict=True)}, n_docs

    def matrix(self, side: str, vocabulary: Vocabulary) -> sp.csr_matrix:
        """The side's L2-normalised TF-IDF rows; its rows are dropped from here. Sides must be made in the
        order Vocabulary.vectors() would have seen them (needs, then offers)."""
        rows = self.rows.pop(side)
        ids = np.frombuffer(rows.ids, dtype=np.int32)
        lengths = np.array(rows.lengths, dtype=np.int64)
        codes = np.frombuffer(rows.codes, dtype=np.uint16)
        # Columns, and surfaces of terms not seen before, in order of first occurrence (as vectors() does).
        cols = np.full(len(self.terms), -1, dtype=np.int64)
        present, first = np.unique(ids, return_index=True)
        for i in present[np.argsort(first, kind="stable")].tolist():
            term = self.terms[i]
            cols[i] = vocabulary.column(term)
            if term not in vocabulary.surfaces:
                vocabulary.surfaces[term] = rows.surfaces[i]
        idx = cols[ids].astype(np.int32)
        del ids, present, first, cols
        weights = np.asarray(self.weights, dtype=np.float64)
        data = np.empty(len(idx), dtype=np.float32)
        n, carry, r0 = len(lengths) - 1, 0.0, 0
        while r0 < n:
            r1 = min(n, int(np.searchsorted(lengths, lengths[r0] + self.BLOCK, side="right")) - 1)
            r1 = max(r1, r0 + 1)
            a, b = int(lengths[r0]), int(lengths[r1])
            data[a:b], carry = vocabulary._weights(weights[codes[a:b]], idx[a:b], lengths[r0 : r1 + 1], carry)
            r0 = r1
        del rows, codes
        m = sp.csr_matrix((data, idx, lengths), shape=(n, len(vocabulary.terms)))
        m.sort_indices()
        return m


class Seen:
    """What the index reads of the analysis of a text already added (BulkTerms.known), and its row."""

    __slots__ = ("gives", "main_types", "objects", "row", "scope", "seeks", "side", "topics", "types")

    def __init__(self, types, main_types, scope, gives, seeks, side, row, topics=0, objects=0):
        self.types, self.main_types, self.scope, self.gives, self.seeks = (
            types,
            main_types,
            scope,
            gives,
            seeks,
        )
        self.side, self.row, self.topics, self.objects = side, row, topics, objects


def _digest(s: str) -> bytes:
    return hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class _BulkSide:
    def __init__(self) -> None:
        self.ids = array("i")  # term ids of every row, one after the other
        self.codes = array("H")  # weight codes, parallel to ids
        self.lengths = array("q", [0])  # row bounds in ids
        self.surfaces: dict[int, str] = {}  # term id -> surface of its first occurrence on this side
