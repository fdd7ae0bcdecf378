"""Dump the complementarity engine's results on synthetic data, to check that two versions give the same.

    git archive <commit> terreau bench data | tar -x -C /tmp/old
    .venv/bin/python bench/matching_dump.py /tmp/old /tmp/old.json      # the engine of that commit
    .venv/bin/python bench/matching_dump.py . /tmp/new.json              # the current engine
    .venv/bin/python bench/matching_dump.py --compare /tmp/old.json /tmp/new.json

The first argument is the root of a source tree: its bench/matching.py builds the organisations (same
generator, seed 3) and its terreau.matching.engine ranks them: top 10 of every organisation in the
approximate mode used at scale and in the exact mode, then 20 incremental updates. The comparison counts
the organisations whose partners, scores, pairs or reasons differ, and shows a few differing reasons.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from pathlib import Path

NEW_NEEDS = [
    "ordinateurs portables pour nos ateliers",
    "salle de réunion le soir",
    "bénévoles pour le transport solidaire",
]


def dump(root: Path, n: int, out: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_matching", root / "bench" / "matching.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # puts root first on sys.path, so its terreau is the one imported
    engine = bench.engine
    print(f"engine: {engine.__file__}", file=sys.stderr)
    orgs = bench.synthetic_organisations(n, seed=3)
    index = engine.Index.build(orgs)
    result = {
        "approx": [[o, [p.as_dict() for p in ps]] for o, ps in index.iter_partners(10, pairs_per_item=30)],
        "exact": [[o, [p.as_dict() for p in ps]] for o, ps in index.iter_partners(10)],
    }
    rng = random.Random(5)
    updates = []
    for k in range(20):
        org = orgs[rng.randrange(len(orgs))]
        index.upsert_item(org.id, "need", engine.Item(id=f"x{k}", text=rng.choice(NEW_NEEDS), type=None))
        updates.append([org.id, [p.as_dict() for p in index.partners(org.id, top=10)]])
    result["incremental"] = updates
    out.write_text(json.dumps(result, sort_keys=True), encoding="utf-8")


def compare(old: Path, new: Path) -> None:
    a = json.loads(old.read_text(encoding="utf-8"))
    b = json.loads(new.read_text(encoding="utf-8"))
    for mode in a:
        differ = {"partners": 0, "scores": 0, "pairs": 0, "reasons": 0}
        examples = []
        listed = sum(len(partners) for _org, partners in b[mode])
        for (org_a, pa), (org_b, pb) in zip(a[mode], b[mode], strict=True):
            assert org_a == org_b
            if [p["id"] for p in pa] != [p["id"] for p in pb]:
                differ["partners"] += 1
                continue
            for x, y in zip(pa, pb, strict=True):
                differ["scores"] += x["score"] != y["score"]
                differ["pairs"] += x["pairs"] != y["pairs"]
                if x["why"] != y["why"]:
                    differ["reasons"] += 1
                    if len(examples) < 3:
                        examples.append(f"    {x['why']} -> {y['why']}")
        print(f"{mode}: {len(b[mode])} organisations, {listed} partners listed; differing: {differ}")
        if examples:
            print("\n".join(examples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="compare two dumps instead of writing one")
    parser.add_argument("--orgs", type=int, default=3000)
    parser.add_argument("first", type=Path, help="source tree root (or the old dump with --compare)")
    parser.add_argument("second", type=Path, help="output file (or the new dump with --compare)")
    args = parser.parse_args()
    if args.compare:
        compare(args.first, args.second)
    else:
        dump(args.first.resolve(), args.orgs, args.second)


if __name__ == "__main__":
    main()
