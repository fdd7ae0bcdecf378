"""Storage of the index: growing arrays, the vocabulary (terms, IDF, TF-IDF rows) and one side's matrices."""

from __future__ import annotations

import math
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


class Side:
    """Needs or offers: a main CSR matrix (and its transpose) plus recent rows kept apart until compaction."""

    def __init__(self, name: str):
        self.name = name
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.type_code: list[str | None] = []  # given code, or the one suggested by the text (for reasons)
        self.org = Grow(np.int32, -1)
        self.mask = Grow(np.int32, 0)
        self.theme = Grow(np.int16, -1)
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
