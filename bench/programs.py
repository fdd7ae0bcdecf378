"""Benchmarks of collective programs' activities (issue 5).

    .venv/bin/python bench/programs.py planner                 # pure planner, no database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/terreau_bench_programs \\
        .venv/bin/python bench/programs.py dashboard             # dashboard with 100,000 session reports
    .venv/bin/python bench/programs.py all --write docs/bench-programs.md

1. planner: 200 host sites clustered around 21 towns of departments 16/17/79/86, 60 civic-service volunteers
   (24-35 h a week, staggered 8-10-month missions, availabilities, assigned sites or a 25-40 km reach), a school
   year of weekly sessions laid out as a coordinator would (each with volunteers who could run it: that
   planted reference timetable proves what coverage is feasible; demand is about 90 % of the mission hours).
   Coverage, fully staffed sessions, hours, continuity and travel of the planner against the naive greedy
   baseline (chronological, first eligible volunteer) in the same run, with seconds; every plan is checked
   against the hard rules.
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
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/terreau_bench_programs"


# --- 1. planner ------------------------------------------------------------------------------------------

# Towns of the Silver Geek departments (16 Charente, 17 Charente-Maritime, 79 Deux-Sèvres, 86 Vienne):
# (name, department, latitude, longitude, weight ~ population of the area). Host sites and volunteers'
# homes are scattered around them (a few km), so the instance has the geography of the real program.
TOWNS = (
    ("Poitiers", "86", 46.580, 0.340, 5),
    ("Châtellerault", "86", 46.817, 0.546, 3),
    ("Montmorillon", "86", 46.426, 0.871, 2),
    ("Loudun", "86", 47.010, 0.083, 1),
    ("Civray", "86", 46.148, 0.295, 1),
    ("Niort", "79", 46.323, -0.459, 4),
    ("Parthenay", "79", 46.649, -0.247, 2),
    ("Bressuire", "79", 46.841, -0.488, 2),
    ("Thouars", "79", 46.976, -0.215, 1),
    ("Melle", "79", 46.222, -0.142, 1),
    ("La Rochelle", "17", 46.160, -1.151, 4),
    ("Rochefort", "17", 45.942, -0.959, 2),
    ("Saintes", "17", 45.746, -0.633, 3),
    ("Royan", "17", 45.624, -1.030, 2),
    ("Jonzac", "17", 45.446, -0.434, 1),
    ("Saint-Jean-d'Angély", "17", 45.946, -0.521, 1),
    ("Angoulême", "16", 45.650, 0.156, 4),
    ("Cognac", "16", 45.696, -0.329, 2),
    ("Confolens", "16", 46.014, 0.672, 1),
    ("Ruffec", "16", 46.029, 0.198, 1),
    ("Barbezieux", "16", 45.473, -0.154, 1),
)
YEAR_START = date(2025, 9, 1)  # a school year: Monday 1 September 2025 to the end of July 2026
YEAR_END = date(2026, 7, 31)
CLOSED = ((date(2025, 12, 20), date(2026, 1, 4)),)  # Christmas holidays: no sessions
MORNING, AFTERNOON = (9 * 60, 12 * 60 + 30), (13 * 60 + 30, 18 * 60)
# Session times (start minute, length) inside each window: a morning and two afternoon sessions a day.
SESSION_TIMES = {
    MORNING: ((9 * 60 + 30, 120), (10 * 60, 90)),
    AFTERNOON: ((13 * 60 + 30, 120), (14 * 60, 90), (15 * 60 + 45, 120), (16 * 60, 90)),
}


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point about ``km`` (standard deviation) from (lat, lon)."""
    return lat + rng.gauss(0, km / 111), lon + rng.gauss(0, km / 78)


def _active(v, monday: date) -> bool:
    return v.starts_on <= monday + timedelta(days=4) and v.ends_on >= monday


def planner_problem(seed: int = 5, n_sites: int = 200, n_volunteers: int = 60, fill: float = 1.0):
    """200 host sites clustered around the towns of 16/17/79/86, 60 civic-service volunteers on staggered
    missions, weekly sessions over a school year.

    The sessions are laid out the way a coordinator builds a timetable: each weekly session is created
    together with the volunteers who could run it (near their home, in their availability, no overlap,
    within ``fill`` of their weekly hours). That reference timetable is returned too: it proves that a
    high coverage is feasible, so the instance measures how close a planner gets to it. Each volunteer is
    also assigned a few more nearby sites (or may go anywhere within reach) so that there are choices,
    and missions start and end at different dates, so the reference itself does not cover everything.
    Returns (sites, volunteers, slots, reference plan assignments).
    """
    from terreau.activities.plan_instance import Site, Slot, Volunteer, Window, reach_km, travel_minutes

    rng = random.Random(seed)
    weights = [t[4] for t in TOWNS]
    sites: list = []
    for i in range(n_sites):
        town = rng.choices(range(len(TOWNS)), weights)[0]
        lat, lon = _near(rng, TOWNS[town][2], TOWNS[town][3], 6)
        windows = []
        for day in sorted(rng.sample(range(5), rng.choice([2, 3, 3, 4]))):
            if rng.random() < 0.4:
                windows.append(Window(day, *MORNING))
            if rng.random() < 0.9 or not windows or windows[-1].weekday != day:
                windows.append(Window(day, *AFTERNOON))
        sites.append(Site(id=i + 1, lat=lat, lon=lon, windows=tuple(windows)))
    # Volunteers live where the sites are; missions of 8 to 10 months starting September to January.
    volunteers = []
    for i in range(n_volunteers):
        base = rng.choice(sites)
        lat, lon = _near(rng, base.lat, base.lon, 4)
        begin = YEAR_START + timedelta(weeks=rng.choice([0, 0, 0, 0, 0, 1, 4, 5, 9, 18]))
        availability = []
        for day in sorted(rng.sample(range(5), rng.choice([4, 5, 5]))):
            part = rng.random()
            if part < 0.75:
                availability.append(Window(day, 9 * 60, 18 * 60))
            elif part < 0.85:
                availability.append(Window(day, 9 * 60, 12 * 60 + 30))
            else:
                availability.append(Window(day, 13 * 60, 18 * 60))
        volunteers.append(
            Volunteer(
                id=1000 + i,
                starts_on=begin,
                ends_on=begin + timedelta(days=rng.choice([243, 273, 304])),
                weekly_hours=rng.choice([24, 24, 26, 28, 30, 35]),
                availability=tuple(availability),
                lat=lat,
                lon=lon,
                max_travel_km=rng.choice([25.0, 30.0, 40.0]),
            )
        )
    # The coordinator's timetable: sites in turn (random order, several rounds) get one more weekly session
    # with the nearest volunteers free at that time.
    budget = {v.id: v.weekly_hours * 60 * fill for v in volunteers}
    busy: dict[tuple[int, int], list[tuple[int, int, int]]] = {}  # (volunteer, weekday) -> (site, start, end)
    site_busy: dict[tuple[int, int], list[tuple[int, int]]] = {}
    reach = {
        s.id: sorted(
            (v for v in volunteers if (reach_km(v, s) or 0) <= min(v.max_travel_km, 25)),
            key=lambda v, s=s: reach_km(v, s),
        )
        for s in sites
    }
    by_id = {s.id: s for s in sites}

    def free(v, day, site_id, start, end):
        if budget[v.id] < end - start or not any(w.contains(day, start, end) for w in v.availability):
            return False
        for other, a, b in busy.get((v.id, day), ()):
            gap = travel_minutes(by_id[site_id], by_id[other])
            if start < b + gap and a < end + gap:
                return False
        return True

    patterns = []  # (site id, weekday, start, minutes, volunteer ids)
    for _round in range(4):
        for site in rng.sample(sites, len(sites)):
            needed = rng.choice([1, 2, 2, 2])
            options = [(w.weekday, t) for w in site.windows for t in SESSION_TIMES[(w.start, w.end)]]
            rng.shuffle(options)
            for day, (start, minutes) in options:
                end = start + minutes
                if any(start < b + 15 and a < end + 15 for a, b in site_busy.get((site.id, day), ())):
                    continue  # one session at a time at a site
                team = [v for v in reach[site.id][:8] if free(v, day, site.id, start, end)][:needed]
                if len(team) < needed:
                    continue
                for v in team:
                    busy.setdefault((v.id, day), []).append((site.id, start, end))
                    budget[v.id] -= minutes
                site_busy.setdefault((site.id, day), []).append((start, end))
                patterns.append((site.id, day, start, minutes, tuple(v.id for v in team)))
                break
    # Assigned sites: the reference ones plus 1-4 more nearby; a quarter of the volunteers have none
    # (they may go to any site within their travel limit).
    planted: dict[int, set[int]] = {}
    for site_id, *_, team in patterns:
        for vid in team:
            planted.setdefault(vid, set()).add(site_id)
    for k, v in enumerate(volunteers):
        if rng.random() < 0.25 and all(
            reach_km(v, by_id[s]) <= v.max_travel_km for s in planted.get(v.id, ())
        ):
            continue
        near = [s.id for s in sorted(sites, key=lambda s, v=v: reach_km(v, s)) if reach_km(v, s) <= 25]
        extra = [s for s in near if s not in planted.get(v.id, set())][: rng.randint(1, 4)]
        volunteers[k] = replace(v, site_ids=frozenset(planted.get(v.id, set()) | set(extra)))
    vol_by_id = {v.id: v for v in volunteers}
    # Sessions every open week from the site's first volunteer's start; the reference keeps the
    # timetable's volunteers on the days their mission runs.
    first_start = {}
    for site_id, *_, team in patterns:
        begin = min(vol_by_id[vid].starts_on for vid in team)
        first_start[site_id] = min(first_start.get(site_id, begin), begin)
    slots, reference, slot_id = [], {}, 0
    monday = YEAR_START
    while monday <= YEAR_END:
        if not any(a <= monday + timedelta(days=4) and monday <= b for a, b in CLOSED):
            for site_id, day, start, minutes, team in patterns:
                when = monday + timedelta(days=day)
                if monday < first_start[site_id] - timedelta(days=first_start[site_id].weekday()):
                    continue
                slot_id += 1
                at = datetime(when.year, when.month, when.day, start // 60, start % 60)
                slots.append(Slot(id=slot_id, site_id=site_id, start=at, minutes=minutes, needed=len(team)))
                reference[slot_id] = tuple(
                    vid for vid in team if vol_by_id[vid].starts_on <= when <= vol_by_id[vid].ends_on
                )
        monday += timedelta(weeks=1)
    return sites, volunteers, slots, reference


def plan_metrics(plan, sites, volunteers, slots) -> dict[str, float]:
    """Coverage, fully staffed sessions, hours, continuity and travel of a plan."""
    from terreau.activities.plan_instance import reach_km

    site_by_id = {s.id: s for s in sites}
    vol_by_id = {v.id: v for v in volunteers}
    served: dict[int, dict[int, int]] = {}
    minutes = km = 0.0
    full = 0
    for slot in slots:
        vids = plan.assignments[slot.id]
        full += len(vids) >= slot.needed
        for vid in vids:
            served.setdefault(slot.site_id, {}).setdefault(vid, 0)
            served[slot.site_id][vid] += 1
            minutes += slot.minutes
            km += 2 * (reach_km(vol_by_id[vid], site_by_id[slot.site_id]) or 0.0)
    # Continuity: share of each site's places filled by its usual volunteers (the k who served there most,
    # k = the most volunteers one of its sessions needs).
    need = {}
    for slot in slots:
        need[slot.site_id] = max(need.get(slot.site_id, 0), slot.needed)
    usual = sum(sum(sorted(c.values(), reverse=True)[: need[s]]) for s, c in served.items())
    places = sum(sum(c.values()) for c in served.values())
    return {
        "coverage": plan.coverage,
        "full": full / len(slots),
        "hours": minutes / 60,
        "continuity": usual / places if places else 1.0,
        "km": km,
        "km_per_place": km / places if places else 0.0,
    }


def bench_planner() -> list[str]:
    from terreau.activities import planner

    sites, volunteers, slots, reference = planner_problem()
    demand_h = sum(s.needed * s.minutes for s in slots) / 60
    weeks = sorted({planner.week_of(s.start.date()) for s in slots})
    mondays = [date.fromisocalendar(y, w, 1) for y, w in weeks]
    capacity_h = sum(v.weekly_hours for m in mondays for v in volunteers if _active(v, m))
    lines = [
        f"Problem: {len(sites)} host sites around {len(TOWNS)} towns of departments 16, 17, 79 and 86, "
        f"{len(volunteers)} civic-service volunteers (24-35 h a week, 8-10-month missions starting September "
        f"to January, {sum(1 for v in volunteers if v.site_ids)} with assigned sites), {len(slots)} sessions "
        f"over {len(weeks)} weeks of a school year, {sum(s.needed for s in slots)} volunteer places to fill: "
        f"{demand_h:,.0f} volunteer-hours asked for {capacity_h:,.0f} offered by the missions "
        f"({demand_h / capacity_h:.0%}).",
        "",
        "| planner | seconds | coverage (places) | fully staffed sessions | hours used | continuity "
        "| travel (km, return trips) | km per place | hard-rule violations |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    results = {}
    ref = planner.Plan(assignments=reference)
    for slot in slots:
        ref.needed += slot.needed
        ref.covered += len(reference[slot.id])
    for name, kwargs in (
        ("reference timetable (planted)", None),
        ("greedy baseline", {"baseline": True}),
        ("Terreau planner", {}),
        ("Terreau planner + CP-SAT polish", {"optimise": True}),
    ):
        t0 = clock.perf_counter()
        if kwargs is None:
            plan = ref
        else:
            plan = planner.plan(sites=sites, volunteers=volunteers, slots=slots, **kwargs)
        seconds = clock.perf_counter() - t0
        problems = planner.check(plan, sites=sites, volunteers=volunteers, slots=slots)
        m = plan_metrics(plan, sites, volunteers, slots)
        results[name] = (plan, m)
        lines.append(
            f"| {name} | {'-' if kwargs is None else f'{seconds:.1f}'} | {m['coverage']:.1%} | {m['full']:.1%} | {m['hours']:,.0f} h "
            f"({m['hours'] / capacity_h:.0%}) | {m['continuity']:.1%} | {m['km']:,.0f} | {m['km_per_place']:.1f} "
            f"| {len(problems)} |"
        )
    (smart, sm), (naive, nm) = results["Terreau planner"], results["greedy baseline"]
    lines += [
        "",
        f"Planner against greedy: {sm['coverage'] - nm['coverage']:+.1%} places covered "
        f"({smart.covered - naive.covered:+,} places), {sm['full'] - nm['full']:+.1%} fully staffed sessions, "
        f"{sm['continuity'] - nm['continuity']:+.1%} continuity, {sm['km_per_place'] - nm['km_per_place']:+.1f} km "
        "per place.",
        "",
        "Continuity: share of a site's places filled by its usual volunteers (the one or two who served there "
        "most). Travel: home to site and back for each place.",
    ]
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
    from terreau.activities import stats
    from terreau.activities.models import Attendance, Mission, Participant, Session, SessionReport
    from terreau.core.models import Branch, Network
    from terreau.directory.models import Organisation
    from terreau.programs.models import HostSite, Program, ProgramRole
    from terreau.territories.models import Commune, Department, Region

    rng = random.Random(7)
    # Drop the activities tables' rows in one statement: deleting 100,000 sessions one by one would fire the
    # dashboard figures' signal handlers for each of them.
    from django.apps import apps

    tables = [
        m._meta.db_table for m in apps.get_app_config("activities").get_models(include_auto_created=True)
    ]
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
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
    # bulk_create sends no signal: build the dashboard's per-site, per-month figures once, as the demo does.
    t0 = clock.perf_counter()
    stats.rebuild(site_ids=[s.pk for s in sites])
    rebuild_s = clock.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return program, user, rebuild_s


def bench_dashboard(n_reports: int, runs: int) -> list[str]:
    from django.test import Client
    from django.urls import reverse

    t0 = clock.perf_counter()
    program, user, rebuild_s = fill(n_reports)
    fill_s = clock.perf_counter() - t0
    client = Client()
    client.force_login(user)
    url = reverse("activities:dashboard", args=[program.slug])
    site = program.sites.order_by("pk").first()
    lines = [
        f"Data: {n_reports:,} held or cancelled sessions with reports, 200 sites, 3 registered participants per "
        f"report (filled in {fill_s:.0f} s, of which {rebuild_s:.1f} s to rebuild the per-site, per-month "
        "figures from scratch).",
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
