"""Fit the learned final scorer of the complementarity engine (issue 16) on the development sets only.

    .venv/bin/python bench/matching_py          # leave-one-set-out cross-validation + final fit

Reads data/matching_eval, matching_dev2, matching_dev3a and matching_dev4a (never the validation parts
dev3b/dev4b, never the held-out part). For each set: the engine's exact candidate pairs (every pair sharing a
term, blocked by type compatibility, as engine.match does on small data), their signals (Index.pair_factors),
label 1 for a judged good pair (pairs.csv), 0 otherwise. A logistic regression (numpy, L2, Newton steps) on
the features below (pointwise, or --pairwise: good pair against another pair of the same need or offer); its
choices (feature set, L2 strength) by leave-one-set-out
cross-validation: fitted on three sets, ranked on the fourth with the engine's aggregation, precision@5 and
recall@10 as evaluation.py defines them. Deterministic: no randomness anywhere.

The learned score: sigmoid(bias + sum of weight x feature) ("sigmoid"), or the same ranking of pairs in the
hand score's scale ("product": the factors raised to their weights relative to the first feature's, so
that the hand score is the case of equal weights), x status x freshness, and 0 where a hard rule says 0.
Outcome (docs/matching-learned-scorer.md): not better than the hand rules in cross-validation, so the
engine does not use it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from terreau.matching import engine, evaluation  # noqa: E402

# --- features and scores (an experiment: not part of the engine, see docs/matching-learned-scorer.md) ----

FLOOR = 0.01  # factors are floored before their logarithm (a factor of 0 is a hard zero, handled apart)


def _log(v: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(v, FLOOR))


FEATURE_FUNCTIONS = {
    "log_relevance": lambda f: _log(f["relevance"]),
    "log_text": lambda f: _log(f["text"]),
    "theme_same": lambda f: (f["theme"] >= 1.0).astype(np.float64),
    "theme_meet": lambda f: (f["theme"] == 0.5).astype(np.float64),
    "broad": lambda f: f["broad"].astype(np.float64),
    "log_types": lambda f: _log(f["types"]),
    "log_kinds": lambda f: _log(f["kinds"]),
    "log_proximity": lambda f: _log(f["proximity"]),
    "log_need_scope": lambda f: _log(f["need_scope"]),
    "log_offer_scope": lambda f: _log(f["offer_scope"]),
    "log_direction": lambda f: _log(f["direction"]),
    "remote": lambda f: f["remote"].astype(np.float64),
    "physical": lambda f: f["physical"].astype(np.float64),
    "log_hand": lambda f: _log(
        f["relevance"]
        * f["types"]
        * f["kinds"]
        * f["proximity"]
        * f["need_scope"]
        * f["offer_scope"]
        * f["direction"]
    ),
}

FACTORS = (
    "log_relevance",
    "log_types",
    "log_kinds",
    "log_proximity",
    "log_need_scope",
    "log_offer_scope",
    "log_direction",
)
FLAGS = ("remote", "physical", "broad", "theme_same", "theme_meet")
SPLIT = ("log_text", "theme_same", "theme_meet", "broad") + FACTORS[1:] + ("remote", "physical")
CANDIDATE_FEATURES = {
    "hand": ("log_hand",),
    "hand+flags": ("log_hand",) + FLAGS,
    "factors": FACTORS,
    "factors+flags": FACTORS + FLAGS,
    "split": SPLIT,
}
FEATURES = (
    FACTORS + FLAGS
)  # the best CV figure (pointwise, product scale, L2 100); not better than the hand rules
L2 = 100.0
MODE = "product"


def alive(f: dict[str, np.ndarray]) -> np.ndarray:
    """Pairs no hard rule excludes."""
    return (f["status"] > 0) & (f["types"] > 0) & (f["need_scope"] > 0) & (f["offer_scope"] > 0)


def feature_matrix(f: dict[str, np.ndarray], names=FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """(matrix of features, one row per pair; mask of the pairs no hard rule excludes)."""
    x = np.column_stack([FEATURE_FUNCTIONS[n](f) for n in names]) if names else np.zeros((len(f["text"]), 0))
    return x, alive(f)


def score(f: dict[str, np.ndarray], weights, names=FEATURES, mode: str = MODE) -> np.ndarray:
    """mode "sigmoid": the fitted probability; "product": the same ranking of pairs in the hand score's
    scale, exp((z - bias) / w1) with w1 the weight of the first feature (a product of the factors raised to
    their relative weights: the hand score when every weight is equal)."""
    x, ok = feature_matrix(f, names)
    w = np.asarray(weights, dtype=np.float64)
    z = w[0] + x @ w[1:]
    out = 1 / (1 + np.exp(-z)) if mode == "sigmoid" else np.exp((z - w[0]) / w[1])
    out = out * f["status"] * f["freshness"]
    return np.where(ok, np.clip(out, 0.0, 1.0), 0.0)


PAIRWISE = False
DIRECT = False
DEV_SETS = (
    ("dev", evaluation.EVAL_DIR),
    ("dev2", evaluation.DEV2_DIR),
    ("dev3a", evaluation.DEV3A_DIR),
    ("dev4a", evaluation.DEV4A_DIR),
)


class Part:
    """One development set: its index, candidate pairs, signals and labels."""

    def __init__(self, name: str, directory: Path):
        assert directory not in evaluation.VALIDATION_DIRS and directory not in evaluation.HELDOUT_DIRS
        self.name = name
        self.es = evaluation.load(directory)
        self.index = engine.Index.build(self.es.organisations)
        alive = [s for s in range(len(self.index.needs.ids)) if self.index.needs.alive.a[s]]
        ns, os_, cos = self.index._products(self.index.needs, self.index.offers, alive)
        self.ns, self.os = ns, os_
        self.factors = self.index.pair_factors(ns, os_, cos, signals=True)
        self.hand = self.index.hand_score(self.factors)
        good = set(self.es.pairs)
        ids = list(zip(self.index.need_ids(ns), self.index.offer_ids(os_), strict=True))
        self.y = np.array([p in good for p in ids], dtype=np.float64)
        bad = {(n, o) for n, o, _c in self.es.rejected}
        self.rejected = np.array([p in bad for p in ids])
        self.good = evaluation.good_partners(self.es)
        engine_rank = evaluation.engine_ranking(self.es)
        assert self.ranking(self.hand) == {k: v for k, v in engine_rank.items() if v}, name

    def ranking(self, scores: np.ndarray) -> dict[str, list[str]]:
        ranking = {}
        for slot, partners in self.index._aggregate(self.ns, self.os, scores, 10):
            ranking[self.index.org_ids[slot]] = [p.id for p in partners]
        return ranking

    def metrics(self, scores: np.ndarray) -> tuple[float, float]:
        p5, r10, _n = evaluation.metrics(self.ranking(scores), self.good)
        return p5, r10


def fit(x: np.ndarray, y: np.ndarray, l2: float, weight: np.ndarray | None = None, steps: int = 50):
    """Weights (bias first) of an L2-regularised logistic regression, by Newton's method (deterministic)."""
    xb = np.c_[np.ones(len(x)), x]
    w = np.zeros(xb.shape[1])
    sw = np.ones(len(y)) if weight is None else weight
    reg = np.full(xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (sw * (p - y)) + reg * w
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w


def pairwise_rows(part: Part, x: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Differences good pair - other pair, for pairs sharing their need (then their offer)."""
    rows = []
    for key in (part.ns, part.os):
        order = np.argsort(key, kind="stable")
        k = key[order]
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(k)], strict=True):
            idx = order[a:b]
            idx = idx[live[idx]]
            good, other = idx[part.y[idx] == 1], idx[part.y[idx] == 0]
            if len(good) and len(other):
                rows.append((x[good][:, None, :] - x[other][None, :, :]).reshape(-1, x.shape[1]))
    return np.concatenate(rows) if rows else np.zeros((0, x.shape[1]))


def train_pairwise(parts: list[Part], features: tuple[str, ...], l2: float) -> np.ndarray:
    """Weights (bias 0 first) of a pairwise logistic regression: P(good pair ranks above the other)."""
    xs, ws = [], []
    for part in parts:
        x, ok = feature_matrix(part.factors, features)
        d = pairwise_rows(part, x, ok)
        xs.append(d)
        ws.append(np.full(len(d), 1.0 / max(1, len(d))))
    d = np.concatenate(xs)
    w = np.concatenate(ws)
    w *= len(w) / len(parts)
    # Symmetrise (each difference also with label 0, negated) so the fit needs no bias.
    x2 = np.r_[d, -d]
    y2 = np.r_[np.ones(len(d)), np.zeros(len(d))]
    fitted = fit(x2, y2, l2, np.r_[w, w] / 2)
    fitted[0] = 0.0
    return fitted


STEPS = (-0.5, -0.25, -0.1, 0.1, 0.25, 0.5)


def train_direct(parts: list[Part], features: tuple[str, ...], passes: int) -> np.ndarray:
    """Exponents of the product score found by coordinate ascent on the mean precision@5 + recall@10 of the
    training sets (start: the hand score, every factor's exponent 1, every flag's 0). `passes` rounds."""
    w = np.array([0.0, *[1.0 if n.startswith("log_") else 0.0 for n in features]])

    def objective(v):
        return float(np.mean([sum(p.metrics(score(p.factors, v, features, "product"))) for p in parts]))

    best = objective(w)
    for _ in range(int(passes)):
        moved = False
        for i in range(2, len(w)):  # the first feature's exponent stays 1 (it sets the scale)
            for step in STEPS:
                v = w.copy()
                v[i] = max(0.0, v[i] + step) if features[i - 1].startswith("log_") else v[i] + step
                got = objective(v)
                if got > best + 1e-4:
                    w, best, moved = v, got, True
        if not moved:
            break
    w[1] = 1.0
    return w


def train(parts: list[Part], features: tuple[str, ...], l2: float) -> np.ndarray:
    if DIRECT:
        return train_direct(parts, features, l2)
    if PAIRWISE:
        return train_pairwise(parts, features, l2)
    xs, ys, ws = [], [], []
    for part in parts:
        x, ok = feature_matrix(part.factors, features)
        xs.append(x[ok])
        ys.append(part.y[ok])
        # Each set weighs the same whatever its number of candidate pairs.
        ws.append(np.full(ok.sum(), 1.0 / max(1, ok.sum())))
    w = np.concatenate(ws)
    return fit(np.concatenate(xs), np.concatenate(ys), l2, w * len(w) / len(parts))


def cross_validate(parts: list[Part], features: tuple[str, ...], l2: float, mode: str) -> list[tuple]:
    rows = []
    for k, part in enumerate(parts):
        w = train([p for j, p in enumerate(parts) if j != k], features, l2)
        scores = score(part.factors, w, features, mode)
        rows.append((part.name, part.metrics(part.hand), part.metrics(scores)))
    return rows


def nested(parts: list[Part], configs: list[tuple[str, tuple[str, ...], float, str]]) -> list[tuple]:
    """Nested leave-one-set-out: for each outer set, the configuration with the best mean inner CV p@5 +
    r@10 on the three other sets is refitted on them and measured on the outer set (an unbiased figure of
    the whole procedure, choice included)."""
    rows = []
    for k, outer in enumerate(parts):
        inner = [p for j, p in enumerate(parts) if j != k]
        best = max(
            configs,
            key=lambda c: np.mean([sum(r[2]) for r in cross_validate(inner, c[1], c[2], c[3])]),
        )
        w = train(inner, best[1], best[2])
        rows.append((outer.name, best[0], best[2], best[3], outer.metrics(outer.hand)))
        rows[-1] += (outer.metrics(score(outer.factors, w, best[1], best[3])),)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--search", action="store_true", help="print the CV figures of every candidate choice"
    )
    parser.add_argument("--pairwise", action="store_true", help="pairwise objective")
    parser.add_argument("--nested", action="store_true", help="nested CV of the whole --search procedure")
    parser.add_argument(
        "--direct", action="store_true", help="coordinate ascent on the metrics (l2 = number of passes)"
    )
    args = parser.parse_args(argv)
    global PAIRWISE, DIRECT
    PAIRWISE, DIRECT = args.pairwise, args.direct
    parts = [Part(name, d) for name, d in DEV_SETS]
    for part in parts:
        print(
            f"{part.name}: {len(part.y)} candidate pairs, {int(part.y.sum())} judged good "
            f"(of {len(part.es.pairs)}), {int(part.rejected.sum())} judged bad; hand p@5/r@10 "
            "{:.3f} / {:.3f}".format(*part.metrics(part.hand))
        )
    if args.nested:
        one = args.pairwise or args.direct
        configs = [
            (label, feats, l2, mode)
            for label, feats in CANDIDATE_FEATURES.items()
            for l2 in ((1, 3) if args.direct else (0.1, 1.0, 10.0, 100.0))
            for mode in (("product",) if one else ("sigmoid", "product"))
        ]
        rows = nested(parts, configs)
        for name, label, l2, mode, hand, got in rows:
            print(
                f"nested {name}: chose {label} {mode} l2={l2}: learned {got[0]:.3f}/{got[1]:.3f} "
                f"hand {hand[0]:.3f}/{hand[1]:.3f}"
            )
        lp, lr, hp, hr = (np.mean([r[i][j] for r in rows]) for i, j in ((5, 0), (5, 1), (4, 0), (4, 1)))
        print(f"nested mean: learned {lp:.3f}/{lr:.3f} hand {hp:.3f}/{hr:.3f}")
        return
    choices = CANDIDATE_FEATURES if args.search else {"chosen": FEATURES}
    l2s = ((1, 3) if args.direct else (0.1, 1.0, 10.0, 100.0)) if args.search else (L2,)
    one = args.pairwise or args.direct
    modes = (("product",) if one else ("sigmoid", "product")) if args.search else (MODE,)
    for label, features in choices.items():
        for l2, mode in ((a, b) for a in l2s for b in modes):
            rows = cross_validate(parts, features, l2, mode)
            hp = np.mean([r[1][0] for r in rows])
            hr = np.mean([r[1][1] for r in rows])
            lp = np.mean([r[2][0] for r in rows])
            lr = np.mean([r[2][1] for r in rows])
            cells = "  ".join(f"{r[0]} {r[2][0]:.3f}/{r[2][1]:.3f}" for r in rows)
            print(
                f"CV {label:>14} {mode:>7} l2={l2:<6} learned {lp:.3f}/{lr:.3f} hand {hp:.3f}/{hr:.3f} | {cells}"
            )
    w = train(parts, FEATURES, L2)
    print("final weights (bias, " + ", ".join(FEATURES) + "):")
    print(repr(np.round(w, 3).tolist()))


if __name__ == "__main__":
    main()
