"""Where the programs dashboard's time goes: the page as it is, against the same page without the
"sessions already started" figures (`terreau.activities.dashboard._past_figures`, issue 11), alternated in one
process on the data left by `bench/programs.py dashboard`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/terreau_bench_programs .venv/bin/python bench/dashboard_split.py

Prints the slowest SQL queries of one request, then p50/p95 of each variant (15 requests after a warm-up,
twice each, alternated so that both see the same load). A diagnostic: it replaces a product function for
the second variant, so its figures say how much that query costs, not what the page should show.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/terreau_bench_programs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TERREAU_AXES_ENABLED", "0")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from terreau.accounts.models import User
    from terreau.activities import dashboard
    from terreau.programs.models import Program

    program = Program.objects.order_by("-pk").first()
    if program is None:
        sys.exit("no program: run bench/programs.py dashboard on this database first")
    client = Client()
    client.force_login(User.objects.get(email="coordination@bench.example.org"))
    url = reverse("activities:dashboard", args=[program.slug])

    def measure(label: str) -> None:
        client.get(url)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label}: p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms")

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    slowest = sorted(((float(q["time"]), q["sql"][:150]) for q in captured.captured_queries), reverse=True)
    print(f"{len(captured.captured_queries)} queries; slowest:")
    for seconds, sql in slowest[:4]:
        print(f"  {seconds * 1000:.0f} ms  {sql}")
    original = dashboard._past_figures
    for _ in range(2):
        measure("whole program, as it is")
        dashboard._past_figures = lambda scope: ({}, {})
        try:
            measure("whole program, without the past-sessions figures")
        finally:
            dashboard._past_figures = original
    print("load average:", ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
