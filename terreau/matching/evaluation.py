"""Evaluation of the engine on hand-labelled sets, against a codes-only baseline.

Five sets: data/matching_eval/ (the development part, written with the engine: in-sample, tuned on),
data/matching_dev2/ (a second development part written by an independent annotator in other regions, in the
held-out part's format: tuned on, so in-sample too once used) and data/matching_heldout/ (written
independently, frozen 2026-12-05: never edited, never tuned on); data/matching_dev3a/ (a third development
part by a blind annotator: tuned on) and data/matching_dev3b/ (a validation part by another blind annotator,
frozen by its MANIFEST.sha256: only its aggregate figures are printed, never its texts or per-item errors,
and it is not tuned on); likewise data/matching_dev4a/ (development, remote-heavy: tuned on) and
data/matching_dev4b/ (validation, remote-heavy, frozen: aggregate figures only), and dev5a / dev5b (the same
pair of roles, by two more blind annotators, in the brief of the held-out parts 2a-2f), and dev6a (one more
development part in that brief). All hold organisations.jsonl and pairs.csv
(need, offer[, case]); dev2 and the held-out part also rejected.csv (tempting pairs judged bad).

Pure Python. Definitions (also printed by bench/matching.py):
- good partners of X: the organisations Y such that a judged good pair joins a need of X and an offer of Y,
  or a need of Y and an offer of X;
- precision@5 of X = |top 5 of X ∩ good(X)| / min(5, |good(X)|)  (1.0 when the 5 first places hold as
  many good partners as there can be);
- recall@10 of X = |top 10 of X ∩ good(X)| / |good(X)|;
- both are averaged over the organisations with at least one good partner (macro average);
- "theme codes missing" subset: only the good pairs where the need or the offer has no theme code; good
  partners outside the subset are taken out of the ranking before cutting it (they neither help nor hurt).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import engine

EVAL_DIR = Path(__file__).resolve().parents[2] / "data" / "matching_eval"
DEV2_DIR = EVAL_DIR.parent / "matching_dev2"
# The first held-out part (frozen 2026-12-05): measured seven times unseen, then retired to development on
# 2026-12-06 (read and tuned on from then). Its files stay frozen by their MANIFEST.sha256.
RETIRED_HELDOUT_DIR = EVAL_DIR.parent / "matching_heldout"
# The held-out parts since 2026-12-06, each written blind by its own annotator and frozen before any measure:
# 2a and 2b (first measured on 2026-12-06 with ENGINE_VERSION 4), 2c and 2d (written later that day, after the
# pass that made ENGINE_VERSION 5, and committed before any measure on them), 2e to 2h (written during the pass
# that made ENGINE_VERSION 6, blind to it, committed before any measure on them), 2i to 2l (written during the
# pass that made ENGINE_VERSION 7, blind to it, committed before any measure on them).
HELDOUT_DIRS = tuple(EVAL_DIR.parent / f"matching_heldout2{part}" for part in "abcdefghijkl")
DEV3A_DIR = EVAL_DIR.parent / "matching_dev3a"
DEV3B_DIR = EVAL_DIR.parent / "matching_dev3b"
DEV4A_DIR = EVAL_DIR.parent / "matching_dev4a"
DEV4B_DIR = EVAL_DIR.parent / "matching_dev4b"
DEV5A_DIR = EVAL_DIR.parent / "matching_dev5a"
DEV5B_DIR = EVAL_DIR.parent / "matching_dev5b"
DEV6A_DIR = EVAL_DIR.parent / "matching_dev6a"  # development only: no validation sibling
DEV7A_DIR = EVAL_DIR.parent / "matching_dev7a"
DEV7B_DIR = EVAL_DIR.parent / "matching_dev7b"
DEV8A_DIR = EVAL_DIR.parent / "matching_dev8a"
DEV8B_DIR = EVAL_DIR.parent / "matching_dev8b"
# Validation parts: frozen by a MANIFEST.sha256, only their aggregate figures are ever printed.
VALIDATION_DIRS = (DEV3B_DIR, DEV4B_DIR, DEV5B_DIR, DEV7B_DIR, DEV8B_DIR)
CASES = ("scope", "remote", "rural", "context", "wrong_type", "missing_type", "plain")


@dataclass
class EvalSet:
    organisations: list[engine.Organisation]
    pairs: list[tuple[str, str]]  # (need id, offer id); item ids are unique across the set
    cases: dict[tuple[str, str], str] = field(default_factory=dict)  # pair -> case tag, when the set has one
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (need, offer, case) judged bad

    def owner(self) -> dict[tuple[str, str], engine.Organisation]:
        """(side, item id) -> organisation."""
        out = {}
        for org in self.organisations:
            for item in org.needs:
                out[("need", item.id)] = org
            for item in org.offers:
                out[("offer", item.id)] = org
        return out

    def items(self) -> dict[tuple[str, str], engine.Item]:
        out = {}
        for org in self.organisations:
            out.update({("need", i.id): i for i in org.needs})
            out.update({("offer", i.id): i for i in org.offers})
        return out


def load(directory: Path = EVAL_DIR) -> EvalSet:
    orgs = []
    with open(directory / "organisations.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                orgs.append(engine.organisation_from_dict(json.loads(line)))
    with open(directory / "pairs.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    pairs = [(row["need"], row["offer"]) for row in rows]
    cases = {(row["need"], row["offer"]): row["case"] for row in rows if row.get("case")}
    rejected = []
    if (directory / "rejected.csv").exists():
        with open(directory / "rejected.csv", encoding="utf-8", newline="") as f:
            rejected = [(row["need"], row["offer"], row.get("case") or "") for row in csv.DictReader(f)]
    return EvalSet(orgs, pairs, cases, rejected)


def load_optional(directory: Path) -> EvalSet | None:
    """A part that may not be there yet (dev2, dev3a/b, dev4a/b): the set, or None without its pairs.csv."""
    return load(directory) if (directory / "pairs.csv").exists() else None


def load_dev2() -> EvalSet | None:
    """The second development part (data/matching_dev2/), or None while it is not there."""
    return load_optional(DEV2_DIR)


def load_heldout() -> list[tuple[str, EvalSet]]:
    """The frozen held-out parts there (data/matching_heldout2a/ to 2l/): measure on them, never tune on them."""
    parts = [
        (directory.name.removeprefix("matching_"), load_optional(directory)) for directory in HELDOUT_DIRS
    ]
    return [(name, es) for name, es in parts if es is not None]


def good_partners(es: EvalSet, pairs: Iterable[tuple[str, str]] | None = None) -> dict[str, set[str]]:
    owner = es.owner()
    good: dict[str, set[str]] = {}
    for need, offer in es.pairs if pairs is None else pairs:
        x, y = owner[("need", need)].id, owner[("offer", offer)].id
        good.setdefault(x, set()).add(y)
        good.setdefault(y, set()).add(x)
    return good


def missing_theme_pairs(es: EvalSet) -> list[tuple[str, str]]:
    items = es.items()
    return [(n, o) for n, o in es.pairs if not items[("need", n)].theme or not items[("offer", o)].theme]


def metrics(
    ranking: dict[str, list[str]], good: dict[str, set[str]], ignore: dict[str, set[str]] | None = None
):
    """(precision@5, recall@10, number of organisations) as defined in the module docstring."""
    p5, r10 = [], []
    for org, relevant in sorted(good.items()):
        ranked = [y for y in ranking.get(org, []) if not ignore or y not in ignore.get(org, set())]
        p5.append(len(set(ranked[:5]) & relevant) / min(5, len(relevant)))
        r10.append(len(set(ranked[:10]) & relevant) / len(relevant))
    n = len(p5)
    return (sum(p5) / n if n else 0.0, sum(r10) / n if n else 0.0, n)


def engine_partners(es: EvalSet, top: int = 10) -> dict[str, list[engine.Partner]]:
    return dict(engine.match(es.organisations, top=top))


def engine_ranking(es: EvalSet, top: int = 10) -> dict[str, list[str]]:
    return {org_id: [p.id for p in partners] for org_id, partners in engine_partners(es, top).items()}


def case_metrics(es: EvalSet, ranking: dict[str, list[str]]) -> dict[str, tuple[float, float, int]]:
    """{case: (precision@5, recall@10, organisations)} on the good pairs of each case tag; the other good
    partners of an organisation are taken out of its ranking before cutting it (as for missing themes)."""
    good = good_partners(es)
    out = {}
    for case in CASES:
        subset = [p for p in es.pairs if es.cases.get(p) == case]
        if not subset:
            continue
        rel = good_partners(es, subset)
        ignore = {org: good.get(org, set()) - r for org, r in rel.items()}
        out[case] = metrics(ranking, rel, ignore)
    return out


def trap_rate(
    es: EvalSet, partners: dict[str, list[engine.Partner]], top: int = 5
) -> dict[str, tuple[int, int]]:
    """{case: (rejected pairs suggested, rejected pairs)} and the total under "all". A rejected pair
    (need of X, offer of Y) is suggested when X lists Y among its `top` first partners, or Y lists X,
    with that very pair among the partner's pairs shown."""
    shown: set[tuple[str, str]] = set()
    for plist in partners.values():
        for p in plist[:top]:
            shown.update((pair.need, pair.offer) for pair in p.pairs)
    out: dict[str, list[int]] = {}
    for need, offer, case in es.rejected:
        hit = int((need, offer) in shown)
        for key in (case or "other", "all"):
            c = out.setdefault(key, [0, 0])
            c[0] += hit
            c[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def baseline_ranking(organisations: list[engine.Organisation], top: int = 10) -> dict[str, list[str]]:
    """Codes only: a pair scores 1 for the same type code plus 1 for the same theme code (the item's theme,
    else the organisation's themes: 0.5 if they meet); a partner's score is its best pair's; ties by id."""
    best: dict[tuple[str, str], float] = {}
    for x in organisations:
        for y in organisations:
            if x.id == y.id:
                continue
            for need in x.needs:
                for offer in y.offers:
                    s = _baseline_pair(x, need, y, offer)
                    if s > 0:
                        for a, b in ((x.id, y.id), (y.id, x.id)):
                            if s > best.get((a, b), 0.0):
                                best[(a, b)] = s
    ranking: dict[str, list[tuple[float, str]]] = {}
    for (a, b), s in best.items():
        ranking.setdefault(a, []).append((-s, b))
    return {a: [b for _, b in sorted(v)[:top]] for a, v in ranking.items()}


def _baseline_pair(x, need, y, offer) -> float:
    score = 1.0 if need.type and need.type == offer.type else 0.0
    if need.theme and offer.theme:
        score += 1.0 if need.theme == offer.theme else 0.0
    else:
        tn = {need.theme} if need.theme else set(x.themes)
        to = {offer.theme} if offer.theme else set(y.themes)
        score += 0.5 if tn & to else 0.0
    return score


def evaluate(
    es: EvalSet, rankers: dict[str, Callable[[EvalSet], dict[str, list[str]]]] | None = None
) -> dict:
    """{ranker: {"all": (p5, r10, n), "missing_theme": (p5, r10, n)}}."""
    rankers = rankers or {
        "moteur": engine_ranking,
        "référence (codes)": lambda e: baseline_ranking(e.organisations),
    }
    good = good_partners(es)
    good_missing = good_partners(es, missing_theme_pairs(es))
    ignore = {org: good.get(org, set()) - rel for org, rel in good_missing.items()}
    out = {}
    for name, ranker in rankers.items():
        ranking = ranker(es)
        out[name] = {"all": metrics(ranking, good), "missing_theme": metrics(ranking, good_missing, ignore)}
    return out
