"""Benchmark of the stored suggestions (issue 12, jobs): full rebuild and incremental updates on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/terreau_bench_sugstore \\
        .venv/bin/python bench/bench_suggestions_store.py --sizes 10000 100000 [--changes 50]

For each size: the database is filled with synthetic organisations (a tenth private): by default those of
bench/national_texts.py (varied French texts from combinatorial templates, issue 16), or with `--texts eval`
those of bench/matching.py (texts rebuilt from the hand-labelled set: a few hundred words repeated); then,
each phase in a forked process so that its peak memory is its own:
1. baseline: building the in-memory index (what each web process did before; indexing.build_index);
2. full rebuild (store.rebuild_all: index, best pairs, reasons, rows written under a new generation);
3. incremental: in that same worker process, `--changes` needs edited one at a time (text changed, saved
   through the ORM: the change is logged by the signals) and the pending change processed as the
   matching.refresh job does (incremental.refresh_pending), timed per change: the change itself (its own
   suggestions and its first entries in others' lists), then with its follow-up propagation blocks, each block
   timed too (how long a change arriving meanwhile may wait); then the read of one organisation's suggestions
   by the page (services.suggestions_for), timed the same way.
Ratios are against the baseline of the same run. `--phases` also prints where the time and the memory go
(wall time and peak resident memory of each step of the rebuild and of the incremental updates, sampled every
50 ms). Writes nothing; prints a Markdown section.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/terreau_bench_sugstore"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def log(message: str) -> None:
    """A progress line with its UTC time and the process's resident memory, flushed (a partial run's log
    still tells where it got)."""
    stamp = time.strftime("%H:%M:%S", time.gmtime())
    print(f"[{stamp} UTC, pid {os.getpid()}, rss {rss_mb():.0f} MB] {message}", flush=True)


def ensure_database(url: str) -> None:
    import psycopg
    from dj_database_url import parse

    cfg = parse(url)
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("bench/bench_suggestions_store.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    with psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        user=cfg["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TERREAU_AXES_ENABLED", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rss_mb() -> float:
    """Resident memory of this process and of its children: the rebuild's forked writers
    (terreau.matching.rebuild_processes) share the parent's pages, so only their private pages (USS) are
    added; a whole child's RSS would count the shared index twice. Their private pages are read at most once
    a second (_children_mb): the kernel walks a child's whole page table to count them (about 50 ms for 4 GB),
    and sampled every 50 ms that took a core from the writers themselves."""
    with open("/proc/self/statm") as f:
        total = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return (total + _children_bytes()) / 2**20


# No lock: a forked writer inheriting it held by the sampling thread would wait for it forever (a race between
# the two threads of this process costs at most one more read of the children's memory).
_CHILDREN = {"at": 0.0, "bytes": 0}


def _children_bytes() -> int:
    if time.monotonic() - _CHILDREN["at"] >= 1.0:
        _CHILDREN["at"] = time.monotonic()
        _CHILDREN["bytes"] = _private_of_children()
    return _CHILDREN["bytes"]


def _private_of_children() -> int:
    total = 0
    me = str(os.getpid())
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[1] != me:  # the parent's pid, after the name
                    continue
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += 1024 * sum(int(line.split()[1]) for line in f if line.startswith("Private_"))
        except (OSError, IndexError, ValueError):  # ended meanwhile
            pass
    return total


class TreePeak:
    """The peak of rss_mb() (children included, which ru_maxrss is not), sampled every 50 ms by a thread."""

    def __init__(self):
        self.peak = rss_mb()
        self.stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())


# Steps of the rebuild run once each: their start and end are logged as they happen (--phases).
MILESTONES = {
    "rebuild_all",
    "read rows (_inputs)",
    "Index.build (public)",
    "Index.compact",
    "best_pairs",
    "_union_top",
    "Thresholds.from_slots (rebuild)",
    "partitions.create",
    "partitions.index (constraints, indexes, analyse)",
    "partitions.attach",
    "partitions.drop (old generation)",
}


class Phases:
    """Wall time and peak resident memory of named steps, by wrapping functions (nested steps count in
    their parents too); a thread samples the resident memory every 50 ms."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.peak: dict[str, float] = {}
        self.open: list[str] = []
        self.stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        while not self.stop.wait(0.05):
            rss = rss_mb()
            for name in list(self.open):
                self.peak[name] = max(self.peak.get(name, 0.0), rss)

    def wrap(self, owner, attr: str, name: str) -> None:
        inner = getattr(owner, attr)
        raw = inner.__func__ if isinstance(owner, type) and hasattr(inner, "__func__") else None

        def timed(*args, **kwargs):
            self.open.append(name)
            start = time.perf_counter()
            milestone = name in MILESTONES
            if milestone:
                log(f"{name}: start")
            try:
                return (raw or inner)(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
                self.calls[name] = self.calls.get(name, 0) + 1
                self.peak[name] = max(self.peak.get(name, 0.0), rss_mb())
                self.open.remove(name)
                if milestone:
                    log(f"{name}: done in {time.perf_counter() - start:.1f} s, peak {self.peak[name]:.0f} MB")

        is_classmethod = isinstance(owner, type) and isinstance(owner.__dict__.get(attr), classmethod)
        setattr(owner, attr, classmethod(timed) if raw is not None and is_classmethod else timed)

    def table(self) -> list[str]:
        return [
            f"    {name:<28} {self.seconds[name]:8.1f} s  {self.calls[name]:5d} calls  peak {self.peak[name]:6.0f} MB"
            for name in self.seconds
        ]


def instrument() -> Phases:
    from terreau.matching import engine, incremental, indexing, partitions, store, thresholds

    phases = Phases()
    phases.wrap(store, "rebuild_all", "rebuild_all")
    phases.wrap(indexing, "_inputs", "read rows (_inputs)")
    phases.wrap(engine.Index, "build", "Index.build (public)")
    phases.wrap(engine.Index, "compact", "Index.compact")
    phases.wrap(engine.Index, "best_pairs", "best_pairs")
    phases.wrap(store, "_union_top", "_union_top")
    phases.wrap(store, "_row_values", "_row_values (rebuild)")
    phases.wrap(store, "rows_for", "rows_for (incremental)")
    phases.wrap(store, "_delete_generation", "_delete_generation")
    phases.wrap(incremental, "_kth_scores", "  _kth_scores")
    phases.wrap(engine.Index, "pair_details", "  pair_details")
    phases.wrap(engine.Index, "explain_many", "  explain_many")
    phases.wrap(store, "_write_new", "_write_new (COPY)")
    phases.wrap(incremental, "refresh_pending", "refresh_pending")
    phases.wrap(indexing, "sync_changes", "  sync_changes")
    phases.wrap(indexing, "apply_changes", "  apply_changes")
    phases.wrap(incremental, "_own_best", "  _own_best")
    phases.wrap(engine.Index, "pairs_for_items", "  pairs_for_items")
    phases.wrap(incremental, "_entering_others", "  _entering_others")
    phases.wrap(incremental, "_existing", "  _existing")
    phases.wrap(incremental, "_insert", "  _insert")
    phases.wrap(incremental, "_delete_returning", "  _delete_returning")
    phases.wrap(incremental, "propagate_next", "propagate_next (follow-up blocks)")
    phases.wrap(incremental, "_not_stored", "  _not_stored")
    phases.wrap(thresholds.Thresholds, "kth", "  Thresholds.kth (in memory)")
    phases.wrap(thresholds.Thresholds, "from_slots", "Thresholds.from_slots (rebuild)")
    phases.wrap(partitions, "create", "partitions.create")
    phases.wrap(partitions, "index", "partitions.index (constraints, indexes, analyse)")
    phases.wrap(partitions, "attach", "partitions.attach")
    phases.wrap(partitions, "drop", "partitions.drop (old generation)")
    return phases


def _empty_tables():
    """Empties the bench's tables (identities restarted); returns the bench's branch."""
    from django.db import connection

    from terreau.core.models import Branch, Network

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE directory_organisation, directory_needoffer, directory_organisation_themes, "
            "matching_storedsuggestion, matching_matchingchange, matching_suggestionbuild RESTART IDENTITY CASCADE"
        )
    network, _ = Network.objects.get_or_create(slug="bench", defaults={"name": "Réseau de banc d'essai"})
    branch, _ = Branch.objects.get_or_create(slug="bench", defaults={"name": "Antenne", "network": network})
    return branch


def _synthetic(n: int, seed: int, texts: str):
    """The synthetic organisations, streamed for the national texts (bench/national_texts.py)."""
    if texts == "national":
        from national_texts import iter_national_organisations

        return iter_national_organisations(n, seed=seed)
    from matching import synthetic_organisations  # bench/matching.py

    return synthetic_organisations(n, seed=seed)


def fill(n: int, seed: int = 1, texts: str = "national", block: int = 20_000) -> tuple[int, int]:
    """n synthetic organisations with their needs and offers, streamed and written by COPY in blocks of
    `block` organisations (one transaction, no signals); returns (orgs, items).

    The same rows as fill_orm (its ORM bulk_create of lists, too slow at 1,000,000: over an hour): same
    organisations in the same order with the same ids (1..n, then the items 1..m in the order bulk_create
    inserted them), same visibility draws (the first n draws of random.Random(seed) for the organisations, the
    next ones for the items, in order), every other column as the ORM sets it on an insert (each field's
    default and pre_save: created_at and updated_at, empty strings, NULL search_vector, ...); the sequences are
    then moved past the ids written."""
    from django.db import connection, transaction
    from django.utils import timezone

    from terreau.directory.models import Direction, NeedOffer, Organisation
    from terreau.vocabulary import THEMES, TYPES

    def template(model) -> tuple[list[str], dict[str, object], list[str]]:
        """Columns, their values for an instance with nothing set (as bulk_create would write them) and the
        columns pre_save sets at each insert (timestamps)."""
        proto = model()
        fields = model._meta.concrete_fields
        values = {f.attname: f.get_db_prep_save(f.pre_save(proto, add=True), connection) for f in fields}
        stamped = [
            f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        return [f.column for f in fields], values, stamped

    def copy_block(model, columns, rows) -> None:
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
            ) as copy,
        ):
            write = copy.write_row
            for row in rows:
                write(row)

    branch = _empty_tables()
    org_columns, org_defaults, org_stamped = template(Organisation)
    item_columns, item_defaults, item_stamped = template(NeedOffer)
    assert [f.attname for f in Organisation._meta.concrete_fields] == list(org_defaults)
    org_rng = random.Random(seed)
    item_rng = random.Random(seed)
    for _ in range(n):  # fill_orm draws the n organisations' visibility first, then the items'
        item_rng.random()
    org_id = item_id = 0
    org_rows: list[tuple] = []
    item_rows: list[tuple] = []
    start = time.perf_counter()

    def flush() -> None:
        now = timezone.now()
        for defaults, stamped in ((org_defaults, org_stamped), (item_defaults, item_stamped)):
            for attname in stamped:
                defaults[attname] = now
        copy_block(Organisation, org_columns, org_rows)
        copy_block(NeedOffer, item_columns, item_rows)
        org_rows.clear()
        item_rows.clear()
        log(
            f"fill: {org_id:,} organisations, {item_id:,} items written ({time.perf_counter() - start:.0f} s)"
        )

    with transaction.atomic():
        for k, o in enumerate(_synthetic(n, seed, texts)):
            org_id += 1
            org = dict(
                org_defaults,
                id=org_id,
                kind=o.kind,
                name=f"Structure {k}",
                slug=f"bench-{k}",
                branch_id=branch.pk,
                latitude=o.lat,
                longitude=o.lon,
                visibility="branch" if org_rng.random() < 0.1 else "public",
            )
            org_rows.append(tuple(org.values()))
            for direction, side in ((Direction.NEED, o.needs), (Direction.OFFER, o.offers)):
                for item in side:
                    item_id += 1
                    row = dict(
                        item_defaults,
                        id=item_id,
                        organisation_id=org_id,
                        direction=str(direction),
                        title=item.text[:200],
                        description=item.text[200:],
                        type=item.type if item.type in TYPES else "autre",
                        theme_id=item.theme if item.theme in THEMES else None,
                        visibility="branch" if item_rng.random() < 0.1 else "public",
                    )
                    item_rows.append(tuple(row.values()))
            if org_id % block == 0:
                flush()
        if org_rows:
            flush()
        with connection.cursor() as cursor:
            for model, last in ((Organisation, org_id), (NeedOffer, item_id)):
                table = model._meta.db_table
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)", [table, max(last, 1), last > 0]
                )
    with connection.cursor() as cursor:
        # Statistics of the tables just refilled, as autovacuum would take them later: without them, a page's
        # read planned from the emptied tables' statistics took 300 ms instead of 12.
        cursor.execute("ANALYZE directory_organisation, directory_needoffer, directory_organisation_themes")
    return org_id, item_id


def fill_orm(n: int, seed: int = 1, texts: str = "national") -> tuple[int, int]:
    """n synthetic organisations with their needs and offers (ORM bulk_create of lists, no signals): the
    former fill, kept to check that fill writes the same rows; returns (orgs, items)."""
    from django.db import transaction

    from terreau.directory.models import Direction, NeedOffer, Organisation
    from terreau.vocabulary import THEMES, TYPES

    branch = _empty_tables()
    rng = random.Random(seed)
    synthetic = list(_synthetic(n, seed, texts))
    with transaction.atomic():
        Organisation.objects.bulk_create(
            [
                Organisation(
                    kind=o.kind,
                    name=f"Structure {k}",
                    slug=f"bench-{k}",
                    branch=branch,
                    latitude=o.lat,
                    longitude=o.lon,
                    visibility="branch" if rng.random() < 0.1 else "public",
                )
                for k, o in enumerate(synthetic)
            ],
            batch_size=5000,
        )
        ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
        items = []
        for pk, o in zip(ids, synthetic, strict=True):
            for direction, side in ((Direction.NEED, o.needs), (Direction.OFFER, o.offers)):
                for item in side:
                    items.append(
                        NeedOffer(
                            organisation_id=pk,
                            direction=direction,
                            title=item.text[:200],
                            description=item.text[200:],
                            type=item.type if item.type in TYPES else "autre",
                            theme_id=item.theme if item.theme in THEMES else None,
                            visibility="branch" if rng.random() < 0.1 else "public",
                        )
                    )
        NeedOffer.objects.bulk_create(items, batch_size=5000)
    return len(ids), len(items)


def _phase(target, *args):
    """Runs target(*args) in a forked process; returns its result dict (with its own peak memory)."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def run():
        result = target(*args)
        result["peak_mb"] = peak_mb()
        queue.put(result)

    proc = ctx.Process(target=run)
    proc.start()
    while True:  # a child killed (memory, watchdog) puts nothing: stop instead of waiting forever
        try:
            result = queue.get(timeout=5)
            break
        except Exception:  # queue.Empty
            if not proc.is_alive():
                sys.exit(f"phase {target.__name__} died: exit code {proc.exitcode}")
    proc.join()
    return result


def baseline() -> dict:
    from terreau.matching import indexing

    start = time.perf_counter()
    indexing.build_index()
    return {"seconds": time.perf_counter() - start}


def rebuild_and_update(changes: int, profile: bool = False) -> dict:

    from terreau.matching import store
    from terreau.matching.models import StoredSuggestion

    phases = instrument() if profile else None
    logged = [0.0]

    def progress(done: int, total: int) -> None:
        if done == total or time.perf_counter() - logged[0] >= 30:
            logged[0] = time.perf_counter()
            log(
                f"rebuild: {done:,} / {total:,} pairs explained and written ({time.perf_counter() - start:.0f} s)"
            )

    log("rebuild: start")
    tree = TreePeak()
    start = time.perf_counter()
    build = store.rebuild_all(progress=progress)
    seconds = time.perf_counter() - start
    tree.stop.set()
    after_rebuild = max(peak_mb(), tree.peak)  # forked writers included
    log(f"rebuild: done in {seconds:.1f} s, {build.pairs:,} pairs, peak {after_rebuild:.0f} MB")
    times = _changes(changes)
    return {
        "seconds": seconds,
        "rebuild_peak_mb": after_rebuild,
        "pairs": build.pairs,
        "rows": StoredSuggestion.objects.count(),
        **times,
        "phases": phases.table() if phases else [],
    }


def updates_only(changes: int, profile: bool = False) -> dict:
    """The incremental updates alone, on the stored suggestions of an earlier run's rebuild (--updates-only):
    the worker's index is built first, as the matching.warm job does (not timed with the updates)."""
    from terreau.matching import store

    phases = instrument() if profile else None
    build = store.current_build()
    if build is None:
        sys.exit("--updates-only needs the suggestions of an earlier rebuild in this database (--reuse)")
    start = time.perf_counter()
    store.warm_worker_index()
    seconds = time.perf_counter() - start
    log(
        f"worker index warmed in {seconds:.1f} s, peak {peak_mb():.0f} MB (build {build.pk}, {build.pairs:,} pairs)"
    )
    times = _changes(changes)
    return {
        "seconds": seconds,
        "rebuild_peak_mb": peak_mb(),
        "pairs": build.pairs,
        **times,
        "phases": phases.table() if phases else [],
    }


def _changes(changes: int) -> dict:
    """`changes` needs edited one at a time and processed as the matching.refresh job does: the change itself
    (its own suggestions and its first entries in others' lists: what `update` times), then its follow-up
    propagation blocks one by one (`blocks`; `full`: the change and all its blocks); `read`: one page read
    after each change. Seconds."""
    from django.db import transaction

    from terreau.directory.models import Direction, NeedOffer, Organisation
    from terreau.matching import incremental, services, store

    rng = random.Random(7)
    needs = list(
        NeedOffer.objects.filter(direction=Direction.NEED, visibility="public").values_list("pk", flat=True)[
            :20000
        ]
    )
    offers = list(NeedOffer.objects.filter(direction=Direction.OFFER).values_list("title", flat=True)[:2000])
    chosen = rng.sample(needs, min(changes, len(needs)))
    times: dict[str, list[float]] = {"update": [], "full": [], "blocks": [], "read": []}
    incremental.refresh_pending()  # first job: nothing pending, brings the index up to the log
    build = store.current_build()
    for pk in chosen:
        item = NeedOffer.objects.get(pk=pk)
        with transaction.atomic():
            item.title = rng.choice(offers)[:200]  # now speaks of something offered elsewhere
            item.save()
        start = time.perf_counter()
        incremental.refresh_pending(propagate=False)
        times["update"].append(time.perf_counter() - start)
        later, mark = 0, [time.perf_counter()]

        def block_done(_rows: int, mark=mark) -> None:
            # From the previous block's end (or the run's start: the first block includes the entries'
            # computation): how long a change logged meanwhile waits at most.
            times["blocks"].append(time.perf_counter() - mark[0])
            mark[0] = time.perf_counter()

        while (rows := incremental.propagate_next(build=build, block_done=block_done)) is not None:
            later += rows
            mark[0] = time.perf_counter()
        times["full"].append(time.perf_counter() - start)
        log(
            f"incremental {len(times['update'])}/{len(chosen)}: {times['update'][-1] * 1000:.0f} ms, then"
            f" {later:,} rows in follow-up blocks: {times['full'][-1] * 1000:.0f} ms in all"
        )
        org = Organisation.objects.get(pk=item.organisation_id)
        start = time.perf_counter()
        services.suggestions_for(organisation=org, user=None)
        times["read"].append(time.perf_counter() - start)
    return times


def _shown(value: float, form: str) -> str:
    """A table cell: the value formatted, a dash when not measured (--no-baseline)."""
    return "–" if value != value else form.format(value)  # NaN is the only value unequal to itself


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--texts", choices=["national", "eval"], default="national")
    parser.add_argument("--phases", action="store_true", help="print time and peak memory per step")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the organisations already there if as many"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline index build phase")
    parser.add_argument(
        "--updates-only",
        action="store_true",
        help="no rebuild: the incremental updates on an earlier run's suggestions (with --reuse)",
    )
    parser.add_argument(
        "--fill",
        choices=["copy", "orm"],
        default="copy",
        help="COPY streamed (default) or the former ORM fill",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    ensure_database(url)
    setup_django(url)
    lines = [
        "## Stored suggestions: full rebuild and incremental updates (issue 12)",
        "",
        f"`bench/bench_suggestions_store.py`, PostgreSQL, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores (shared), Python {platform.python_version()}. Baseline: building the "
        "in-memory index as each web process did before (now only workers do). Each phase in its own "
        "forked process (its own peak memory). Incremental: one need's text changed and saved, then the "
        f"pending change processed as the matching.refresh job does, {args.changes} times; read: one "
        "organisation's suggestions from the stored rows, as the page does.",
        "",
        "| organisations | needs+offers | index build (baseline) | full rebuild | ratio | peak MB baseline |"
        " peak MB rebuild | stored pairs | incremental p50 / p95 | ratio p95 to baseline |"
        " with the follow-up blocks p50 / p95 | follow-up block p95 / max | read p50 / p95 | load average |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in args.sizes:
        t0 = time.perf_counter()
        from terreau.directory.models import NeedOffer, Organisation

        if args.reuse and Organisation.objects.count() == n:
            orgs, items = n, NeedOffer.objects.count()
        else:
            log(f"{n}: fill ({args.fill}) start")
            orgs, items = (fill if args.fill == "copy" else fill_orm)(n, texts=args.texts)
        log(f"{n}: filled {orgs} organisations, {items} items in {time.perf_counter() - t0:.0f} s")
        load0 = os.getloadavg()[0]
        base = {"seconds": float("nan"), "peak_mb": float("nan")} if args.no_baseline else _phase(baseline)
        load1 = os.getloadavg()[0]
        log(
            f"  baseline index build {base['seconds']:.1f} s, peak {base['peak_mb']:.0f} MB"
            f" (load {load0:.1f} -> {load1:.1f})"
        )
        if args.updates_only:
            res = _phase(updates_only, args.changes, args.phases)
        else:
            res = _phase(rebuild_and_update, args.changes, args.phases)
        up, rd, full, blocks = res["update"], res["read"], res["full"], res["blocks"] or [0.0]
        load2 = os.getloadavg()[0]
        log(f"  load average {load1:.1f} -> {load2:.1f} during the rebuild and updates")
        print("\n".join(res["phases"]), flush=True)
        print(
            f"  rebuild {res['seconds']:.1f} s ({res['pairs']} pairs), peak {res['rebuild_peak_mb']:.0f} MB;"
            f" incremental p50 {pct(up, 50) * 1000:.0f} ms p95 {pct(up, 95) * 1000:.0f} ms;"
            f" with the follow-up blocks p50 {pct(full, 50) * 1000:.0f} ms p95 {pct(full, 95) * 1000:.0f} ms;"
            f" {len(res['blocks'])} blocks, p95 {pct(blocks, 95) * 1000:.0f} ms max {max(blocks) * 1000:.0f} ms;"
            f" read p50 {pct(rd, 50) * 1000:.0f} ms p95 {pct(rd, 95) * 1000:.0f} ms",
            flush=True,
        )
        lines.append(
            f"| {orgs:,} | {items:,} | {_shown(base['seconds'], '{:.1f} s')} | {res['seconds']:.1f} s |"
            f" {_shown(res['seconds'] / base['seconds'], '{:.1f}x')} | {_shown(base['peak_mb'], '{:.0f}')} |"
            f" {res['rebuild_peak_mb']:.0f} |"
            f" {res['pairs']:,} | {pct(up, 50) * 1000:.0f} / {pct(up, 95) * 1000:.0f} ms |"
            f" {_shown(pct(up, 95) / base['seconds'], '{:.3f}x')} | {pct(full, 50) * 1000:.0f} / {pct(full, 95) * 1000:.0f} ms |"
            f" {pct(blocks, 95) * 1000:.0f} / {max(blocks) * 1000:.0f} ms |"
            f" {pct(rd, 50) * 1000:.0f} / {pct(rd, 95) * 1000:.0f} ms |"
            f" {load0:.0f} / {load1:.0f} / {load2:.0f} |"
        )
        print(f"  median read {statistics.median(rd) * 1000:.0f} ms", flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
