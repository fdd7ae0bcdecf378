"""The complementarity engine alone (no database) at national scale: time and memory of each phase (issue 16).

Each size runs in its own process (`--one N`, started by the driver for every size of `--sizes`):
- generate: the organisations of bench/national_texts.py, streamed (`iter_national_organisations`, the same
  organisations as `national_organisations` for a seed, one at a time) or materialised as a list
  (`--materialise`, as the callers of `Index.build` did before it could stream);
- build: `Index.build` (text analysis, vocabulary, TF-IDF matrices); when streamed, the time spent generating
  inside it is measured apart (the generator is timed) and subtracted;
- best_pairs: the best pairs of every need and offer as `store.rebuild_all` asks for them (exact up to
  engine.EXACT_LIMIT needs and offers, else 2 x store.PER_ITEM per item through champion lists);
- union_top: `store._union_top` (the pairs stored: each item's PER_ITEM best);
- reasons: `explain_many` and `pair_details` of the stored pairs, a block of store.ROWS_PER_BLOCK at a time,
  on the first `--reasons` pairs (all with --reasons 0) and extrapolated to all of them.

Each phase prints wall time, CPU time (user + system of the process, both threads), the peak resident memory
during the phase (the kernel's high-water mark, reset before each phase through /proc/self/clear_refs; a
50 ms sampler of VmRSS as a fallback) and the load average. A size is aborted when the resident memory
passes --max-gb (12 GB by default: the machine's 24 GB are shared).

`--dump FILE N` writes what the index answers (the top 10 of every organisation with scores, pairs and
reasons, and the built index's arrays and vocabulary) for the development set, bench/matching.py's synthetic
sets and N national organisations; `--compare A B` says whether two dumps are identical (used to check that
a change of Index.build keeps the same results).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import national_texts as nt  # noqa: E402, I001
import numpy as np  # noqa: E402

from terreau.matching import engine  # noqa: E402

PER_ITEM = 10  # store.PER_ITEM (checked against store when Django is importable)
ROWS_PER_BLOCK = 20_000


# --- the organisations, streamed ----------------------------------------------------------------------


iter_national_organisations = nt.iter_national_organisations  # streamed: the same organisations as the list


class Timed:
    """Wraps an iterator and adds up the wall and CPU time spent producing its values."""

    def __init__(self, it):
        self.it, self.wall, self.cpu, self.count = it, 0.0, 0.0, 0

    def __iter__(self):
        while True:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                value = next(self.it)
            except StopIteration:
                return
            finally:
                self.wall += time.perf_counter() - t0
                self.cpu += time.process_time() - c0
            self.count += 1
            yield value


# --- measuring ------------------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


class Sampler(threading.Thread):
    """Samples VmRSS every 50 ms: the peak since reset(), and the guard (the process exits above max_mb)."""

    def __init__(self, max_mb: float):
        super().__init__(daemon=True)
        self.max_mb, self.peak = max_mb, 0.0

    def reset(self) -> None:
        self.peak = rss_mb()
        try:  # the kernel's peak (VmHWM) back to the current RSS
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass

    def run(self) -> None:
        while True:
            now = rss_mb()
            self.peak = max(self.peak, now)
            if now > self.max_mb:
                print(
                    f"ABORT: resident memory {now:,.0f} MB > {self.max_mb:,.0f} MB (load {load()})",
                    flush=True,
                )
                os._exit(3)
            time.sleep(0.05)


class Phases:
    def __init__(self, label: str, max_mb: float):
        self.label = label
        self.sampler = Sampler(max_mb)
        self.sampler.start()
        self.rows: list[dict] = []

    def run(self, name: str, fn, *args, **kw):
        gc.collect()
        self.sampler.reset()
        before = rss_mb()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args, **kw)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = max(self.sampler.peak, hwm_mb())
        row = {"phase": name, "wall": wall, "cpu": cpu, "rss_before": before, "peak": peak}
        row |= {"rss_after": rss_mb(), "load": load()}
        self.rows.append(row)
        print(
            f"[{self.label}] {name:<12} wall {wall:8.1f} s  cpu {cpu:8.1f} s  RSS before {before:7,.0f} MB"
            f"  peak {peak:7,.0f} MB  after {row['rss_after']:7,.0f} MB  load {row['load']}",
            flush=True,
        )
        return out


def store_rules():
    """store._union_top and store.PER_ITEM (Django set up without a database connection)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from terreau.matching import store

    assert store.PER_ITEM == PER_ITEM and store.ROWS_PER_BLOCK == ROWS_PER_BLOCK
    return store


def one(
    n: int, *, seed: int, materialise: bool, reasons: int, max_gb: float, label: str, chunk_cells: int
) -> None:
    store = store_rules()
    ph = Phases(f"{label} {n:,}", max_gb * 1024)
    print(f"[{label} {n:,}] start: RSS {rss_mb():,.0f} MB, load {load()}", flush=True)
    if materialise:
        orgs = ph.run("generate", lambda: list(iter_national_organisations(n, seed=seed)))
        source = orgs
    else:
        source = Timed(iter_national_organisations(n, seed=seed))
    index = ph.run("build", engine.Index.build, source)
    if not materialise:
        row = ph.rows[-1]
        print(
            f"[{label} {n:,}]   of which generating (streamed): wall {source.wall:.1f} s, cpu {source.cpu:.1f} s;"
            f" build alone: wall {row['wall'] - source.wall:.1f} s, cpu {row['cpu'] - source.cpu:.1f} s",
            flush=True,
        )
    else:
        del orgs, source
    n_items = len(index.needs.ids) + len(index.offers.ids)
    nnz = index.needs.main.nnz + index.offers.main.nnz
    print(
        f"[{label} {n:,}]   {n_items:,} needs and offers, {len(index.vocabulary.terms):,} terms, {nnz:,} nonzeros",
        flush=True,
    )
    org_ids = index.org_ids_alive()
    need_slots, offer_slots = index.item_slots(org_ids)
    per_item = None if len(need_slots) + len(offer_slots) <= engine.EXACT_LIMIT else 2 * PER_ITEM
    found = ph.run("best_pairs", index.best_pairs, pairs_per_item=per_item, chunk_cells=chunk_cells)
    ns, os_, sc = ph.run("union_top", store._union_top, *found)
    del found
    total = len(ns)
    todo = total if reasons <= 0 else min(reasons, total)

    def explain():
        for start in range(0, todo, ROWS_PER_BLOCK):
            block = slice(start, min(todo, start + ROWS_PER_BLOCK))
            index.pair_details(ns[block], os_[block])
            index.explain_many(ns[block], os_[block])

    ph.run("reasons", explain)
    row = ph.rows[-1]
    per_pair = row["wall"] / max(1, todo)
    print(
        f"[{label} {n:,}]   {total:,} stored pairs; reasons and details of {todo:,}: {per_pair * 1e6:.0f} µs"
        f" per pair, all of them: {per_pair * total:,.0f} s",
        flush=True,
    )
    print(
        f"[{label} {n:,}] done: max RSS of the process {hwm_mb():,.0f} MB (since the last reset), load {load()}"
    )


# --- identity of results (Index.build before and after a change) ----------------------------------------


def _index_state(index: engine.Index) -> dict:
    state = {
        "terms": list(index.vocabulary.terms),
        "idf": list(index.vocabulary.idf),
        "n_docs": index.vocabulary.n_docs,
        "surfaces": dict(index.vocabulary.surfaces),
        "masks": list(index._masks),
        "scopes": list(index._scopes),
        "org_ids": list(index.org_ids),
    }
    for side in (index.needs, index.offers):
        m = side.main.tocsr()
        state[side.name] = {
            "ids": list(side.ids),
            "type_code": list(side.type_code),
            "slot": dict(side.slot),
            **{k: getattr(side, k).v.tobytes() for k in ("org", "mask", "theme", "scope", "flags", "status")},
            **{k: getattr(side, k).v.tobytes() for k in ("updated", "alive")},
            "main": (m.shape, m.indptr.astype(np.int64).tobytes(), m.indices.astype(np.int64).tobytes()),
            "data": m.data.tobytes(),
            "main_t": side.main_t.shape,
            "n_main": side.n_main,
        }
    return state


def _answers(orgs: list, *, exact: bool) -> dict:
    index = engine.Index.build(iter(orgs))
    per_item = None if exact else 30
    partners = {
        o: [(p.id, p.score, [q.as_dict() for q in p.pairs], list(p.why)) for p in plist]
        for o, plist in index.iter_partners(10, pairs_per_item=per_item)
    }
    return {"state": _index_state(index), "partners": partners}


def dump(path: str, n_national: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import matching as bench_matching

    from terreau.matching import evaluation

    sets = {
        "development set": (list(evaluation.load().organisations), True),
        "synthetic 2,000 (bench/matching.py)": (bench_matching.synthetic_organisations(2000, seed=1), True),
        "synthetic 10,000 (bench/matching.py)": (
            bench_matching.synthetic_organisations(10_000, seed=2),
            False,
        ),
        f"national {n_national:,}": (nt.national_organisations(n_national, seed=1), False),
    }
    out = {}
    for name, (orgs, exact) in sets.items():
        t0 = time.perf_counter()
        out[name] = _answers(orgs, exact=exact)
        digest = hashlib.sha256(pickle.dumps(out[name]["partners"])).hexdigest()[:16]
        print(
            f"{name}: {len(orgs):,} organisations, {time.perf_counter() - t0:.1f} s, partners {digest}",
            flush=True,
        )
    with open(path, "wb") as f:
        pickle.dump(out, f)


def compare(a: str, b: str) -> bool:
    with open(a, "rb") as f:
        left = pickle.load(f)  # noqa: S301 (our own dump)
    with open(b, "rb") as f:
        right = pickle.load(f)  # noqa: S301
    same = True
    for name in left:
        for part in ("partners", "state"):
            x, y = left[name][part], right[name][part]
            if part == "state":
                keys = sorted(set(x) | set(y))
                diff = [k for k in keys if x.get(k) != y.get(k)]
                ok = not diff
            else:
                ok = x == y
                diff = [o for o in x if x.get(o) != y.get(o)][:5]
            same &= ok
            print(f"{name}: {part} {'identical' if ok else 'DIFFERENT ' + repr(diff)}")
    return same


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 300_000])
    parser.add_argument("--one", type=int, default=None, help="measure one size in this process")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--materialise", action="store_true", help="build from a list (as callers did)")
    parser.add_argument("--reasons", type=int, default=300_000, help="pairs explained (0: all)")
    parser.add_argument("--max-gb", type=float, default=12.0)
    parser.add_argument(
        "--chunk-cells",
        type=int,
        default=20_000_000,
        help="best_pairs' chunk_cells (its default: 20,000,000)",
    )
    parser.add_argument("--label", default="engine")
    parser.add_argument("--dump", nargs=2, metavar=("FILE", "N"), default=None)
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"), default=None)
    args = parser.parse_args(argv)
    if args.dump:
        dump(args.dump[0], int(args.dump[1]))
        return
    if args.compare:
        sys.exit(0 if compare(*args.compare) else 1)
    if args.one is not None:
        one(
            args.one,
            seed=args.seed,
            materialise=args.materialise,
            reasons=args.reasons,
            max_gb=args.max_gb,
            label=args.label,
            chunk_cells=args.chunk_cells,
        )
        return
    for n in args.sizes:
        print(f"== {n:,} organisations ({time.strftime('%H:%M:%S')}, load {load()})", flush=True)
        cmd = [sys.executable, __file__, "--one", str(n), "--seed", str(args.seed), "--label", args.label]
        cmd += [
            "--reasons",
            str(args.reasons),
            "--max-gb",
            str(args.max_gb),
            "--chunk-cells",
            str(args.chunk_cells),
        ]
        cmd += ["--materialise"] if args.materialise else []
        rc = subprocess.call(cmd)
        if rc:
            print(f"== {n:,}: stopped (exit {rc})", flush=True)
            break


if __name__ == "__main__":
    main()
