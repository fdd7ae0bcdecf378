"""Per-item errors of the engine on a DEVELOPMENT set, to find classes of mistakes (never the held-out set).

    .venv/bin/python bench/matching_errors.py data/matching_eval
    .venv/bin/python bench/matching_errors.py data/matching_dev2 [--org ID] [--traps]

For each organisation whose top 5 misses a good partner: its items (type code, kinds read from the text,
scope, flags), its top 10 (good partners marked), and each missed good partner with its rank and the best
pair's score and reasons. Refuses the held-out sets data/matching_heldout2a/ to 2l/ (frozen, never tuned on; the
first held-out set data/matching_heldout/ was retired to development on 2026-12-06) and the validation sets
data/matching_dev3b/, dev4b/, dev5b/, dev7b/ and dev8b/ (never read).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from terreau.matching import engine, evaluation, geo, text  # noqa: E402


def describe(item: engine.Item) -> str:
    a = text.analyse(item.text)
    sc = a.scope
    bits = []
    if sc.departments or sc.own or sc.radius_km or sc.epcis:
        bits.append(
            f"scope={sorted(sc.departments)}{sc.own or ''}{sc.radius_km or ''}{'H' if sc.hard else ''}"
        )
    if sc.remote:
        bits.append("REMOTE")
    if sc.on_site:
        bits.append("onsite")
    if a.gives:
        bits.append("gives")
    if a.seeks:
        bits.append("seeks")
    return f"[{item.type or '-'}|{','.join(sorted(a.types)) or '-'}{' ' + ' '.join(bits) if bits else ''}] {item.text}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--org", default=None)
    parser.add_argument("--traps", action="store_true")
    args = parser.parse_args()
    folder = Path(args.directory).resolve()
    if any(
        folder == d.resolve() or d.name.removeprefix("matching_") in folder.name
        for d in evaluation.HELDOUT_DIRS
    ):
        sys.exit("refused: the held-out sets are never read for tuning")
    for frozen in evaluation.VALIDATION_DIRS:
        if folder == frozen.resolve() or frozen.name.removeprefix("matching_") in folder.name:
            sys.exit(f"refused: the validation set {frozen.name} is never read (aggregate figures only)")
    es = evaluation.load(folder)
    orgs = {o.id: o for o in es.organisations}
    owner = es.owner()
    items = es.items()
    full = dict(engine.match(es.organisations, top=len(orgs)))
    good = evaluation.good_partners(es)
    cases = {}
    for (n, o), c in es.cases.items():
        x, y = owner[("need", n)].id, owner[("offer", o)].id
        cases.setdefault((x, y), set()).add(c)
        cases.setdefault((y, x), set()).add(c)
    if args.traps:
        shown = {}
        for x, plist in full.items():
            for r, p in enumerate(plist[:5]):
                for pair in p.pairs:
                    shown.setdefault((pair.need, pair.offer), []).append((x, r + 1, p.score))
        for need, offer, case in es.rejected:
            if (need, offer) in shown:
                print(f"TRAP {case}: {need} -> {offer} shown {shown[(need, offer)]}")
                print("   need :", describe(items[("need", need)]))
                print("   offer:", describe(items[("offer", offer)]))
        return
    for x in sorted(good):
        if args.org and x != args.org:
            continue
        ranked = [p.id for p in full.get(x, [])]
        rel = good[x]
        top5 = set(ranked[:5])
        missed = [y for y in rel if y not in top5]
        if len(top5 & rel) >= min(5, len(rel)) and not args.org:
            continue
        org = orgs[x]
        dept = geo.department_of(org.commune)
        print(f"=== {x} ({org.kind}, {org.commune} dept {dept}) good={len(rel)} in top5={len(top5 & rel)}")
        for it in org.needs:
            print("  N", it.id, describe(it))
        for it in org.offers:
            print("  O", it.id, describe(it))
        for r, p in enumerate(full.get(x, [])[:7]):
            mark = "GOOD" if p.id in rel else "    "
            print(
                f"   {r + 1:2d} {mark} {p.score:.3f} {p.id} ({geo.department_of(orgs[p.id].commune)}) "
                f"{[(q.need, q.offer) for q in p.pairs][:2]} {list(p.why)[:5]}"
            )
        for y in missed:
            rank = ranked.index(y) + 1 if y in ranked else None
            p = full[x][rank - 1] if rank else None
            print(
                f"   MISSED {y} ({geo.department_of(orgs[y].commune)}) rank={rank} "
                f"score={p.score if p else 0:.3f} cases={sorted(cases.get((x, y), []))}"
            )
            if p:
                print(f"        why={list(p.why)}")
            for need, offer in es.pairs:
                on, oo = owner[("need", need)].id, owner[("offer", offer)].id
                if {on, oo} == {x, y}:
                    print("        need :", need, describe(items[("need", need)]))
                    print("        offer:", offer, describe(items[("offer", offer)]))


if __name__ == "__main__":
    main()
