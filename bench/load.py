"""Load test over loopback (issue 12): the production server under concurrent users, on PostgreSQL.

    .venv/bin/python bench/load.py --quick                       # 2,000 organisations, 20 s: a smoke run
    .venv/bin/python bench/load.py                               # 100,000 organisations, 50 users, 90 s
    .venv/bin/python bench/load.py --reuse-db                    # keep the data when the database holds N
    .venv/bin/python bench/load.py --orgs 2000000 --per-org 1 --db terreau_load2m --directory-only --users 4

What it does, bounded in time and on 127.0.0.1 only:
1. creates the database (default terreau_load), migrates it, loads the official geography
   (`terreau load-territories`) and fills it with bench/load_data.py (COPY, then the production indexing);
2. starts the server as deployed: `terreau serve --workers 2` (gunicorn, config/gunicorn.py,
   config.production settings, static files collected, the cache table created) and `terreau worker`;
3. warms up, then runs Locust (bench/load_users.py) twice with the same mix of pages: first with 1 user
   (the baseline: unloaded latency, same run), then with --users users for --duration seconds;
4. during the loaded run, members edit one of their needs through the web form so that it asks for
   something only one partner offers, and poll their suggestions page until that partner is listed: the
   delay of "a changed need's suggestions visible";
5. prints p50/p95/p99 and errors per page type and overall, the ratios to the baseline, and the targets.
   --directory-only runs directory searches only (the 2,000,000-organisation case).

Every process it starts is stopped on exit, on error and on Ctrl-C. Tests never assert on time.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROCESSES: list[subprocess.Popen] = []


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A process in its own group (stopped with everything it forks), output to a log file."""
    out = open(log, "ab")  # noqa: SIM115 (kept open for the process's life)
    proc = subprocess.Popen(
        command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
    )
    PROCESSES.append(proc)
    return proc


def stop_all() -> None:
    for proc in reversed(PROCESSES):
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in reversed(PROCESSES):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    PROCESSES.clear()


def on_signal(signum, _frame) -> None:
    stop_all()
    sys.exit(128 + signum)


# --- database and data -----------------------------------------------------------------------------


def prepare(args) -> dict:
    """Database created, migrated, geography loaded, data generated (or reused); returns the plan."""
    import directory as vocab

    vocab.ensure_database(args.url)
    os.environ["DATABASE_URL"] = args.url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["TERREAU_AXES_ENABLED"] = "0"
    import django

    django.setup()
    import load_data
    from django.core.management import call_command

    from terreau.directory.models import Organisation
    from terreau.territories.loader import load_territories
    from terreau.territories.models import Commune

    call_command("migrate", verbosity=0)
    if Commune.objects.count() < 30_000:
        step("Charge la géographie officielle…")
        load_territories()
    have = (
        Organisation.objects.filter(slug__startswith="charge-")
        .exclude(slug__startswith="charge-sonde-")
        .count()
    )
    if args.reuse_db and have == args.orgs:
        step(f"Réutilise les {have:,} organisations de {args.db}.".replace(",", " "))
        plan = load_data.describe(load_data.Plan())
    else:
        step(f"Génère {args.orgs:,} organisations…".replace(",", " "))
        if args.orgs >= 500_000:  # national-register size: rows drawn inside PostgreSQL (load_bigdata)
            import load_bigdata

            plan = load_bigdata.fill_sql(orgs=args.orgs, per_org=args.per_org, log=step)
        else:
            plan = load_data.fill(
                orgs=args.orgs,
                per_org=args.per_org,
                members=args.members,
                events=args.events,
                probes=args.probes,
                log=step,
            )
        plan = load_data.describe(plan)
    load_data.reset_probes(plan)
    from django.db import connections

    connections.close_all()
    return plan.as_dict()


# --- server ----------------------------------------------------------------------------------------


def server_env(args, static_root: Path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.production",
            "PYTHONPATH": str(ROOT),  # this tree's code, even when run from a copy of the repository
            "DATABASE_URL": args.url,
            "TERREAU_SECRET_KEY": secrets.token_urlsafe(60),
            "TERREAU_ALLOWED_HOSTS": "127.0.0.1",
            "TERREAU_SECURE_SSL_REDIRECT": "false",
            "TERREAU_STATIC_ROOT": str(static_root),
            "TERREAU_LOG_LEVEL": "WARNING",
            "TERREAU_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    env.pop("TERREAU_JOBS_INLINE", None)
    env.pop("TERREAU_AXES_ENABLED", None)
    return env


def start_server(args, workdir: Path) -> str:
    # Collected once per tree (a few minutes on a loaded machine), reused by the next runs.
    static_root = Path(tempfile.gettempdir()) / f"terreau-load-static-{zlib.crc32(str(ROOT).encode())}"
    env = server_env(args, static_root)
    step("Table du cache et fichiers statiques (réglages de production)…")
    subprocess.run([str(BIN / "terreau"), "createcachetable"], env=env, cwd=ROOT, check=True)
    if not (static_root / "staticfiles.json").exists():
        subprocess.run(
            [str(BIN / "terreau"), "collectstatic", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    start(
        [str(BIN / "terreau"), "serve", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"],
        env,
        workdir / "web.log",
    )
    global JOBS_BEFORE_WORKER
    JOBS_BEFORE_WORKER = _last_job_id()
    start([str(BIN / "terreau"), "worker"], env, workdir / "worker.log")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if PROCESSES[0].poll() is not None:
            sys.exit(f"Le serveur s'est arrêté : voir {workdir / 'web.log'}")
        time.sleep(0.5)
    else:
        sys.exit(f"Le serveur ne répond pas : voir {workdir / 'web.log'}")
    step(f"Serveur prêt sur {base} ({args.workers} workers gunicorn, terreau worker).")
    if not args.directory_only and not args.skip_rebuild:
        rebuild_suggestions(env, args.rebuild_timeout)
    elif not args.directory_only:
        wait_for_warm_index(args.rebuild_timeout)
    return base


JOBS_BEFORE_WORKER = 0


def _last_job_id() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM procrastinate_jobs")
        return cursor.fetchone()[0]


def wait_for_warm_index(timeout: float) -> None:
    """A starting worker builds its matching index (the matching.warm job) before the change jobs need it:
    the measure starts once it has, as on a server that has been running (the build is not measured here)."""
    from django.db import connection

    step("Le worker construit son index de complémentarités (matching.warm)…")
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT status FROM procrastinate_jobs WHERE task_name = 'matching.warm' AND id > %s "
                "ORDER BY id DESC LIMIT 1",
                [JOBS_BEFORE_WORKER],
            )
            row = cursor.fetchone()
        if row and row[0] == "succeeded":
            step(f"  index prêt en {time.perf_counter() - started:.0f} s")
            return
        if row and row[0] in ("failed", "cancelled", "aborted"):
            sys.exit(f"matching.warm : {row[0]}")
        if PROCESSES[1].poll() is not None:
            sys.exit("Le worker s'est arrêté pendant la construction de son index.")
        time.sleep(2)
    sys.exit(f"Index du worker non prêt après {timeout:.0f} s.")


def rebuild_suggestions(env: dict, timeout: float) -> float:
    """The stored suggestions computed by the worker (`terreau rebuild-suggestions --queue`, as the nightly
    job), which then keeps its index for the incremental jobs; waits for the build to finish."""
    from django.utils import timezone

    from terreau.matching.models import SuggestionBuild

    step("Calcul des suggestions par le worker (terreau rebuild-suggestions --queue)…")
    asked = timezone.now()
    started = time.perf_counter()
    subprocess.run([str(BIN / "terreau"), "rebuild-suggestions", "--queue"], env=env, cwd=ROOT, check=True)
    while time.perf_counter() - started < timeout:
        build = SuggestionBuild.objects.filter(started_at__gte=asked, finished_at__isnull=False).first()
        if build is not None:
            seconds = time.perf_counter() - started
            step(
                f"  {build.pairs:,} paires pour {build.organisations:,} structures en {seconds:.0f} s".replace(
                    ",", " "
                )
            )
            return seconds
        if PROCESSES[1].poll() is not None:
            sys.exit("Le worker s'est arrêté pendant le calcul des suggestions.")
        time.sleep(2)
    sys.exit(f"Calcul des suggestions non terminé après {timeout:.0f} s.")


# --- signed-in sessions outside Locust (warm-up, probes) -------------------------------------------


class PlainHttpSession(requests.Session):
    """A browser on loopback: the production settings' Secure cookies are sent over plain HTTP too."""

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        unsecure(self)
        return response


def session_for(base: str, email: str, password: str, address: str) -> requests.Session:
    s = PlainHttpSession()
    s.headers.update({"X-Forwarded-For": address, "Accept-Language": "fr-FR"})
    form = s.get(f"{base}/comptes/connexion/", timeout=30)
    token = CSRF.search(form.text)
    s.post(
        f"{base}/comptes/connexion/",
        data={
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
        timeout=30,
    )
    if "sessionid" not in s.cookies:
        raise RuntimeError(f"connexion refusée pour {email}")
    return s


def unsecure(s: requests.Session) -> None:
    for cookie in s.cookies:
        cookie.secure = False


def warm_up(base: str, plan: dict, seconds: float) -> None:
    """Every worker builds what it builds on first use (matching index, caches): requests on fresh
    connections (so both workers get some) until the suggestions page answers fast several times."""
    step(f"Préchauffage ({seconds:.0f} s au plus)…")
    member = plan["members"][-1] if plan["members"] else None
    s = session_for(base, member["email"], plan["password"], "10.254.0.1") if member else None
    urls = ["/", "/?q=tablettes", f"/organisations/{plan['org_slugs'][0]}/", "/rencontres/", "/carte/"]
    deadline = time.monotonic() + seconds
    fast = 0
    while time.monotonic() < deadline and fast < 6:
        t0 = time.perf_counter()
        for url in urls:
            requests.get(base + url, timeout=120, headers={"Connection": "close"})
        if s is not None:
            s.get(f"{base}/complementarites/{member['slug']}/", timeout=300, headers={"Connection": "close"})
        fast = fast + 1 if time.perf_counter() - t0 < 3.0 else 0


class Probe(threading.Thread):
    """Members change a need (web form) and poll their suggestions until the expected partner shows up."""

    def __init__(self, base: str, plan: dict, *, start_after: float, changes: int, timeout: float = 30.0):
        super().__init__(daemon=True)
        self.base, self.plan, self.start_after, self.timeout = base, plan, start_after, timeout
        self.probes = plan["probes"][:changes]
        self.results: list[dict] = []
        self.stop = threading.Event()

    def run(self) -> None:
        if self.stop.wait(self.start_after):
            return
        for k, probe in enumerate(self.probes):
            if self.stop.is_set():
                return
            try:
                self.results.append(self.one(k, probe))
            except Exception as exc:  # reported, never fatal for the load run
                self.results.append({"partner": probe["partner"], "error": repr(exc)})
            self.stop.wait(3)

    def one(self, k: int, probe: dict) -> dict:
        s = session_for(self.base, probe["email"], self.plan["password"], f"10.253.0.{k + 1}")
        page = f"{self.base}/complementarites/{probe['slug']}/"
        before = probe["partner"] in s.get(page, timeout=60).text
        url = f"{self.base}/besoins-ressources/{probe['need_id']}/modifier/"
        form = s.get(url, timeout=60)
        token = CSRF.search(form.text)
        data = {
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "direction": "need",
            "title": f"{probe['title']} pour notre prochain atelier",
            "type": probe["type"],
            "theme": probe["theme"],
            "description": "Nous cherchons ce matériel pour nos ateliers, même pour quelques semaines.",
            "scope": "department",
            "visibility": "public",
        }
        saved = s.post(url, data=data, timeout=60, allow_redirects=False)
        changed_at = time.perf_counter()
        if saved.status_code != 302:
            return {"partner": probe["partner"], "error": f"formulaire refusé (HTTP {saved.status_code})"}
        first = stable = None
        streak = 0
        polls = 0
        while time.perf_counter() - changed_at < self.timeout and not self.stop.is_set():
            polls += 1
            text = s.get(page, timeout=60, headers={"Connection": "close"}).text
            if probe["partner"] in text:
                now = time.perf_counter() - changed_at
                first = first if first is not None else now
                streak += 1
                if streak >= 4:  # four polls in a row, on fresh connections (either worker)
                    stable = now
                    break
            else:
                streak = 0
            time.sleep(0.2)
        return {
            "partner": probe["partner"],
            "before": before,
            "first": first,
            "stable": stable,
            "polls": polls,
        }


# --- Locust ----------------------------------------------------------------------------------------


def run_locust(
    args, base: str, plan_path: Path, workdir: Path, *, users: int, seconds: int, label: str
) -> list[dict]:
    prefix = workdir / label
    classes = ["DirectorySearcher"] if args.directory_only else ["Visitor", "Member"]
    env = dict(os.environ, TERREAU_LOAD_PLAN=str(plan_path), TERREAU_LOAD_WAIT=args.wait)
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "load_users.py"),
        "--headless",
        "--host",
        base,
        "--users",
        str(users),
        "--spawn-rate",
        str(max(1, users / 5)),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *classes,
    ]
    step(f"Locust « {label} » : {users} utilisateur(s), {seconds} s…")
    with open(workdir / f"{label}.log", "wb") as log:
        proc = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
        PROCESSES.append(proc)
        proc.wait(timeout=seconds + 120)
        PROCESSES.remove(proc)
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.append(
                {
                    "name": row["Name"] if row["Type"] else "Total",
                    "count": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50": float(row["50%"] or 0),
                    "p95": float(row["95%"] or 0),
                    "p99": float(row["99%"] or 0),
                    "rps": float(row["Requests/s"] or 0),
                }
            )
    failures = []
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with open(path, encoding="utf-8") as f:
            failures = [f"{r['Name']}: {r['Error']} ({r['Occurrences']}×)" for r in csv.DictReader(f)]
    for row in rows:
        row["errors"] = failures if row["name"] == "Total" else []
    return rows


# --- report ----------------------------------------------------------------------------------------


def report(args, plan: dict, base_rows, load_rows, probe, load_avg) -> tuple[str, bool]:
    base = {r["name"]: r for r in base_rows}
    lines = [
        f"Données : {plan['orgs']:,} organisations, {plan['needs_offers']:,} besoins et ressources ; ".replace(
            ",", " "
        )
        + f"génération {plan.get('seconds') or 'réutilisée'}.",
        f"Machine : {platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()} ; "
        f"charge moyenne {load_avg[0]:.1f} au début, {load_avg[1]:.1f} à la fin de la mesure.",
        f"Serveur : terreau serve --workers {args.workers} (gunicorn, config.production), terreau worker ; "
        f"Locust {args.users} utilisateurs, {args.duration} s, pauses {args.wait} s ; référence 1 utilisateur, "
        f"{args.baseline} s.",
        "",
        "| page | requêtes | erreurs | p50 (ms) | p95 (ms) | p99 (ms) | p95 / référence 1 utilisateur |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in sorted(load_rows, key=lambda r: (r["name"] == "Total", r["name"])):
        ref = base.get(row["name"])
        ratio = f"{row['p95'] / ref['p95']:.1f}×" if ref and ref["p95"] else "—"
        name = f"**{row['name']}** ({row['rps']:.1f} req/s)" if row["name"] == "Total" else row["name"]
        lines.append(
            f"| {name} | {row['count']} | {row['failures']} | {row['p50']:.0f} | {row['p95']:.0f} | "
            f"{row['p99']:.0f} | {ratio} |"
        )
    total = next(r for r in load_rows if r["name"] == "Total")
    target = 200 if args.directory_only else 300
    ok = total["failures"] == 0 and total["p95"] < target
    lines += [
        "",
        f"Objectif p95 < {target} ms et aucune erreur : {'atteint' if ok else 'NON atteint'} "
        f"(p95 {total['p95']:.0f} ms, {total['failures']} erreur(s)).",
    ]
    for error in total["errors"][:10]:
        lines.append(f"- erreur : {error}")
    if probe is not None:
        done = [r for r in probe.results if r.get("first") is not None]
        lines += [
            "",
            f"Besoin modifié → suggestion visible ({len(probe.results)} modifications pendant la charge) :",
        ]
        for r in probe.results:
            if "error" in r:
                lines.append(f"- {r['partner']} : erreur {r['error']}")
            else:
                first = f"{r['first']:.2f} s" if r["first"] is not None else "jamais en 30 s"
                stable = f"{r['stable']:.2f} s" if r["stable"] is not None else "non"
                lines.append(
                    f"- {r['partner']} : première apparition {first}, stable (4 affichages de suite) {stable}, "
                    f"{r['polls']} affichages{' (déjà présent avant)' if r['before'] else ''}"
                )
        stables = sorted(r["stable"] for r in probe.results if r.get("stable") is not None)
        firsts = sorted(r["first"] for r in done)
        if firsts:
            lines.append(
                f"Première apparition : médiane {firsts[len(firsts) // 2]:.2f} s, max {firsts[-1]:.2f} s ; "
                f"stable : {len(stables)}/{len(probe.results)}"
                + (
                    f", médiane {stables[len(stables) // 2]:.2f} s, max {stables[-1]:.2f} s"
                    if stables
                    else ""
                )
            )
        within = len(stables) == len(probe.results) and stables and stables[-1] <= 5
        lines.append(f"Objectif « visible en moins de 5 s » : {'atteint' if within else 'NON atteint'}.")
        ok = ok and bool(within)
    return "\n".join(lines), ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument(
        "--per-org", type=int, default=3, help="needs and offers per organisation (default 3)"
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=90, help="seconds of the loaded run (default 90)")
    parser.add_argument("--baseline", type=int, default=30, help="seconds of the 1-user run (default 30)")
    parser.add_argument("--warmup", type=int, default=180, help="warm-up limit in seconds (default 180)")
    parser.add_argument(
        "--wait", default="1,3", help="think time between pages, min,max seconds (default 1,3)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rebuild-timeout", type=int, default=1800, help="seconds for the suggestions' build"
    )
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument(
        "--probes", type=int, default=8, help="need changes timed during the load (default 8)"
    )
    parser.add_argument("--db", default="terreau_load")
    parser.add_argument("--reuse-db", action="store_true", help="skip generation when the database holds N")
    parser.add_argument("--directory-only", action="store_true", help="directory searches only (2M case)")
    parser.add_argument(
        "--skip-rebuild",
        action="store_true",
        help="do not wait for the suggestions' full build (measure as is)",
    )
    parser.add_argument("--generate-only", action="store_true", help="prepare the database, then stop")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 organisations, 20 s")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, Locust CSV)")
    args = parser.parse_args()
    if args.quick:
        args.orgs, args.duration, args.baseline, args.warmup = 2_000, 20, 10, 60
        args.users, args.members, args.events, args.probes = min(args.users, 10), 60, 30, 3
        if args.db == "terreau_load":
            args.db = "terreau_load_quick"
    args.url = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    workdir = Path(tempfile.mkdtemp(prefix="terreau-load-"))
    try:
        plan = prepare(args)
        if args.generate_only:
            return
        plan_path = workdir / "plan.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        base = start_server(args, workdir)
        warm_up(base, plan, args.warmup)
        base_rows = run_locust(
            args, base, plan_path, workdir, users=1, seconds=args.baseline, label="reference"
        )
        probe = None
        if not args.directory_only and plan["probes"] and args.probes:
            probe = Probe(base, plan, start_after=15, changes=args.probes)
            probe.start()
        load_before = os.getloadavg()[0]
        load_rows = run_locust(
            args, base, plan_path, workdir, users=args.users, seconds=args.duration, label="charge"
        )
        load_after = os.getloadavg()[0]
        if probe is not None:
            probe.stop.set()
            probe.join(timeout=40)
        text, ok = report(args, plan, base_rows, load_rows, probe, (load_before, load_after))
        print()
        print(" ".join(sys.argv))
        print(text)
        print(f"\nJournaux et CSV : {workdir}")
    finally:
        stop_all()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
