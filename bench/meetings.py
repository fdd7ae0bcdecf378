"""Benchmark of the one-to-one meeting planner (issue 4) against a greedy baseline.

    .venv/bin/python bench/meetings.py            # the four instances of the issue, figures in Markdown
    .venv/bin/python bench/meetings.py --small    # a quick run on instances a tenth of the size
    .venv/bin/python bench/meetings.py --only a,b --seed 3 --write docs/bench-meetings.md

Random events with skewed popularity (a few participants are wished by many, Zipf-like), 10 weighted wishes
per person (weight 3 "must meet" 20 %, 2 30 %, 1 50 %), 20 % of the participants unavailable for 2 rounds:
  (a) 150 associations + 150 companies, 8 rounds, 60 tables (tables bind)
  (b) the same with 150 tables (tables no longer bind)
  (c) 500 + 500, 12 rounds, 500 tables
  (d) 300 people, anyone may meet anyone, 8 rounds, 150 tables
For each: total value as a percentage of the proven upper bound (maximum-weight b-matching) and seconds, for
the planner and for the greedy baseline (pairs by decreasing value, earliest round that fits), same run.
Pure Python: needs no database and no Django settings.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from terreau.meetings.planner import check_plan, greedy_plan, parse_event, plan_meetings  # noqa: E402

INSTANCES = {
    # name: (side A, side B or 0 for anyone-anyone, rounds, tables, description)
    "a": (150, 150, 8, 60, "150 + 150, 8 tours, 60 tables"),
    "b": (150, 150, 8, 150, "150 + 150, 8 tours, 150 tables"),
    "c": (500, 500, 12, 500, "500 + 500, 12 tours, 500 tables"),
    "d": (300, 0, 8, 150, "300 non biparti, 8 tours, 150 tables"),
}
TARGETS = {"a": 10.0, "b": 10.0, "c": 60.0, "d": 10.0}


def _weight(rng: random.Random) -> int:
    x = rng.random()
    return 3 if x < 0.2 else 2 if x < 0.5 else 1


def _pick(rng: random.Random, candidates: list[str], popularity: dict[str, float], k: int) -> list[str]:
    """k distinct candidates drawn with probability proportional to popularity (Efraimidis-Spirakis)."""
    keyed = sorted(candidates, key=lambda c: rng.random() ** (1.0 / popularity[c]), reverse=True)
    return keyed[:k]


def make_event(
    *,
    side_a: int,
    side_b: int,
    rounds: int,
    tables: int,
    seed: int,
    wishes_each: int = 10,
    unavailable_share: float = 0.2,
    unavailable_rounds: int = 2,
    skew: float = 1.0,
) -> dict:
    """A random event as a meeting-schedule document (side_b == 0: anyone may meet anyone)."""
    rng = random.Random(seed)
    bipartite = side_b > 0
    if bipartite:
        group_a = [f"asso-{i}" for i in range(side_a)]
        group_b = [f"ent-{i}" for i in range(side_b)]
    else:
        group_a = [f"p-{i}" for i in range(side_a)]
        group_b = []
    everyone = group_a + group_b
    # Zipf-like popularity over a random order: a few people are wanted by many.
    order = everyone[:]
    rng.shuffle(order)
    popularity = {pid: 1.0 / (rank + 1) ** skew for rank, pid in enumerate(order)}
    participants = []
    for pid in everyone:
        row: dict = {"id": pid}
        if bipartite:
            row["side"] = "A" if pid in set(group_a) else "B"
        if rng.random() < unavailable_share:
            row["unavailable"] = sorted(rng.sample(range(rounds), min(unavailable_rounds, rounds)))
        participants.append(row)
    side_of = {row["id"]: row.get("side") for row in participants}
    wishes = []
    for pid in everyone:
        if bipartite:
            others = group_b if side_of[pid] == "A" else group_a
        else:
            others = [o for o in everyone if o != pid]
        for target in _pick(rng, others, popularity, min(wishes_each, len(others))):
            wishes.append({"from": pid, "to": target, "weight": _weight(rng)})
    return {
        "rounds": rounds,
        "tables": tables,
        "bipartite": bipartite,
        "participants": participants,
        "wishes": wishes,
    }


def run(
    names: list[str], *, small: bool, seed: int, time_limit: float | None, skew: float = 1.0
) -> list[dict]:
    results = []
    for name in names:
        side_a, side_b, rounds, tables, label = INSTANCES[name]
        if small:
            side_a, side_b, tables = max(10, side_a // 10), side_b // 10, max(3, tables // 10)
            label = f"{label} (réduit au 1/10)"
        document = make_event(
            side_a=side_a, side_b=side_b, rounds=rounds, tables=tables, seed=seed, skew=skew
        )
        event = parse_event(document)
        started = time.perf_counter()
        plan = plan_meetings(event, time_limit=time_limit)
        seconds = time.perf_counter() - started
        check_plan(event, plan.meetings)
        greedy = greedy_plan(event)
        check_plan(event, greedy.meetings)
        row = {
            "name": name,
            "label": label,
            "wishes": len(event.wishes),
            "bound": plan.upper_bound,
            "planner_value": plan.total_value,
            "planner_pct": 100.0 * plan.quality,
            "planner_seconds": seconds,
            "greedy_value": greedy.total_value,
            "greedy_pct": 100.0 * greedy.total_value / plan.upper_bound if plan.upper_bound else 100.0,
            "greedy_seconds": greedy.stats["seconds"],
            "meetings": len(plan.meetings),
            "exact": plan.stats.get("exact_solver_used"),
            "after_heuristic": plan.stats.get("selection_placed_value"),
            "after_fill": plan.stats.get("local_search_value"),
            "selection": plan.stats.get("selection_value"),
        }
        results.append(row)
        print(
            f"({name}) {label}: planner {row['planner_value']}/{row['bound']} = {row['planner_pct']:.2f} % "
            f"in {seconds:.2f} s (chosen meetings placed {row['after_heuristic']}/{row['selection']}, after fill {row['after_fill']}, "
            f"exact step {'used' if row['exact'] else 'not needed'}); greedy {row['greedy_pct']:.2f} % "
            f"in {row['greedy_seconds']:.2f} s",
            flush=True,
        )
    return results


def markdown(
    results: list[dict], *, small: bool, seed: int, time_limit: float | None, skew: float = 1.0
) -> str:
    lines = [
        "| instance | vœux | borne | planificateur : valeur | % borne | s | glouton : valeur | % borne | s | cible |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        target = "" if small else f"≥ 99,5 %, < {TARGETS[r['name']]:.0f} s"
        lines.append(
            f"| ({r['name']}) {r['label']} | {r['wishes']} | {r['bound']} | {r['planner_value']} | "
            f"{r['planner_pct']:.2f} % | {r['planner_seconds']:.2f} | {r['greedy_value']} | "
            f"{r['greedy_pct']:.2f} % | {r['greedy_seconds']:.2f} | {target} |"
        )
    budget = "by size" if time_limit is None else f"{time_limit:g} s"
    header = (
        f"Seed {seed}, popularity skew {skew:g}, time limit {budget}, Python {platform.python_version()}, "
        f"{platform.machine()}, run on {time.strftime('%Y-%m-%d')}."
    )
    return header + "\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="instances a tenth of the size (quick check)")
    parser.add_argument("--only", default="a,b,c,d", help="comma-separated instances among a,b,c,d")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--skew", type=float, default=1.0, help="Zipf exponent of popularity (higher: more skewed)"
    )
    parser.add_argument(
        "--time-limit", type=float, default=None, help="planner search budget (s); default: by size"
    )
    parser.add_argument("--write", help="append the Markdown table to this file")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in INSTANCES]
    if unknown:
        parser.error(f"unknown instance(s): {', '.join(unknown)}")
    results = run(names, small=args.small, seed=args.seed, time_limit=args.time_limit, skew=args.skew)
    table = markdown(results, small=args.small, seed=args.seed, time_limit=args.time_limit, skew=args.skew)
    print()
    print(table)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(table + "\n")


if __name__ == "__main__":
    main()
