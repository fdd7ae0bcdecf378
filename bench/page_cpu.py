"""Python CPU per page (issue 12): what each page type of the load test's mix costs the web process.

    .venv/bin/python bench/page_cpu.py                       # 2,000 organisations, 30 requests per page type
    .venv/bin/python bench/page_cpu.py --reps 60 --json out.json
    .venv/bin/python bench/page_cpu.py --profile organisation --profile-reps 40   # cProfile of one page type

bench/load.py found the server CPU-bound (2 sync workers on 2 cores serve 12-15 pages a second); this measures
where that CPU goes, without a server or Locust in the way:
1. its own PostgreSQL database (default h_cpu_bench), migrated, the official geography loaded, filled like
   `bench/load.py --quick` does (bench/load_data.py `fill(orgs=2000, members=60, events=30, probes=3)`), the
   stored suggestions built, the cache table created and the static files collected (first run only);
2. Django set up with the deployed settings, `config.production` (DEBUG off, cached template loader,
   manifest static files, `db://` cache, JSON logs at WARNING, axes and every middleware of the deployment);
3. for each page type of bench/load_users.py's mix (anonymous and signed-in members), the URL varied over a
   fixed list (search words, filters, organisations...), requests through Django's test Client (the whole
   WSGI handler and middleware stack, in this process); page types are interleaved, so that the machine's
   load falls on all of them alike; `time.process_time()` around each request (this process's CPU only:
   PostgreSQL's work is not counted), median over the repetitions;
4. the queries of each page type (one request, counted apart from the timed ones);
5. a trivial view (HttpResponse "ok" through the same middleware stack), the baseline of the same run:
   the table gives each page's median CPU as a ratio to it.

Tests never assert on time. The numbers depend on the machine's load: the load average is printed.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_vocabulary import KINDS, THEMES, TYPES, WORDS  # noqa: E402

BASELINE = "(base) vue triviale"


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# --- set-up ----------------------------------------------------------------------------------------


def configure(url: str) -> Path:
    """Environment of the deployed settings (as bench/load.py gives `terreau serve`), before Django starts."""
    static_root = Path(tempfile.gettempdir()) / f"terreau-page-cpu-static-{zlib.crc32(str(ROOT).encode())}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.production",
            "DATABASE_URL": url,
            "TERREAU_SECRET_KEY": secrets.token_urlsafe(60),
            "TERREAU_ALLOWED_HOSTS": "testserver",
            "TERREAU_SECURE_SSL_REDIRECT": "false",
            "TERREAU_STATIC_ROOT": str(static_root),
            "TERREAU_LOG_LEVEL": "WARNING",
            "TERREAU_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    os.environ.pop("TERREAU_JOBS_INLINE", None)
    os.environ.pop("TERREAU_AXES_ENABLED", None)
    return static_root


def prepare(args, static_root: Path) -> dict:
    import directory as vocab  # bench/directory.py

    vocab.ensure_database(args.url)
    import django

    django.setup()
    import load_data
    from django.core.management import call_command

    from terreau.directory.models import Organisation
    from terreau.matching import store
    from terreau.matching.models import StoredSuggestion
    from terreau.territories.loader import load_territories
    from terreau.territories.models import Commune

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the db:// cache: the generator's signals clear it
    if Commune.objects.count() < 30_000:
        step("Charge la géographie officielle…")
        load_territories()
    have = (
        Organisation.objects.filter(slug__startswith="charge-")
        .exclude(slug__startswith="charge-sonde-")
        .count()
    )
    if have == args.orgs and not args.refill:
        step(f"Réutilise les {have} organisations de {args.db}.")
        plan = load_data.describe(load_data.Plan())
    else:
        step(f"Génère {args.orgs} organisations…")
        plan = load_data.fill(orgs=args.orgs, per_org=3, members=60, events=30, probes=3, log=step)
        plan = load_data.describe(plan)
    load_data.reset_probes(plan)
    if not StoredSuggestion.objects.exists() or args.refill:
        step("Calcule les suggestions enregistrées…")
        store.rebuild_all()
    if not (static_root / "staticfiles.json").exists():
        step("Collecte les fichiers statiques (une fois)…")
        call_command("collectstatic", interactive=False, verbosity=0)
    return plan.as_dict()


def add_trivial_view() -> None:
    """The baseline: a view that does nothing, behind the deployment's whole middleware stack."""
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import config.urls

    def trivial(request):
        return HttpResponse("ok", content_type="text/plain")

    config.urls.urlpatterns.insert(0, path("__page_cpu__/", trivial))
    clear_url_caches()


# --- the page mix ----------------------------------------------------------------------------------


def search_params(rng: random.Random, plan: dict, *, text: bool, filters: bool) -> dict:
    params: dict = {}
    if text:
        params["q"] = rng.choice(WORDS) if rng.random() < 0.8 else rng.choice(plan["communes"])
    if filters:
        pool = [
            ("department", plan["departments"]),
            ("kind", KINDS),
            ("theme", THEMES),
            ("type", TYPES),
            ("branch", plan["branches"]),
        ]
        for key, values in rng.sample(pool, rng.randint(1, 3)):
            params[key] = rng.choice(values)
        if "type" in params and rng.random() < 0.5:
            params["direction"] = rng.choice(("need", "offer"))
    return params


def page_types(plan: dict, n: int) -> list[dict]:
    """Every page type of bench/load_users.py, each with n URLs drawn once (seeded) and cycled."""
    rng = random.Random(12)
    htmx = {"HTTP_HX_REQUEST": "true"}

    def urls(make) -> list:
        return [make() for _ in range(n)]

    orgs = plan["org_slugs"]
    members = plan["members"][len(plan["probes"]) :]
    pages = [
        {"name": BASELINE, "who": "anon", "urls": [("/__page_cpu__/", {})]},
        {"name": "recherche (sans critère)", "who": "anon", "urls": [("/", {})]},
        {
            "name": "recherche texte",
            "who": "anon",
            "urls": urls(lambda: ("/", search_params(rng, plan, text=True, filters=False))),
        },
        {
            "name": "recherche filtres",
            "who": "anon",
            "urls": urls(lambda: ("/", search_params(rng, plan, text=False, filters=True))),
        },
        {
            "name": "recherche texte+filtres",
            "who": "anon",
            "urls": urls(lambda: ("/", search_params(rng, plan, text=True, filters=True))),
        },
        {
            "name": "recherche texte (htmx)",
            "who": "anon",
            "headers": htmx,
            "urls": urls(lambda: ("/", search_params(rng, plan, text=True, filters=False))),
        },
        {
            "name": "recherche filtres (htmx)",
            "who": "anon",
            "headers": htmx,
            "urls": urls(lambda: ("/", search_params(rng, plan, text=False, filters=True))),
        },
        {
            "name": "recherche texte page 2-5",
            "who": "anon",
            "urls": urls(lambda: ("/", {"q": rng.choice(WORDS[:8]), "page": rng.randint(2, 5)})),
        },
        {
            "name": "organisation",
            "who": "anon",
            "urls": urls(lambda: (f"/organisations/{rng.choice(orgs)}/", {})),
        },
        {"name": "carte", "who": "anon", "urls": [("/carte/", {})]},
        {
            "name": "carte (département)",
            "who": "anon",
            "urls": urls(lambda: ("/carte/", {"department": rng.choice(plan["departments"])})),
        },
        {
            "name": "carte données",
            "who": "anon",
            "urls": urls(lambda: ("/carte/donnees.json", {"department": rng.choice(plan["departments"])})),
        },
        {"name": "rencontres (liste)", "who": "anon", "urls": [("/rencontres/", {})]},
        {
            "name": "rencontre",
            "who": "anon",
            "urls": urls(lambda: (f"/rencontres/{rng.choice(plan['event_slugs'])}/", {})),
        },
        {
            "name": "api organisations",
            "who": "anon",
            "urls": urls(lambda: ("/api/organisations/", {"page": rng.randint(1, 20)})),
        },
        {
            "name": "api besoins",
            "who": "anon",
            "urls": urls(lambda: ("/api/needs/", {"page": rng.randint(1, 20)})),
        },
        {"name": "connexion (formulaire)", "who": "anon", "urls": [("/comptes/connexion/", {})]},
        {"name": "mon espace", "who": "member", "urls": [("/comptes/mon-espace/", {})]},
        {"name": "suggestions", "who": "member", "urls": [("/complementarites/{slug}/", {})]},
        {"name": "organisation (la sienne)", "who": "member", "urls": [("/organisations/{slug}/", {})]},
        {
            "name": "besoin (formulaire)",
            "who": "member",
            "urls": [("/besoins-ressources/{need_id}/modifier/", {})],
        },
        {
            "name": "recherche texte (membre)",
            "who": "member",
            "urls": urls(lambda: ("/", search_params(rng, plan, text=True, filters=rng.random() < 0.5))),
        },
    ]
    for page in pages:
        page["cycle"] = itertools.cycle(page["urls"])
    return pages, members


class Clients:
    """Anonymous visitors and signed-in members (through the login form, as bench/load_users.py does)."""

    def __init__(self, plan: dict, members: list[dict], count: int) -> None:
        from django.test import Client

        self.anon = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9", HTTP_X_FORWARDED_FOR="10.9.0.1")
        self.members = []
        for k, account in enumerate(members[:count]):
            client = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9", HTTP_X_FORWARDED_FOR=f"10.9.1.{k + 1}")
            response = client.post(
                "/comptes/connexion/", {"username": account["email"], "password": plan["password"]}
            )
            if "sessionid" not in client.cookies:
                raise SystemExit(f"login of {account['email']} failed (HTTP {response.status_code})")
            self.members.append((client, account))
        self.member_cycle = itertools.cycle(self.members)

    def request(self, page: dict):
        url, params = next(page["cycle"])
        headers = page.get("headers", {})
        if page["who"] == "member":
            client, account = next(self.member_cycle)
            url = url.format(**account)
        else:
            client = self.anon
        return client.get(url, params, **headers)


def check(page: dict, response) -> None:
    if response.status_code != 200:
        raise SystemExit(
            f"{page['name']}: HTTP {response.status_code} for {response.request.get('PATH_INFO')}"
        )


def count_queries(clients: Clients, page: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        check(page, clients.request(page))
    return len(captured)


def login_cpu(plan: dict, members: list[dict], reps: int) -> list[float]:
    """The login form's POST (password hashing dominates: by design, not a page cost to cut)."""
    from django.test import Client

    out = []
    for k in range(reps):
        account = members[k % len(members)]
        client = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9", HTTP_X_FORWARDED_FOR=f"10.9.2.{k + 1}")
        t0 = time.process_time()
        client.post("/comptes/connexion/", {"username": account["email"], "password": plan["password"]})
        out.append(time.process_time() - t0)
    return out


def measure(args, plan: dict) -> list[dict]:
    pages, members = page_types(plan, args.urls)
    if args.only:
        pages = [p for p in pages if p["name"] == BASELINE or any(o in p["name"] for o in args.only)]
    clients = Clients(plan, members, args.members)
    step("Préchauffage (chaque type de page, 3 fois) et requêtes SQL par page…")
    for page in pages:
        for _ in range(3):
            check(page, clients.request(page))
        page["queries"] = count_queries(clients, page)
        page["cpu"], page["wall"], page["sql"] = [], [], []
    step(f"Mesure : {args.reps} requêtes par type de page, entrelacées (charge {load_average()})…")
    from django.db import connection

    waited = [0.0]

    def sql_clock(execute, sql, params, many, context):
        """Time spent waiting for PostgreSQL (its work plus the round trip), as this process sees it."""
        s0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited[0] += time.perf_counter() - s0

    with connection.execute_wrapper(sql_clock):
        for _ in range(args.reps):
            for page in pages:
                waited[0] = 0.0
                w0, t0 = time.perf_counter(), time.process_time()
                response = clients.request(page)
                page["cpu"].append(time.process_time() - t0)
                page["wall"].append(time.perf_counter() - w0)
                page["sql"].append(waited[0])
                check(page, response)
    if args.login_reps and not args.only:
        cpu = login_cpu(plan, members, args.login_reps)
        pages.append({"name": "connexion (envoi)", "queries": None, "cpu": cpu, "wall": cpu, "sql": []})
    return pages


def p90(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]


def table(pages: list[dict]) -> tuple[str, list[dict]]:
    base = statistics.median(next(p for p in pages if p["name"] == BASELINE)["cpu"])
    rows, lines = [], []
    lines.append(
        "| page | requests | CPU median (ms) | CPU p90 (ms) | wall median (ms) | SQL wait median (ms) "
        "| SQL queries | CPU / baseline |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for page in pages:
        med = statistics.median(page["cpu"])
        row = {
            "name": page["name"],
            "requests": len(page["cpu"]),
            "cpu_median_ms": round(med * 1000, 2),
            "cpu_p90_ms": round(p90(page["cpu"]) * 1000, 2),
            "wall_median_ms": round(statistics.median(page["wall"]) * 1000, 2),
            "sql_wait_median_ms": round(statistics.median(page["sql"]) * 1000, 2) if page["sql"] else None,
            "queries": page["queries"],
            "ratio": round(med / base, 1) if base else None,
        }
        rows.append(row)
        sql = "" if row["sql_wait_median_ms"] is None else f"{row['sql_wait_median_ms']:.1f}"
        lines.append(
            f"| {row['name']} | {row['requests']} | {row['cpu_median_ms']:.1f} | {row['cpu_p90_ms']:.1f} | "
            f"{row['wall_median_ms']:.1f} | {sql} | {'' if row['queries'] is None else row['queries']} | "
            f"{row['ratio']}x |"
        )
    return "\n".join(lines), rows


def profile(args, plan: dict) -> None:
    pages, members = page_types(plan, args.urls)
    page = next((p for p in pages if p["name"] == args.profile), None)
    if page is None:
        raise SystemExit(f"no page type named {args.profile!r}: " + ", ".join(p["name"] for p in pages))
    clients = Clients(plan, members, args.members)
    for _ in range(3):
        check(page, clients.request(page))
    if args.sampler:  # pyinstrument (pip install pyinstrument): statistical, far less overhead than cProfile
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.0005)
        sampler.start()
        for _ in range(args.profile_reps):
            clients.request(page)
        sampler.stop()
        print(sampler.output_text(unicode=True, color=False, show_all=False, timeline=False))
        return
    profiler = cProfile.Profile(time.process_time)  # CPU of this process, not waits on PostgreSQL
    profiler.enable()
    for _ in range(args.profile_reps):
        clients.request(page)
    profiler.disable()
    if args.profile_out:
        profiler.dump_stats(args.profile_out)
    pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.profile_lines)


def dump(args, plan: dict) -> None:
    """Each page type's first URLs written to files (CSRF tokens blanked), to compare HTML before and after a
    change: `diff -r before/ after/`."""
    import re

    out = Path(args.dump)
    out.mkdir(parents=True, exist_ok=True)
    pages, members = page_types(plan, args.urls)
    clients = Clients(plan, members, args.members)
    token = re.compile(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')
    for page in pages:
        for k in range(min(args.dump_urls, len(page["urls"]))):
            response = clients.request(page)
            check(page, response)
            name = re.sub(r"\W+", "-", page["name"]).strip("-")
            (out / f"{name}-{k:02d}.html").write_bytes(token.sub(rb"\1-", response.content))
    step(f"Pages écrites dans {out}.")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="h_cpu_bench", help="PostgreSQL database of this benchmark")
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--refill", action="store_true", help="generate the data again")
    parser.add_argument("--reps", type=int, default=30, help="timed requests per page type (default 30)")
    parser.add_argument("--urls", type=int, default=40, help="distinct URLs drawn per page type")
    parser.add_argument("--members", type=int, default=8, help="signed-in members used in turn")
    parser.add_argument("--login-reps", type=int, default=5, help="login POSTs timed (0: none)")
    parser.add_argument("--only", action="append", help="page types whose name contains this (repeatable)")
    parser.add_argument("--json", help="write the table's rows to this JSON file")
    parser.add_argument("--dump", help="write the pages to this folder instead of measuring")
    parser.add_argument("--dump-urls", type=int, default=12, help="URLs written per page type")
    parser.add_argument("--profile", help="cProfile this page type instead of measuring")
    parser.add_argument("--profile-reps", type=int, default=30)
    parser.add_argument(
        "--sampler", action="store_true", help="profile with pyinstrument instead of cProfile"
    )
    parser.add_argument("--profile-lines", type=int, default=45)
    parser.add_argument("--profile-out", help="write the pstats file here")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime...)")
    args = parser.parse_args()
    args.url = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    static_root = configure(args.url)
    before = load_average()
    plan = prepare(args, static_root)
    add_trivial_view()
    if args.profile:
        profile(args, plan)
        return
    if args.dump:
        dump(args, plan)
        return
    pages = measure(args, plan)
    after = load_average()
    text, rows = table(pages)
    print()
    print(
        f"{plan['orgs']} organisations, config.production, PostgreSQL; load average before {before}, after {after}"
    )
    print(text)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"load_before": before, "load_after": after, "rows": rows}, indent=1), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
