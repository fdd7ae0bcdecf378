"""Benchmark of the complementarity engine (issue 3): quality on the hand-labelled set, then speed at scale.

    .venv/bin/python bench/matching.py                 # full run: 100,000 organisations, writes nothing
    .venv/bin/python bench/matching.py --small         # quick run: 10,000 organisations, 500 for brute force
    .venv/bin/python bench/matching.py --write docs/bench-matching.md

1. Quality on the development part data/matching_eval/ (58 organisations, 165 needs and offers written
   with the engine: in-sample, tuned on), the second development part data/matching_dev2/ (written by an
   independent annotator in other regions, tuned on: in-sample once used) when it is there, dev3a (a blind
   annotator's development part, tuned on), dev3b (another blind annotator's validation part: aggregate
   figures only, never read, never tuned on), dev4a / dev4b and dev5a / dev5b (the same pair of roles; dev4:
   remote-heavy sets; dev5: in the held-out parts' brief), dev6a (development, same brief) when they are there, the first held-out set data/matching_heldout/ (frozen 2026-12-05, measured seven times
   unseen, retired to development on 2026-12-06: read and tuned on since), and, side by side, the held-out
   parts data/matching_heldout2a/ to 2l/ (each written blind by its own annotator and frozen 2026-12-06
   before any measure on it; never read, never tuned on): precision@5 and recall@10 of the engine and of a baseline that matches type
   and theme codes only, on all good pairs and on those where a theme code is missing; on the parts with
   cases (dev2, dev3a/b, dev4a/b, held-out) also by case (scope, remote, rural, context, wrong_type, missing_type, plain) and
   the trap rate of their rejected pairs (definitions printed with the figures). `--no-heldout` measures the
   development parts only (use it while tuning); `--quality-only` stops after the quality figures.
2. Scale: synthetic organisations built from the vocabulary of the evaluation set (each text is a
   template from the set with words dropped and words of another text of the same kind added; a third of
   the type codes and half of the theme codes left out; half of the organisations with coordinates):
   index build, then the top 10 of every organisation (`Index.all_partners`), wall time and peak memory.
3. Incremental: on that warm index, add a need / edit a need and ask the organisation's best partners.
4. Brute force baseline on a smaller set: every (need, offer) pair's cosine computed in pure Python, the
   same scoring and aggregation after; its time against the engine's on the same set, and agreement.
Pure Python: needs no database and no Django settings.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from terreau.matching import engine, evaluation, geodata  # noqa: E402

KINDS = [
    ("association", 0.55),
    ("company", 0.25),
    ("foundation", 0.05),
    ("public_body", 0.05),
    ("other", 0.10),
]
_WORDS = re.compile(r"\S+")


def synthetic_organisations(
    n: int, *, seed: int = 1, items_per_org: float = 3.0
) -> list[engine.Organisation]:
    """n organisations with about items_per_org needs and offers each, from the evaluation set's texts."""
    rng = random.Random(seed)
    es = evaluation.load()
    templates = {"need": [], "offer": []}
    for org in es.organisations:
        templates["need"].extend(org.needs)
        templates["offer"].extend(org.offers)
    words = {side: [_WORDS.findall(i.text) for i in items] for side, items in templates.items()}
    depts = sorted(geodata.DEPARTMENTS)
    centre = {d: (rng.uniform(43.0, 50.5), rng.uniform(-1.5, 7.5)) for d in depts}
    kinds, weights = zip(*KINDS, strict=True)
    orgs = []
    for k in range(n):
        dept = rng.choice(depts)
        commune = (
            (dept + f"{rng.randrange(1, 700):03d}")[:5]
            if len(dept) == 2
            else dept + f"{rng.randrange(1, 99):02d}"
        )
        xy = rng.random() < 0.5
        lat, lon = centre[dept]
        items = {"need": [], "offer": []}
        for j in range(max(1, round(rng.expovariate(1 / items_per_org)))):
            side = "need" if rng.random() < 0.5 else "offer"
            t = rng.randrange(len(templates[side]))
            base = templates[side][t]
            text = [w for w in words[side][t] if rng.random() < 0.8]
            other = words[side][rng.randrange(len(words[side]))]
            text += rng.sample(other, min(len(other), rng.randrange(0, 4)))
            items[side].append(
                engine.Item(
                    id=f"{side[0]}{j}",
                    text=" ".join(text),
                    type=base.type if rng.random() < 0.67 else None,
                    theme=base.theme if rng.random() < 0.5 else None,
                )
            )
        orgs.append(
            engine.Organisation(
                id=f"org-{k:06d}",
                kind=rng.choices(kinds, weights)[0],
                commune=commune,
                needs=tuple(items["need"]),
                offers=tuple(items["offer"]),
                lat=lat + rng.gauss(0, 0.3) if xy else None,
                lon=lon + rng.gauss(0, 0.4) if xy else None,
            )
        )
    return orgs


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _part_rows(name: str, es: evaluation.EvalSet) -> tuple[list[tuple], dict, dict, dict]:
    """Rows (part, ranker, figures...) of one part, the engine's case figures, trap counts and timing."""
    t0 = time.perf_counter()
    partners = evaluation.engine_partners(es)
    t_engine = time.perf_counter() - t0
    ranking = {org: [p.id for p in plist] for org, plist in partners.items()}
    results = evaluation.evaluate(
        es,
        {
            "moteur": lambda e: ranking,
            "référence (codes)": lambda e: evaluation.baseline_ranking(e.organisations),
        },
    )
    rows = [(name, ranker, r["all"], r["missing_theme"]) for ranker, r in results.items()]
    cases = evaluation.case_metrics(es, ranking) if es.cases else {}
    traps = evaluation.trap_rate(es, partners) if es.rejected else {}
    return rows, cases, traps, {"engine seconds": t_engine}


def quality(heldout: bool = True) -> list[str]:
    parts = [("development (in-sample, tuned on)", evaluation.load())]
    for label, directory in (
        ("dev2 (independent annotator, tuned on)", evaluation.DEV2_DIR),
        ("dev3a (blind annotator, tuned on)", evaluation.DEV3A_DIR),
        ("dev3b (validation, never read)", evaluation.DEV3B_DIR),
        ("dev4a (blind annotator, remote-heavy, tuned on)", evaluation.DEV4A_DIR),
        ("dev4b (validation, remote-heavy, never read)", evaluation.DEV4B_DIR),
        ("dev5a (blind annotator, tuned on)", evaluation.DEV5A_DIR),
        ("dev5b (validation, never read)", evaluation.DEV5B_DIR),
        ("dev6a (blind annotator, tuned on)", evaluation.DEV6A_DIR),
        ("dev7a (blind annotator, tuned on)", evaluation.DEV7A_DIR),
        ("dev7b (validation, never read)", evaluation.DEV7B_DIR),
        ("dev8a (blind annotator, tuned on)", evaluation.DEV8A_DIR),
        ("dev8b (validation, never read)", evaluation.DEV8B_DIR),
        ("first held-out set (retired 2026-12-06: read and tuned on since)", evaluation.RETIRED_HELDOUT_DIR),
    ):
        es = evaluation.load_optional(directory)
        if es is not None:
            parts.append((label, es))
    if heldout:
        for name, es in evaluation.load_heldout():
            parts.append((f"{name} (held-out, unseen, frozen 2026-12-06)", es))
    lines = ["## Quality on the hand-labelled sets", ""]
    for name, es in parts:
        n_items = sum(len(o.needs) + len(o.offers) for o in es.organisations)
        lines.append(
            f"- {name}: {len(es.organisations)} organisations, {n_items} needs and offers, "
            f"{len(es.pairs)} judged good pairs ({len(evaluation.missing_theme_pairs(es))} with a theme code "
            f"missing on one side)" + (f", {len(es.rejected)} rejected pairs" if es.rejected else "") + "."
        )
    lines += [
        "",
        "| part | ranker | precision@5 | recall@10 | orgs | precision@5, theme missing | "
        "recall@10, theme missing | orgs |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    detailed = []
    pooled: dict[str, list[tuple[float, float, int]]] = {}
    for name, es in parts:
        rows, cases, traps, _t = _part_rows(name, es)
        for part, ranker, a, m in rows:
            lines.append(
                f"| {part} | {ranker} | {a[0]:.3f} | {a[1]:.3f} | {a[2]} | {m[0]:.3f} | {m[1]:.3f} | {m[2]} |"
            )
            if "(held-out" in part:
                pooled.setdefault(ranker, []).append(a)
        if es.cases or es.rejected:
            detailed.append((name, cases, traps))
    for ranker, figures in pooled.items():
        if len(figures) > 1:
            # Macro averages over the organisations of both held-out parts (each part's mean weighted by them).
            n = sum(f[2] for f in figures)
            p5, r10 = (sum(f[i] * f[2] for f in figures) / n for i in (0, 1))
            lines.append(f"| held-out parts together | {ranker} | {p5:.3f} | {r10:.3f} | {n} | | | |")
    if any(cases for _n, cases, _t in detailed):
        header = " | ".join(f"{name.split(' (')[0]}: p@5 / r@10 (orgs)" for name, _c, _t in detailed)
        lines += [
            "",
            "Engine by case of the good pairs (`case` column of pairs.csv), "
            + "; ".join(name for name, _c, _t in detailed)
            + ":",
            "",
            f"| case | {header} |",
            "| --- |" + " ---: |" * len(detailed),
        ]
        for case in evaluation.CASES:
            cells = []
            for _n, cases, _t in detailed:
                v = cases.get(case)
                cells.append(f"{v[0]:.3f} / {v[1]:.3f} ({v[2]})" if v else "")
            if any(cells):
                lines.append(f"| {case} | " + " | ".join(cells) + " |")
    if any(traps for _n, _c, traps in detailed):
        lines += [
            "",
            "Rejected pairs (tempting but judged bad) suggested in a top 5 (trap rate, lower is better):",
            "",
            "| case | "
            + " | ".join(f"{name.split(' (')[0]}: suggested / rejected" for name, _c, _t in detailed)
            + " |",
            "| --- |" + " ---: |" * len(detailed),
        ]
        keys = sorted({k for _n, _c, traps in detailed for k in traps}, key=lambda k: (k == "all", k))
        for c in keys:
            cells = []
            for _n, _c, traps in detailed:
                hit, total = traps.get(c, (0, 0))
                cells.append(f"{hit} / {total} = {hit / total:.3f}" if total else "")
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Definitions: good(X) = organisations joined to X by a judged good pair (X's need and their offer, or",
        "the reverse). precision@5(X) = |top5(X) ∩ good(X)| / min(5, |good(X)|); recall@10(X) =",
        "|top10(X) ∩ good(X)| / |good(X)|; macro averages over the organisations with at least one good",
        "partner. Theme-missing columns and case rows: only the good pairs of the subset; the other good",
        "partners are removed from the ranking before cutting it. Trap rate: share of the rejected pairs",
        "(need of X, offer of Y) such that X lists Y among its 5 first partners, or Y lists X, with that pair",
        "among the pairs shown. Baseline: pair score = 1 for the same type code + 1 for the same theme code",
        "(the item's, else the organisation's themes: 0.5), partner score = best pair, ties by id.",
    ]
    return lines


def scale(n_orgs: int, seed: int) -> tuple[list[str], engine.Index, list[engine.Organisation]]:
    orgs = synthetic_organisations(n_orgs, seed=seed)
    n_items = sum(len(o.needs) + len(o.offers) for o in orgs)
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    index = engine.Index.build(orgs)
    t_build, c_build = time.perf_counter() - t0, time.process_time() - c0
    peak_build = peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    with_partners = listed = 0
    for _, partners in index.iter_partners(10, pairs_per_item=30):
        with_partners += bool(partners)
        listed += len(partners)
    t_all, c_all = time.perf_counter() - t0, time.process_time() - c0
    mean_partners = listed / max(1, len(orgs))
    lines = [
        "## Scale: top 10 for every organisation",
        "",
        f"{n_orgs:,} synthetic organisations, {n_items:,} needs and offers, "
        f"{len(index.vocabulary.terms):,} terms.",
        "",
        "| step | wall seconds | CPU seconds |",
        "| --- | ---: | ---: |",
        f"| analyse texts and build the index | {t_build:.1f} | {c_build:.1f} |",
        f"| top 10 of every organisation, with pairs and reasons | {t_all:.1f} | {c_all:.1f} |",
        f"| total | {t_build + t_all:.1f} | {c_build + c_all:.1f} |",
        "",
        f"Candidates: the {engine.QUERY_TERMS} heaviest terms of each need or offer against champion lists of "
        f"{engine.CHAMPIONS} postings per term, blocked by type compatibility; the best 60 candidates of each "
        "item rescored exactly, its 30 best pairs kept; both directions (needs against offers, offers against "
        f"needs), on {engine.THREADS} threads (the sparse products and numpy work release the GIL); then, a "
        "block of organisations at a time, pairs grouped and ranked with numpy sorts and reductions, and "
        "reasons written only for the listed partners. CPU seconds are the process's own time (all its "
        "threads): the machine is shared, wall time includes waiting for a core.",
        "",
        f"Peak memory of the process (getrusage maxrss, includes the {n_orgs:,} input organisations): "
        f"{peak_build:,.0f} MB after the build, {peak_mb():,.0f} MB at the end. Organisations with at least "
        f"one partner: {with_partners:,}; mean partners listed: {mean_partners:.1f}. Load average when the "
        f"run ended: {_load()}.",
    ]
    return lines, index, orgs


def incremental(index: engine.Index, orgs: list[engine.Organisation], seed: int, runs: int = 20) -> list[str]:
    rng = random.Random(seed + 7)
    es = evaluation.load()
    texts = [i.text for o in es.organisations for i in o.needs]
    add, edit = [], []
    for k in range(runs):
        org = orgs[rng.randrange(len(orgs))]
        item = engine.Item(id=f"bench-{k}", text=rng.choice(texts), type="materiel")
        t0 = time.perf_counter()
        index.upsert_item(org.id, "need", item)
        index.partners(org.id, top=10)
        add.append(time.perf_counter() - t0)
        item = engine.Item(id=f"bench-{k}", text=rng.choice(texts), type=None)
        t0 = time.perf_counter()
        index.upsert_item(org.id, "need", item)
        index.partners(org.id, top=10)
        edit.append(time.perf_counter() - t0)
    ms = lambda xs: (statistics.median(xs) * 1000, max(xs) * 1000)  # noqa: E731
    return [
        "## Incremental update on the warm index",
        "",
        f"{runs} random organisations of the scale run; each time a need is added (then edited) and the",
        "organisation's top 10 is asked (exact: every pair sharing a term is scored).",
        "",
        "| operation | median ms | max ms |",
        "| --- | ---: | ---: |",
        "| add a need + best partners | {:.0f} | {:.0f} |".format(*ms(add)),
        "| edit a need + best partners | {:.0f} | {:.0f} |".format(*ms(edit)),
    ]


def brute_force(
    index: engine.Index, top: int = 10, timings: dict | None = None
) -> dict[str, list[engine.Partner]]:
    """Every (need, offer) cosine in pure Python, then the engine's scoring and aggregation."""
    t0 = time.perf_counter()
    vocab_vectors = {}
    for side in (index.needs, index.offers):
        vocab_vectors[side.name] = [
            dict(zip(*(a.tolist() for a in side.row(s)), strict=True)) if side.alive.a[s] else None
            for s in range(len(side.ids))
        ]
    ns, os_, cs = [], [], []
    for i, vn in enumerate(vocab_vectors["need"]):
        if not vn:
            continue
        for j, vo in enumerate(vocab_vectors["offer"]):
            if not vo:
                continue
            small, big = (vn, vo) if len(vn) < len(vo) else (vo, vn)
            c = sum(w * big[t] for t, w in small.items() if t in big)
            if c > 0:
                ns.append(i)
                os_.append(j)
                cs.append(c)
    ns, os_, cs = np.array(ns, dtype=np.int64), np.array(os_, dtype=np.int64), np.array(cs, dtype=np.float32)
    sc = index.score_pairs(ns, os_, cs)
    if timings is not None:
        timings["pairs"] = time.perf_counter() - t0
    result = dict(index._aggregate(ns, os_, sc, top))
    return {index.org_ids[s]: result.get(s, []) for s in range(len(index.org_ids))}


def ratio(n_orgs: int, seed: int) -> list[str]:
    orgs = synthetic_organisations(n_orgs, seed=seed + 1)
    n_items = sum(len(o.needs) + len(o.offers) for o in orgs)
    t0 = time.perf_counter()
    index = engine.Index.build(orgs)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    index._best_pairs(index.needs, index.offers, None, 0, 20_000_000, need_side=True)
    index._best_pairs(index.offers, index.needs, None, 0, 20_000_000, need_side=False)
    p_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = index.all_partners(10)
    t_fast = time.perf_counter() - t0
    approx = index.all_partners(10, pairs_per_item=30)
    overlap = statistics.mean(
        len({p.id for p in fast[k]} & {p.id for p in approx[k]}) / len(fast[k]) for k in fast if fast[k]
    )
    timings: dict = {}
    t0 = time.perf_counter()
    slow = brute_force(index, timings=timings)
    t_slow = time.perf_counter() - t0
    p_slow = timings["pairs"]
    same = sum(1 for k in fast if [p.id for p in fast[k]] == [p.id for p in slow.get(k, [])])
    return [
        "## Brute force baseline",
        "",
        f"{n_orgs:,} synthetic organisations ({n_items:,} needs and offers), index built in {t_build:.1f} s.",
        "",
        "| method | scoring all pairs, s | end to end with reasons, s |",
        "| --- | ---: | ---: |",
        f"| engine: sparse products blocked by type, every pair kept (exact) | {p_fast:.2f} | {t_fast:.2f} |",
        f"| brute force: every (need, offer) pair in pure Python, same scoring | {p_slow:.2f} | {t_slow:.2f} |",
        "",
        f"Speed-up: {p_slow / p_fast:.0f}x on scoring the pairs, {t_slow / t_fast:.1f}x end to end (both then "
        "share the same aggregation and explanations).",
        f"Identical top-10 lists: {same:,} of {len(fast):,} organisations.",
        f"The approximate mode used at scale (champion lists, 30 pairs per item) shares {overlap:.1%} of "
        "each exact top 10 on this set.",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="10,000 organisations, brute force on 500")
    parser.add_argument("--orgs", type=int, default=None, help="organisations of the scale run")
    parser.add_argument("--brute", type=int, default=None, help="organisations of the brute-force comparison")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", default=None, help="also write the Markdown report to this file")
    parser.add_argument(
        "--no-heldout",
        action="store_true",
        help="development parts only (while tuning: never tune on held-out)",
    )
    parser.add_argument("--quality-only", action="store_true", help="stop after the quality figures")
    args = parser.parse_args(argv)
    n_orgs = args.orgs or (10_000 if args.small else 100_000)
    n_brute = args.brute or (500 if args.small else 2_000)
    out = [
        "# Benchmark: complementarity engine",
        "",
        f"`bench/matching.py{' --small' if args.small else ''}` on {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}; "
        f"{_cpus()} CPU core(s). Figures from one run.",
        "",
    ]
    for part in (quality(heldout=not args.no_heldout),):
        out += part + [""]
        print("\n".join(part), "\n", flush=True)
    if args.quality_only:
        if args.write:
            Path(args.write).write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")
        return
    part, index, orgs = scale(n_orgs, args.seed)
    out += part + [""]
    print("\n".join(part), "\n", flush=True)
    part = incremental(index, orgs, args.seed)
    out += part + [""]
    print("\n".join(part), "\n", flush=True)
    del index, orgs
    gc.collect()
    part = ratio(n_brute, args.seed)
    out += part + [""]
    print("\n".join(part), flush=True)
    if args.write:
        Path(args.write).write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


def _load() -> str:
    import os

    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
