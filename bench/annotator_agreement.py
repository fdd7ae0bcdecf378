"""Agreement between two annotators on data/matching_dev2 or on the held-out set (issue 16).

Two steps:

- ``sample``: draws a fixed-seed sample of need -> offer pairs from data/matching_dev2 (about 100 of the
  annotator's good pairs, 80 of its tempting rejected pairs and 70 plausible pairs that neither file
  lists), writes them shuffled and without any label to data/matching_dev2_rejudge/blind_pairs.csv and
  the hidden key to /tmp/hE_key.csv (copied to data/matching_dev2_rejudge/key.csv only after judging).
- ``compare``: reads the second annotator's judgments (data/matching_dev2_rejudge/judgments.csv: pair,
  good yes/no, reason) and the key; prints percent agreement, Cohen's kappa, agreement per stratum and a
  rough ceiling: the precision@5 that a perfect copy of the second annotator would score against the
  dev2 labels on the sample.

With ``--set dev2`` (the default) it never reads data/matching_heldout. With ``--set heldout`` it samples
the frozen held-out set data/matching_heldout (read only, nothing written there) into
data/matching_heldout_rejudge/, stratified so that remote help is well covered: 100 good pairs of which up
to 40 of case "remote", 80 rejected pairs, 80 plausible unlisted pairs of which half join two different
regions. Its ``compare`` prints aggregates only (counts, shares, kappa, per stratum, per case and per
rejection case), never a pair, an id or a text: the engine's developers must not see held-out items.

    .venv/bin/python bench/annotator_agreement.py sample [--set dev2|heldout]
    .venv/bin/python bench/annotator_agreement.py compare [--set dev2|heldout] [--key PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from terreau.matching.geodata import REGIONS as REGION_NAMES  # noqa: E402

DEV2 = ROOT / "data" / "matching_dev2"
OUT = ROOT / "data" / "matching_dev2_rejudge"
GEO = ROOT / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
TMP_KEY = Path("/tmp/hE_key.csv")
SEED = 20261205
N_GOOD, N_REJECTED, N_UNLISTED = 100, 80, 70

HELDOUT = ROOT / "data" / "matching_heldout"
HELDOUT_OUT = ROOT / "data" / "matching_heldout_rejudge"
HELDOUT_TMP_KEY = Path("/tmp/hR_heldout_key.csv")
HELDOUT_SEED = 20261206
# good pairs: N_REMOTE of case "remote" (all if fewer), the rest from the other cases; unlisted: half
# joining two different regions, half within one region.
H_GOOD, H_REMOTE, H_REJECTED, H_CROSS, H_LOCAL = 100, 40, 80, 40, 40
GOOD_CASES = ("scope", "remote", "rural", "context", "wrong_type", "missing_type", "plain")


def _places() -> dict[str, str]:
    """INSEE code -> 'Commune (dept, region, population; EPCI)'."""
    communes = json.loads((GEO / "communes.json").read_text(encoding="utf-8"))
    epci_of = {}
    for epci in json.loads((GEO / "epci.json").read_text(encoding="utf-8")):
        for member in epci["membres"]:
            epci_of[member["code"]] = epci["nom"]
    out = {}
    for c in communes:
        if c.get("type") != "commune-actuelle":
            continue
        region = REGION_NAMES.get(c.get("region", ""), c.get("region", ""))
        out[c["code"]] = (
            f"{c['nom']} ({c.get('departement', '')}, {region}, {c.get('population', '?')} hab. ; "
            f"{epci_of.get(c['code'], 'sans EPCI')})"
        )
    return out


def _load_orgs(base: Path = DEV2):
    orgs, items = {}, {}
    with (base / "organisations.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            org = json.loads(line)
            orgs[org["id"]] = org
            for side in ("needs", "offers"):
                for item in org.get(side, []):
                    items[item["id"]] = (org["id"], item)
    return orgs, items


def _read_pairs(name: str, base: Path = DEV2) -> list[tuple[str, str]]:
    with (base / name).open(encoding="utf-8") as fh:
        return [(row["need"], row["offer"]) for row in csv.DictReader(fh)]


def _read_cases(name: str, base: Path) -> dict[tuple[str, str], str]:
    with (base / name).open(encoding="utf-8") as fh:
        return {(row["need"], row["offer"]): row.get("case", "") for row in csv.DictReader(fh)}


def _region(orgs, org_id, regions_of):
    return regions_of.get(orgs[org_id].get("commune"), None)


def _unlisted_pool(orgs, items, region_of, listed, sides=None) -> list[tuple[str, str]]:
    """Plausible pairs that neither file lists: different organisations, and either the same region with a
    shared theme or declared type, or a shared theme and a shared declared type whatever the region.

    ``sides`` (item id -> "needs" / "offers") tells needs from offers; without it (dev2, kept as it was)
    the id's "-n" / "-o" does."""
    unlisted = []

    def is_need(item_id):
        return sides[item_id] == "needs" if sides else "-n" in item_id

    def is_offer(item_id):
        return sides[item_id] == "offers" if sides else "-o" in item_id

    for need_id, (need_org, need) in sorted(items.items()):
        if not is_need(need_id):
            continue
        for offer_id, (offer_org, offer) in sorted(items.items()):
            if not is_offer(offer_id) or offer_org == need_org or (need_id, offer_id) in listed:
                continue
            same_region = _region(orgs, need_org, region_of) == _region(orgs, offer_org, region_of)
            n_themes = {need.get("theme")} | set(orgs[need_org].get("themes", []))
            o_themes = {offer.get("theme")} | set(orgs[offer_org].get("themes", []))
            theme = bool((n_themes & o_themes) - {None})
            typ = need.get("type") is not None and need.get("type") == offer.get("type")
            if (same_region and (theme or typ)) or (theme and typ):
                unlisted.append((need_id, offer_id))
    return unlisted


def _region_of() -> dict[str, str]:
    communes = json.loads((GEO / "communes.json").read_text(encoding="utf-8"))
    return {c["code"]: c.get("region") for c in communes if c.get("type") == "commune-actuelle"}


BLIND_FIELDS = [
    "pair",
    "need_org",
    "need_kind",
    "need_place",
    "need_type",
    "need_theme",
    "need_text",
    "offer_org",
    "offer_kind",
    "offer_place",
    "offer_type",
    "offer_theme",
    "offer_text",
]


def _sides(base: Path) -> dict[str, str]:
    out = {}
    with (base / "organisations.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            org = json.loads(line)
            for side in ("needs", "offers"):
                for item in org.get(side, []):
                    out[item["id"]] = side
    return out


def _heldout_strata(orgs, items, region_of):
    """Pools of the held-out set by stratum: good-remote, good-other, rejected, unlisted-cross,
    unlisted-local (pair lists, sorted as in their files), and the case of every listed pair."""
    good_cases = _read_cases("pairs.csv", HELDOUT)
    rejected_cases = _read_cases("rejected.csv", HELDOUT)
    listed = set(good_cases) | set(rejected_cases)
    unlisted = _unlisted_pool(orgs, items, region_of, listed, sides=_sides(HELDOUT))

    def cross(pair):
        need_org, offer_org = items[pair[0]][0], items[pair[1]][0]
        return _region(orgs, need_org, region_of) != _region(orgs, offer_org, region_of)

    pools = {
        "good-remote": [p for p in good_cases if good_cases[p] == "remote"],
        "good-other": [p for p in good_cases if good_cases[p] != "remote"],
        "rejected": list(rejected_cases),
        "unlisted-cross": [p for p in unlisted if cross(p)],
        "unlisted-local": [p for p in unlisted if not cross(p)],
    }
    return pools, {**good_cases, **rejected_cases}


def _blind_row(pid: str, need_id: str, offer_id: str, *, items, orgs, places) -> dict[str, str]:
    """A line of blind_pairs.csv: the pair's two texts with their organisations and places, no label."""
    row = {"pair": pid}
    for side, item_id in (("need", need_id), ("offer", offer_id)):
        org, item = items[item_id]
        row |= {
            f"{side}_org": orgs[org]["name"],
            f"{side}_kind": orgs[org]["kind"],
            f"{side}_place": places.get(orgs[org].get("commune"), "?"),
            f"{side}_type": item.get("type", ""),
            f"{side}_theme": item.get("theme", ""),
            f"{side}_text": item["text"],
        }
    return row


def sample_heldout() -> None:
    orgs, items = _load_orgs(HELDOUT)
    region_of = _region_of()
    places = _places()
    pools, cases = _heldout_strata(orgs, items, region_of)
    rng = random.Random(HELDOUT_SEED)
    n_remote = min(H_REMOTE, len(pools["good-remote"]))
    sizes = {
        "good-remote": n_remote,
        "good-other": min(H_GOOD - n_remote, len(pools["good-other"])),
        "rejected": min(H_REJECTED, len(pools["rejected"])),
        "unlisted-cross": min(H_CROSS, len(pools["unlisted-cross"])),
        "unlisted-local": min(H_LOCAL, len(pools["unlisted-local"])),
    }
    chosen = [(p, stratum) for stratum, size in sizes.items() for p in rng.sample(pools[stratum], size)]
    rng.shuffle(chosen)
    HELDOUT_OUT.mkdir(parents=True, exist_ok=True)
    with (
        (HELDOUT_OUT / "blind_pairs.csv").open("w", encoding="utf-8", newline="") as blind,
        HELDOUT_TMP_KEY.open("w", encoding="utf-8", newline="") as key,
    ):
        bw = csv.DictWriter(blind, fieldnames=BLIND_FIELDS)
        bw.writeheader()
        kw = csv.writer(key)
        kw.writerow(["pair", "need", "offer", "source", "stratum", "case"])
        for k, ((need_id, offer_id), stratum) in enumerate(chosen, 1):
            pid = f"P{k:03d}"
            bw.writerow(_blind_row(pid, need_id, offer_id, items=items, orgs=orgs, places=places))
            source = stratum.split("-")[0]
            kw.writerow([pid, need_id, offer_id, source, stratum, cases.get((need_id, offer_id), "")])
    print("pools: " + ", ".join(f"{s} {len(p)}" for s, p in pools.items()))
    print("sampled: " + ", ".join(f"{s} {n}" for s, n in sizes.items()))
    print(
        f"wrote {len(chosen)} blind pairs to {HELDOUT_OUT / 'blind_pairs.csv'} and the key to {HELDOUT_TMP_KEY}"
    )


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def _share(k: int, n: int) -> str:
    if n == 0:
        return "0 / 0"
    lo, hi = _wilson(k, n)
    return f"{k} / {n} = {k / n:.3f} (Wilson 95 % {lo:.2f}-{hi:.2f})"


def compare_heldout(key_path: Path) -> None:
    """Aggregates only: never prints a pair, an id or a text."""
    orgs, items = _load_orgs(HELDOUT)
    with key_path.open(encoding="utf-8") as fh:
        key = {row["pair"]: row for row in csv.DictReader(fh)}
    with (HELDOUT_OUT / "judgments.csv").open(encoding="utf-8") as fh:
        judged = {row["pair"]: row for row in csv.DictReader(fh)}
    missing = set(key) - set(judged)
    if missing:
        raise SystemExit(f"{len(missing)} pairs not judged")
    rows = [
        {
            "pair": pid,
            "source": k["source"],
            "stratum": k["stratum"],
            "case": k["case"],
            "truth": k["source"] == "good",
            "mine": judged[pid]["good"].strip().lower() in {"yes", "oui", "1", "true"},
            "need_org": items[k["need"]][0],
            "offer_org": items[k["offer"]][0],
        }
        for pid, k in sorted(key.items())
    ]
    a = [r["truth"] for r in rows]
    b = [r["mine"] for r in rows]
    n = len(rows)
    agree = sum(x == y for x, y in zip(a, b, strict=True))
    print(f"pairs judged: {n} (held-out good {sum(a)}, second annotator good {sum(b)})")
    print(f"overall agreement: {_share(agree, n)}; Cohen's kappa = {_kappa(a, b):.3f}")
    print("per stratum (share where the second annotator agrees with the held-out label):")
    for stratum in ("good-remote", "good-other", "rejected", "unlisted-cross", "unlisted-local"):
        sub = [r for r in rows if r["stratum"] == stratum]
        k = sum(r["mine"] == r["truth"] for r in sub)
        print(f"  {stratum:15s} {_share(k, len(sub))}")
    good = [r for r in rows if r["source"] == "good"]
    print(f"held-out good pairs judged good too: {_share(sum(r['mine'] for r in good), len(good))}")
    print("  per case of the good pairs (judged good too):")
    for case in GOOD_CASES:
        sub = [r for r in good if r["case"] == case]
        print(f"    {case:13s} {_share(sum(r['mine'] for r in sub), len(sub))}")
    rej = [r for r in rows if r["source"] == "rejected"]
    print(f"held-out rejected pairs judged not good too: {_share(sum(not r['mine'] for r in rej), len(rej))}")
    print("  per rejection case (judged not good too):")
    for case in sorted({r["case"] for r in rej}):
        sub = [r for r in rej if r["case"] == case]
        print(f"    {case:13s} {_share(sum(not r['mine'] for r in sub), len(sub))}")
    unl = [r for r in rows if r["source"] == "unlisted"]
    print(
        f"unlisted plausible pairs the second annotator judges good: {_share(sum(r['mine'] for r in unl), len(unl))}"
    )
    for stratum, label in (
        ("unlisted-cross", "remote-type (offer from another region)"),
        ("unlisted-local", "local (same region)"),
    ):
        sub = [r for r in unl if r["stratum"] == stratum]
        print(f"  {label:40s} {_share(sum(r['mine'] for r in sub), len(sub))}")

    pools, _ = _heldout_strata(orgs, items, _region_of())
    sizes = {s: len(p) for s, p in pools.items()}
    weight = {s: sizes[s] / max(1, sum(r["stratum"] == s for r in rows)) for s in sizes}
    wtp = sum(weight[r["stratum"]] for r in rows if r["mine"] and r["truth"])
    wpos = sum(weight[r["stratum"]] for r in rows if r["mine"])
    wgood = sum(weight[r["stratum"]] for r in rows if r["truth"])
    print(
        "reweighted to the pools ("
        + ", ".join(f"{s} {v}" for s, v in sizes.items())
        + f"): second annotator's good pairs also good for the held-out set {wtp / max(wpos, 1e-9):.3f}; "
        f"held-out good pairs also good for the second annotator {wtp / max(wgood, 1e-9):.3f}"
    )
    p5, n_orgs = _p_at_5(rows, "mine", "truth")
    print(
        f"ceiling (sample): precision@5 against the held-out labels of a perfect copy of the second "
        f"annotator: {p5:.3f} (mean over {n_orgs} organisations)"
    )


def sample() -> None:
    orgs, items = _load_orgs()
    region_of = _region_of()
    places = _places()
    good = _read_pairs("pairs.csv")
    rejected = _read_pairs("rejected.csv")
    listed = set(good) | set(rejected)
    rng = random.Random(SEED)

    unlisted = _unlisted_pool(orgs, items, region_of, listed)
    chosen = (
        [(p, "good") for p in rng.sample(good, N_GOOD)]
        + [(p, "rejected") for p in rng.sample(rejected, N_REJECTED)]
        + [(p, "unlisted") for p in rng.sample(unlisted, N_UNLISTED)]
    )
    rng.shuffle(chosen)
    OUT.mkdir(parents=True, exist_ok=True)
    blind_fields = BLIND_FIELDS
    with (
        (OUT / "blind_pairs.csv").open("w", encoding="utf-8", newline="") as blind,
        TMP_KEY.open("w", encoding="utf-8", newline="") as key,
    ):
        bw = csv.DictWriter(blind, fieldnames=blind_fields)
        bw.writeheader()
        kw = csv.writer(key)
        kw.writerow(["pair", "need", "offer", "source"])
        for k, ((need_id, offer_id), source) in enumerate(chosen, 1):
            pid = f"P{k:03d}"
            bw.writerow(_blind_row(pid, need_id, offer_id, items=items, orgs=orgs, places=places))
            kw.writerow([pid, need_id, offer_id, source])
    print(
        f"unlisted plausible pool: {len(unlisted)} pairs; population good {len(good)}, rejected {len(rejected)}"
    )
    print(f"wrote {len(chosen)} blind pairs to {OUT / 'blind_pairs.csv'} and the key to {TMP_KEY}")


def _kappa(a: list[bool], b: list[bool]) -> float:
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def _p_at_5(rows, ranker: str, truth: str) -> tuple[float, int]:
    """Mean over organisations (either side of a pair) of precision@5 of the pairs ``ranker`` says good,
    measured against ``truth``; organisations where ``ranker`` says no pair good are skipped."""
    by_org = defaultdict(list)
    for r in rows:
        by_org[r["need_org"]].append(r)
        by_org[r["offer_org"]].append(r)
    scores = []
    for org in sorted(by_org):
        ranked = [r for r in sorted(by_org[org], key=lambda r: r["pair"]) if r[ranker]][:5]
        if ranked:
            scores.append(sum(r[truth] for r in ranked) / len(ranked))
    return (sum(scores) / len(scores) if scores else float("nan")), len(scores)


def compare(key_path: Path) -> None:
    orgs, items = _load_orgs()
    with key_path.open(encoding="utf-8") as fh:
        key = {row["pair"]: row for row in csv.DictReader(fh)}
    with (OUT / "judgments.csv").open(encoding="utf-8") as fh:
        judged = {row["pair"]: row for row in csv.DictReader(fh)}
    missing = set(key) - set(judged)
    if missing:
        raise SystemExit(f"{len(missing)} pairs not judged, e.g. {sorted(missing)[:5]}")
    rows = [
        {
            "pair": pid,
            "source": k["source"],
            "dev2": k["source"] == "good",
            "mine": judged[pid]["good"].strip().lower() in {"yes", "oui", "1", "true"},
            "need_org": items[k["need"]][0],
            "offer_org": items[k["offer"]][0],
        }
        for pid, k in sorted(key.items())
    ]
    a = [r["dev2"] for r in rows]
    b = [r["mine"] for r in rows]
    n = len(rows)
    agree = sum(x == y for x, y in zip(a, b, strict=True))
    print(f"pairs judged: {n} (dev2 good {sum(a)}, second annotator good {sum(b)})")
    print(f"overall agreement: {agree}/{n} = {agree / n:.3f}; Cohen's kappa = {_kappa(a, b):.3f}")
    for source, says_good in (("good", True), ("rejected", False), ("unlisted", True)):
        vals = [r["mine"] for r in rows if r["source"] == source]
        share = (sum(vals) if says_good else len(vals) - sum(vals)) / len(vals)
        verb = "judged good" if says_good else "judged not good"
        print(f"  dev2 {source:8s} pairs: {len(vals):3d}; second annotator {verb}: {share:.3f}")
    tp = sum(r["dev2"] and r["mine"] for r in rows)
    print(
        f"on the sample: second annotator's good pairs also good for dev2 {tp / max(1, sum(b)):.3f}; "
        f"dev2 good pairs also good for the second annotator {tp / max(1, sum(a)):.3f}"
    )

    # Strata were sampled at different rates: reweight each to its pool (all good pairs, all rejected
    # pairs, all plausible unlisted pairs; implausible unlisted pairs are assumed bad for both).
    listed = set(_read_pairs("pairs.csv")) | set(_read_pairs("rejected.csv"))
    pools = {
        "good": len(_read_pairs("pairs.csv")),
        "rejected": len(_read_pairs("rejected.csv")),
        "unlisted": len(_unlisted_pool(orgs, items, _region_of(), listed)),
    }
    weight = {s: pools[s] / sum(r["source"] == s for r in rows) for s in pools}
    wtp = sum(weight[r["source"]] for r in rows if r["mine"] and r["dev2"])
    wpos = sum(weight[r["source"]] for r in rows if r["mine"])
    wgood = sum(weight[r["source"]] for r in rows if r["dev2"])
    print(
        f"reweighted to the pools ({pools['good']} good, {pools['rejected']} rejected, "
        f"{pools['unlisted']} plausible unlisted): second annotator's good pairs also good for dev2 "
        f"{wtp / wpos:.3f}; dev2 good pairs also good for the second annotator {wtp / wgood:.3f}"
    )
    p5, n_orgs = _p_at_5(rows, "mine", "dev2")
    print(
        f"ceiling (sample): precision@5 against dev2 of a perfect copy of the second annotator: "
        f"{p5:.3f} (mean over {n_orgs} organisations with at least one pair it judges good)"
    )
    p5r, n_orgs_r = _p_at_5(rows, "dev2", "mine")
    print(
        f"reverse (sample): precision@5 of dev2's own labels against the second annotator: "
        f"{p5r:.3f} (over {n_orgs_r} organisations)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["sample", "compare"])
    parser.add_argument(
        "--set",
        dest="which",
        choices=["dev2", "heldout"],
        default="dev2",
        help="dev2 (default) or the frozen held-out set (aggregate output only)",
    )
    parser.add_argument(
        "--key", type=Path, default=None, help="key file (default: key.csv if present, else /tmp)"
    )
    args = parser.parse_args()
    if args.which == "heldout":
        if args.step == "sample":
            sample_heldout()
            return
        default = HELDOUT_OUT / "key.csv"
        compare_heldout(args.key or (default if default.exists() else HELDOUT_TMP_KEY))
        return
    if args.step == "sample":
        sample()
        return
    compare(args.key or (OUT / "key.csv" if (OUT / "key.csv").exists() else TMP_KEY))


if __name__ == "__main__":
    main()
