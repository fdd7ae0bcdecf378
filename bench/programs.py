"""Benchmarks of collective programs' activities (issue 5).

    .venv/bin/python bench/programs.py planner                 # pure planner, no database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/terreau_bench_programs \\
        .venv/bin/python bench/programs.py dashboard             # dashboard with 100,000 session reports
    .venv/bin/python bench/programs.py all --write docs/bench-programs.md

1. planner: 200 sites across Poitou-Charentes (one or two weekly sessions each, 2 volunteers), 60 civic-service
   volunteers (24-35 h a week, staggered 8-month missions, 2-4 available weekdays, 40 km travel limit), one
   year: seconds and coverage of the planner against the naive greedy baseline (chronological, first eligible
   volunteer) in the same run; both plans are checked against the hard rules.
2. dashboard: a program with 200 sites and 100,000 held sessions with reports (and attendance), on
   PostgreSQL; p50/p95 of the dashboard page (Django test Client, coordinator) over repeated requests,
   with and without a site filter. It drops and refills the activities tables of the database it is given.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time as clock
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/terreau_bench_programs"


# --- 1. planner ------------------------------------------------------------------------------------------


def planner_problem(seed: int = 5):
    from terreau.activities.planner import Site, Slot, Volunteer, Window

    rng = random.Random(seed)
    year_start = date(2025, 9, 1)
    sites, slots = [], []
    for i in range(200):
        day = rng.randrange(5)
        windows = (Window(day, 14 * 60, 17 * 60), Window((day + 2) % 5, 10 * 60, 12 * 60))
        sites.append(Site(id=i + 1, lat=rng.uniform(45.6, 46.9), lon=rng.uniform(-1.1, 0.8), windows=windows))
    slot_id = 0
    for site in sites:
        patterns = [(site.windows[0].weekday, 14 * 60 + 30)]
        if rng.random() < 0.3:
            patterns.append((site.windows[1].weekday, 10 * 60))
        for weekday, minute in patterns:
            day = year_start + timedelta(days=(weekday - year_start.weekday()) % 7)
            while day < year_start + timedelta(days=365):
                slot_id += 1
                start = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
                slots.append(Slot(id=slot_id, site_id=site.id, start=start, minutes=90, needed=2))
                day += timedelta(days=7)
    volunteers = []
    for i in range(60):
        begin = year_start + timedelta(days=rng.randrange(0, 120))
        days = rng.sample(range(5), rng.randint(2, 4))
        volunteers.append(
            Volunteer(
                id=1000 + i,
                starts_on=begin,
                ends_on=begin + timedelta(days=rng.choice([183, 240, 300, 364])),
                weekly_hours=rng.choice([24, 28, 30, 35]),
                availability=tuple(Window(d, 9 * 60, 18 * 60) for d in days),
                lat=rng.uniform(45.6, 46.9),
                lon=rng.uniform(-1.1, 0.8),
                max_travel_km=40.0,
            )
        )
    return sites, volunteers, slots


def bench_planner() -> list[str]:
    from terreau.activities import planner

    sites, volunteers, slots = planner_problem()
    lines = [
        f"Problem: {len(sites)} sites, {len(volunteers)} volunteers, {len(slots)} sessions over one year, "
        f"{sum(s.needed for s in slots)} volunteer places to fill.",
        "",
    ]
    lines += [
        "| planner | seconds | coverage | uncovered sessions | hard-rule violations |",
        "|---|---|---|---|---|",
    ]
    results = {}
    for name, baseline in (("greedy baseline", True), ("Terreau planner", False)):
        t0 = clock.perf_counter()
        plan = planner.plan(sites=sites, volunteers=volunteers, slots=slots, baseline=baseline)
        seconds = clock.perf_counter() - t0
        problems = planner.check(plan, sites=sites, volunteers=volunteers, slots=slots)
        results[name] = plan
        lines.append(f"| {name} | {seconds:.2f} | {plan.coverage:.1%} | {len(plan.gaps)} | {len(problems)} |")
    smart, naive = results["Terreau planner"], results["greedy baseline"]
    ratio = smart.coverage / naive.coverage if naive.coverage else float("inf")
    lines += ["", f"Coverage ratio planner / greedy: {ratio:.3f}."]
    reasons: dict[str, int] = {}
    for gap in smart.gaps:
        for r in gap.reasons:
            reasons[r] = reasons.get(r, 0) + 1
    lines += ["", "Reasons given for the planner's uncovered sessions:", ""]
    lines += [f"- {r}: {n}" for r, n in sorted(reasons.items(), key=lambda x: -x[1])]
    return lines


# --- 2. dashboard on PostgreSQL ---------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg
    from dj_database_url import parse

    cfg = parse(url)
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("the dashboard benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
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


def fill(n_reports: int):
    from django.db import connection
    from django.utils import timezone

    from terreau.accounts.models import User
    from terreau.activities.models import Attendance, Mission, Participant, Session, SessionReport
    from terreau.core.models import Branch, Network
    from terreau.directory.models import Organisation
    from terreau.programs.models import HostSite, Program, ProgramRole
    from terreau.territories.models import Commune, Department, Region

    rng = random.Random(7)
    Program.objects.filter(slug="bench-programme").delete()
    region, _ = Region.objects.get_or_create(code="75", defaults={"name": "Nouvelle-Aquitaine"})
    communes = []
    for code, name in (
        ("16", "Charente"),
        ("17", "Charente-Maritime"),
        ("79", "Deux-Sèvres"),
        ("86", "Vienne"),
    ):
        dept, _ = Department.objects.get_or_create(code=code, defaults={"name": name, "region": region})
        for k in range(5):
            c, _ = Commune.objects.get_or_create(
                code=f"{code}9{k:02d}",
                defaults={
                    "name": f"Commune {code}-{k}",
                    "department": dept,
                    "latitude": 46 + k / 10,
                    "longitude": 0.1 * k,
                },
            )
            communes.append(c)
    network, _ = Network.objects.get_or_create(slug="bench-reseau", defaults={"name": "Réseau bench"})
    branch, _ = Branch.objects.get_or_create(
        slug="bench-antenne", defaults={"name": "Antenne bench", "network": network}
    )
    org, _ = Organisation.objects.get_or_create(
        slug="bench-unis-cite", defaults={"name": "Unis-Cité bench", "branch": branch, "commune": communes[0]}
    )
    program = Program.objects.create(branch=branch, name="Programme bench", slug="bench-programme")
    user, _ = User.objects.get_or_create(email="coordination@bench.example.org")
    ProgramRole.objects.create(program=program, user=user, role="coordinator")
    sites = HostSite.objects.bulk_create(
        [
            HostSite(program=program, organisation=org, name=f"Site {i}", commune=communes[i % len(communes)])
            for i in range(200)
        ]
    )
    missions = Mission.objects.bulk_create(
        [
            Mission(
                program=program,
                first_name=f"V{i}",
                last_name="Bench",
                birth_date=date(2003, 1, 1),
                host_organisation=org,
                starts_on=date(2020, 1, 1),
                ends_on=date(2020, 12, 1),
                weekly_hours=24,
            )
            for i in range(60)
        ]
    )
    people = Participant.objects.bulk_create(
        [
            Participant(site=sites[i % 200], first_name=f"P{i}", consent_on=date(2020, 1, 1))
            for i in range(3000)
        ]
    )
    start = timezone.make_aware(datetime(2020, 1, 6, 14, 30))
    sessions = [
        Session(
            site=sites[i % 200],
            starts_at=start + timedelta(days=7 * (i // 200) + (i % 5)),
            status="held" if rng.random() < 0.92 else "cancelled",
            duration_minutes=90,
        )
        for i in range(n_reports)
    ]
    Session.objects.bulk_create(sessions, batch_size=5000)
    SessionReport.objects.bulk_create(
        [
            SessionReport(
                session=s, held=s.status == "held", headcount=rng.randint(3, 12), duration_minutes=90
            )
            for s in sessions
        ],
        batch_size=5000,
    )
    through = Session.volunteers.through
    through.objects.bulk_create(
        [through(session_id=s.pk, mission_id=missions[rng.randrange(60)].pk) for s in sessions],
        batch_size=5000,
    )
    by_site: dict[int, list] = {}
    for p in people:
        by_site.setdefault(p.site_id, []).append(p)
    reports = SessionReport.objects.filter(session__site__program=program).values_list(
        "pk", "session__site_id"
    )
    Attendance.objects.bulk_create(
        [
            Attendance(report_id=rid, participant_id=p.pk)
            for rid, sid in reports.iterator()
            for p in rng.sample(by_site[sid], 3)
        ],
        batch_size=10000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return program, user


def bench_dashboard(n_reports: int, runs: int) -> list[str]:
    from django.test import Client
    from django.urls import reverse

    t0 = clock.perf_counter()
    program, user = fill(n_reports)
    fill_s = clock.perf_counter() - t0
    client = Client()
    client.force_login(user)
    url = reverse("activities:dashboard", args=[program.slug])
    site = program.sites.order_by("pk").first()
    lines = [
        f"Data: {n_reports:,} held or cancelled sessions with reports, 200 sites, 3 registered participants per "
        f"report (filled in {fill_s:.0f} s).",
        "",
        "| request | p50 (ms) | p95 (ms) | target |",
        "|---|---|---|---|",
    ]
    for label, query in (
        ("whole program", ""),
        ("one site", f"?site={site.pk}"),
        ("one department", "?departement=86"),
    ):
        client.get(url + query)  # warm-up
        times = []
        for _ in range(runs):
            t = clock.perf_counter()
            response = client.get(url + query)
            times.append((clock.perf_counter() - t) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        lines.append(f"| dashboard, {label} | {statistics.median(times):.0f} | {p95:.0f} | p95 < 300 ms |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["planner", "dashboard", "all"])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write", help="write the results (Markdown) to this file")
    args = parser.parse_args()
    out = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}.",
        "",
    ]
    if args.what in ("planner", "all"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        out += ["## Session planner (one year)", "", *bench_planner(), ""]
    if args.what in ("dashboard", "all"):
        url = os.environ.get("DATABASE_URL") or DEFAULT_URL
        ensure_database(url)
        setup_django(url)
        out += ["## Dashboard on PostgreSQL", "", *bench_dashboard(args.reports, args.runs), ""]
    text = "\n".join(out)
    print(text)
    if args.write:
        Path(args.write).write_text(
            "# Benchmarks: collective programs (issue 5)\n\n" + text + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
