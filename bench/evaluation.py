"""Benchmark of the evaluation report (issue 15): analysis, report page and PDF on a large evaluation.

    .venv/bin/python bench/evaluation.py [--respondents 20000] [--runs 7] [--reuse] [--append docs/benchmarks.md]

On PostgreSQL (its own database, created when missing; DATABASE_URL or the default below): one program with
200 host sites, a closed evaluation whose participants' questionnaire has 30 questions (20 Likert scales,
3 ordinal single choices, 2 yes/no, 2 multiple choices, a number, 2 free texts), 20,000 respondents, a
before and an after wave (95 % and 80 % of them answered), about 1.1 million answers. The rows are written
directly (bulk_create, COPY for the answers): the benchmark measures the analysis and the report, not the
entry of answers (the collection's services are measured by their own tests).

Then, in the same process, several repetitions (median, p95, SQL queries) of:

- baseline: the floor, one SQL statement that computes what the report cannot do without (per question and
  per wave: count and mean; and the before/after pairs' mean change), with no Python analysis;
- ``terreau.evaluation.report.build_report(evaluation=...)``, with the stored analysis deleted before each call
  (the analysis of every answer computed again: the refresh job's work after answers arrive) and then as it is
  (from the stored analysis, what readers get: terreau.evaluation.snapshots);
- the report page through the Django test Client, signed in as the program's coordinator (target: < 2 s),
  the same two ways;
- the PDF (``terreau.evaluation.report_pdf.report_pdf``, the report built once; target: < 10 s).

Each measure stops after ``--runs`` repetitions or once it has taken ``--budget`` seconds (bounded time).
Ratios are to the baseline of the same run. Tests never assert on time (tests/bench/ runs the fill and the
measures at toy size).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/terreau_bench_eval"
SLUG = "bench-evaluation"
COORDINATOR = "coordination@bench-evaluation.example.org"
N_SITES = 200
LIKERT, SINGLE, YES_NO, MULTIPLE, NUMBER, TEXT = 20, 3, 2, 2, 1, 2
FREQUENCY = [
    "Jamais",
    "Moins d'une fois par mois",
    "Une à trois fois par mois",
    "Chaque semaine",
    "Chaque jour",
]
ACTIVITIES = ["Jeux vidéo", "Tablette", "Appels en vidéo", "Photos", "Musique", "Autre chose"]
COMMENTS = [
    "Les séances passent trop vite.",
    "Merci aux volontaires pour leur patience.",
    "J'aimerais apprendre à faire mes démarches en ligne.",
    "Le bowling sur la console, c'est ce que je préfère.",
]


# --- database ----------------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg
    from dj_database_url import parse

    cfg = parse(url)
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("the evaluation benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
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


# --- data --------------------------------------------------------------------------------------------------


def _items(instrument) -> list:
    from terreau.evaluation.models import Item

    def choices(labels):
        return [{"value": f"c{i}", "label": label} for i, label in enumerate(labels)]

    rows = []
    for i in range(LIKERT):
        rows.append({"kind": Item.Kind.LIKERT, "code": f"echelle_{i + 1:02d}", "theme": "digital_confidence"})
    for i in range(SINGLE):
        rows.append({"kind": Item.Kind.SINGLE, "code": f"frequence_{i + 1}", "choices": choices(FREQUENCY)})
    for i in range(YES_NO):
        rows.append({"kind": Item.Kind.YES_NO, "code": f"oui_non_{i + 1}"})
    for i in range(MULTIPLE):
        rows.append(
            {"kind": Item.Kind.MULTIPLE, "code": f"activites_{i + 1}", "choices": choices(ACTIVITIES)}
        )
    for i in range(NUMBER):
        rows.append({"kind": Item.Kind.NUMBER, "code": f"heures_{i + 1}", "number_min": 0, "number_max": 60})
    for i in range(TEXT):
        rows.append({"kind": Item.Kind.TEXT, "code": f"remarque_{i + 1}"})
    return [
        Item(
            instrument=instrument,
            order=n,
            text=f"Question {n + 1} du banc d'essai ({row['code']})",
            scale_min_label="Pas du tout d'accord",
            scale_max_label="Tout à fait d'accord",
            **row,
        )
        for n, row in enumerate(rows)
    ]


def _level(rng: random.Random, item_id: int, before: dict | None) -> int:
    """A scale level 0-4: drawn for a first answer, one step up (35 %) or down (7 %) from the same
    respondent's before answer in the after wave."""
    if before is not None and item_id in before:
        step = 1 if rng.random() < 0.35 else (-1 if rng.random() < 0.1 else 0)
        return min(4, max(0, before[item_id] + step))
    return min(4, max(0, int(rng.gauss(1.6, 1.1) + 0.5)))


def _answer_row(rng: random.Random, item, before: dict | None, response_id: int, at, levels: dict):
    """One answer row (response, item, number, text, choices JSON, declined, saved at), None when the
    respondent left the question empty; ``before`` holds the same respondent's before levels (item id ->
    level), ``levels`` receives this response's."""
    if item.kind == "text" and rng.random() > 0.12:
        return None  # most people leave the free text empty
    if rng.random() < 0.02:
        return (response_id, item.pk, None, "", "[]", True, at)
    number, text, choices = None, "", "[]"
    if item.kind in ("likert", "single"):
        level = levels[item.pk] = _level(rng, item.pk, before)
        number, text = (Decimal(level + 1), "") if item.kind == "likert" else (None, f"c{level}")
    elif item.kind == "yes_no":
        number = Decimal(1 if rng.random() < (0.7 if before is not None else 0.5) else 0)
    elif item.kind == "multiple":
        picked = [f'"c{i}"' for i in range(len(ACTIVITIES)) if rng.random() < 0.4] or ['"c0"']
        choices = "[" + ", ".join(picked) + "]"
    elif item.kind == "number":
        number = Decimal(rng.choice(["0", "0.5", "1", "1.5", "2", "3", "4"]))
    else:
        text = rng.choice(COMMENTS)
    return (response_id, item.pk, number, text, choices, False, at)


def _write_answers(rows) -> int:
    """COPY on PostgreSQL (bulk_create elsewhere, for the toy-size test); returns the number written."""
    from django.db import connection

    from terreau.evaluation.models import Answer

    count = 0
    if connection.vendor == "postgresql":
        columns = "response_id, item_id, number, text, choices, declined, saved_at"
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY evaluation_answer ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    batch = []
    for r in rows:
        batch.append(
            Answer(
                response_id=r[0],
                item_id=r[1],
                number=r[2],
                text=r[3],
                choices=json.loads(r[4]),
                declined=r[5],
            )
        )
        count += 1
    Answer.objects.bulk_create(batch, batch_size=2000)
    return count


def fill(*, respondents: int, seed: int = 15, log=print) -> tuple:
    """The bench program, its evaluation and answers (previous bench rows deleted first). Returns
    (evaluation, coordinator, counts)."""
    from django.db import connection, transaction

    from terreau.accounts.models import User
    from terreau.core.models import Branch, Network
    from terreau.directory.models import Organisation
    from terreau.evaluation.models import (
        Answer,
        Audience,
        Evaluation,
        EvaluationQuestion,
        Indicator,
        Instrument,
        Item,
        Respondent,
        Response,
        Wave,
    )
    from terreau.programs.models import HostSite, Program, ProgramRole
    from terreau.territories.models import Commune, Department, Region

    rng = random.Random(seed)
    t0 = time.perf_counter()
    with transaction.atomic():
        old = Evaluation.objects.filter(program__slug=SLUG)
        Answer.objects.filter(response__respondent__evaluation__in=old).delete()
        Response.objects.filter(respondent__evaluation__in=old).delete()
        old.delete()
        Program.objects.filter(slug=SLUG).delete()
        region, _ = Region.objects.get_or_create(code="75", defaults={"name": "Nouvelle-Aquitaine"})
        dept, _ = Department.objects.get_or_create(code="86", defaults={"name": "Vienne", "region": region})
        commune, _ = Commune.objects.get_or_create(
            code="86194",
            defaults={"name": "Poitiers", "department": dept, "latitude": 46.58, "longitude": 0.34},
        )
        network, _ = Network.objects.get_or_create(slug="bench-eval", defaults={"name": "Réseau bench"})
        branch, _ = Branch.objects.get_or_create(
            slug="bench-eval-antenne", defaults={"name": "Antenne bench", "network": network}
        )
        org, _ = Organisation.objects.get_or_create(
            slug="bench-eval-accueil",
            defaults={"name": "Accueil bench", "branch": branch, "commune": commune},
        )
        user, _ = User.objects.get_or_create(email=COORDINATOR, defaults={"first_name": "Coordination"})
        program = Program.objects.create(
            branch=branch,
            name="Programme évalué (banc d'essai)",
            slug=SLUG,
            starts_on=date(2025, 9, 1),
            ends_on=date(2026, 8, 31),
            coordinator=user,
        )
        ProgramRole.objects.create(program=program, user=user, role=ProgramRole.Role.COORDINATOR)
        sites = HostSite.objects.bulk_create(
            [
                HostSite(program=program, organisation=org, name=f"Site {i + 1}", commune=commune)
                for i in range(N_SITES)
            ]
        )
        evaluation = Evaluation.objects.create(
            program=program,
            title="Évaluation du banc d'essai",
            purpose="Mesurer le temps du rapport.",
            method="Avant / après, mêmes répondants.",
            limits="Données générées.",
            period_start=date(2025, 9, 1),
            period_end=date(2026, 6, 30),
            audiences=[Audience.PARTICIPANTS],
            state=Evaluation.State.CLOSED,
            created_by=user,
        )
        questions = EvaluationQuestion.objects.bulk_create(
            [
                EvaluationQuestion(evaluation=evaluation, order=i, text=text)
                for i, text in enumerate(
                    [
                        "Les seniors se sentent-ils plus à l'aise avec le numérique ?",
                        "Les seniors se sentent-ils moins isolés ?",
                    ]
                )
            ]
        )
        before = Wave.objects.create(
            evaluation=evaluation,
            kind=Wave.Kind.BEFORE,
            opens_on=date(2025, 9, 22),
            closes_on=date(2025, 10, 31),
            state=Wave.State.CLOSED,
        )
        after = Wave.objects.create(
            evaluation=evaluation,
            kind=Wave.Kind.AFTER,
            opens_on=date(2026, 5, 11),
            closes_on=date(2026, 6, 26),
            state=Wave.State.CLOSED,
        )
        instrument = Instrument.objects.create(
            evaluation=evaluation,
            audience=Audience.PARTICIPANTS,
            title="Questionnaire des participants",
            frozen_at=datetime(2025, 9, 22, 10, tzinfo=UTC),
        )
        items = Item.objects.bulk_create(_items(instrument))
        likert = [i for i in items if i.kind == "likert"]
        Indicator.objects.bulk_create(
            [
                Indicator(
                    evaluation=evaluation,
                    question=questions[n % 2],
                    order=n,
                    label=f"Indicateur {n + 1} ({measure})",
                    kind=Indicator.Kind.OUTCOME,
                    audience=Audience.PARTICIPANTS,
                    item_code=likert[n].code,
                    measure=measure,
                    target=Decimal(target),
                )
                for n, (measure, target) in enumerate(
                    [
                        ("share_agree", "60"),
                        ("mean_after", "3.5"),
                        ("mean_change", "0.5"),
                        ("share_improved", "35"),
                        ("mean_change", "0.3"),
                        ("share_agree", "50"),
                    ]
                )
            ]
            + [
                Indicator(
                    evaluation=evaluation,
                    question=questions[0],
                    order=10 + n,
                    label=label,
                    kind=Indicator.Kind.OUTPUT,
                    output_metric=metric,
                    target=Decimal(target),
                )
                for n, (label, metric, target) in enumerate(
                    [
                        ("Séances tenues", "sessions_held", "500"),
                        ("Participants touchés", "participants_reached", "150"),
                    ]
                )
            ]
        )
        bands = ["60_69", "70_79", "80_89", "80_89", "90_plus", "unknown"]
        people = Respondent.objects.bulk_create(
            [
                Respondent(
                    evaluation=evaluation,
                    code=f"BE{k:07d}",
                    audience=Audience.PARTICIPANTS,
                    site=sites[k % N_SITES],
                    age_band=rng.choice(bands),
                    enrolled=rng.random() < 0.9,
                    consent_on=date(2025, 9, 22),
                )
                for k in range(respondents)
            ],
            batch_size=5000,
        )
        modes = ["assisted"] * 7 + ["link"] * 2 + ["paper"]
        plan = []  # (respondent, before response or None, after response or None)
        responses = []
        for p in people:
            b = a = None
            if rng.random() < 0.95:
                b = Response(
                    respondent=p,
                    wave=before,
                    instrument=instrument,
                    mode=rng.choice(modes),
                    submitted_at=datetime(2025, 10, 1, 10, tzinfo=UTC) + timedelta(hours=rng.randrange(700)),
                )
                responses.append(b)
            if rng.random() < (0.8 / 0.95 if b is not None else 0.5):
                a = Response(
                    respondent=p,
                    wave=after,
                    instrument=instrument,
                    mode=rng.choice(modes),
                    submitted_at=datetime(2026, 5, 12, 10, tzinfo=UTC) + timedelta(hours=rng.randrange(1000)),
                )
                responses.append(a)
            plan.append((b, a))
        Response.objects.bulk_create(responses, batch_size=5000)
        log(
            f"  rows: {len(people):,} respondents, {len(responses):,} responses ({time.perf_counter() - t0:.1f} s)"
        )

        def answers():
            for b, a in plan:
                levels: dict = {}
                if b is not None:
                    for item in items:
                        row = _answer_row(rng, item, None, b.pk, b.submitted_at, levels)
                        if row is not None:
                            yield row
                if a is not None:
                    after_levels: dict = {}
                    for item in items:
                        row = _answer_row(
                            rng, item, levels if b is not None else None, a.pk, a.submitted_at, after_levels
                        )
                        if row is not None:
                            yield row

        written = _write_answers(answers())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - t0
    log(f"  {written:,} answers written; fill {seconds:.0f} s")
    counts = {"respondents": len(people), "responses": len(responses), "answers": written, "seconds": seconds}
    return evaluation, user, counts


def existing(respondents: int):
    """The bench evaluation already in the database with this many respondents, or None."""
    from terreau.accounts.models import User
    from terreau.evaluation.models import Answer, Evaluation

    evaluation = Evaluation.objects.filter(program__slug=SLUG).first()
    if evaluation is None or evaluation.respondents.count() != respondents:
        return None
    answers = Answer.objects.filter(response__respondent__evaluation=evaluation).count()
    counts = {"respondents": respondents, "responses": -1, "answers": answers, "seconds": 0.0}
    return evaluation, User.objects.get(email=COORDINATOR), counts


# --- measures ----------------------------------------------------------------------------------------------

BASELINE_SQL = """
WITH a AS (
    SELECT r.respondent_id, r.wave_id, a.item_id, a.number
    FROM evaluation_answer a JOIN evaluation_response r ON r.id = a.response_id
    JOIN evaluation_respondent p ON p.id = r.respondent_id
    WHERE p.evaluation_id = %s AND NOT a.declined
)
SELECT item_id, wave_id, count(*), avg(number), NULL FROM a GROUP BY item_id, wave_id
UNION ALL
SELECT b.item_id, NULL, count(*), avg(f.number - b.number), 'pairs'
FROM a b JOIN a f ON f.respondent_id = b.respondent_id AND f.item_id = b.item_id AND f.wave_id = %s
WHERE b.wave_id = %s AND b.number IS NOT NULL AND f.number IS NOT NULL
GROUP BY b.item_id
"""


def _stats(times: list[float], queries: int | None) -> dict:
    ordered = sorted(times)
    p95 = ordered[max(0, int(round(len(ordered) * 0.95)) - 1)]
    return {"runs": len(times), "median": statistics.median(ordered), "p95": p95, "queries": queries}


def _repeat(func, *, runs: int, budget: float) -> dict:
    """Times ``func`` up to ``runs`` times (after one warm-up call whose SQL queries are counted), stopping
    early once ``budget`` seconds were spent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        func()
    queries = len(captured.captured_queries)
    times: list[float] = []
    spent = 0.0
    while len(times) < runs and spent < budget:
        t = time.perf_counter()
        func()
        elapsed = time.perf_counter() - t
        times.append(elapsed)
        spent += elapsed
    return _stats(times, queries)


def report_url(evaluation) -> str:
    from django.urls import NoReverseMatch, reverse

    for name in ("evaluation:report", "evaluation:report_page", "evaluation:evaluation_report"):
        try:
            return reverse(name, args=[evaluation.pk])
        except NoReverseMatch:
            continue
    raise SystemExit("no report page URL found in the evaluation namespace (urls_report.py)")


def measure(evaluation, user, *, runs: int, budget: float, pdf_runs: int | None = None) -> dict:
    from django.db import connection
    from django.test import Client

    from terreau.evaluation.models import AnalysisSnapshot
    from terreau.evaluation.report import build_report
    from terreau.evaluation.report_pdf import report_pdf

    after = evaluation.waves.get(kind="after").pk
    before = evaluation.waves.get(kind="before").pk

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, [evaluation.pk, after, before])
            cursor.fetchall()

    def cold(func):
        """``func`` after deleting the stored analysis: the analysis of every answer is computed again (what the
        first reader of a never-analysed evaluation waits for; the refresh job's work otherwise)."""

        def run():
            AnalysisSnapshot.objects.filter(evaluation=evaluation).delete()
            func()

        return run

    results = {"baseline": _repeat(baseline, runs=runs, budget=budget)}
    report_call = lambda: build_report(evaluation=evaluation)  # noqa: E731
    results["build_report"] = _repeat(cold(report_call), runs=runs, budget=budget)
    results["build_report_warm"] = _repeat(report_call, runs=runs, budget=budget)
    client = Client()
    client.force_login(user)
    url = report_url(evaluation)

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    results["page"] = _repeat(cold(page), runs=runs, budget=budget)
    results["page_warm"] = _repeat(page, runs=runs, budget=budget)
    report = build_report(evaluation=evaluation)
    sizes: list[int] = []

    def pdf():
        sizes.append(len(report_pdf(report=report)))

    results["pdf"] = _repeat(pdf, runs=pdf_runs or max(1, runs // 2), budget=budget)
    results["pdf"]["bytes"] = sizes[-1] if sizes else 0
    return results


# --- output ------------------------------------------------------------------------------------------------


def markdown(results: dict, counts: dict, *, note: str) -> str:
    base = results["baseline"]["median"] or 1e-9
    targets = {"page": "< 2 s", "page_warm": "< 2 s", "pdf": "< 10 s", "baseline": "(floor)"}
    labels = {
        "baseline": "baseline: one SQL statement (counts, means, before/after pairs)",
        "build_report": "`build_report(evaluation=...)`, stored analysis deleted before each call (the job's work)",
        "build_report_warm": "`build_report(evaluation=...)`, from the stored analysis",
        "page": "report page (test Client, coordinator), stored analysis deleted before each request",
        "page_warm": "report page (test Client, coordinator), from the stored analysis (what readers get)",
        "pdf": "PDF (`report_pdf`, report built once)",
    }
    lines = [
        "| measure | runs | median (s) | p95 (s) | SQL queries | ratio to baseline (median) | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for key in labels:
        r = results[key]
        lines.append(
            f"| {labels[key]} | {r['runs']} | {r['median']:.3f} | {r['p95']:.3f} | {r['queries']} | "
            f"{r['median'] / base:.1f}x | {targets.get(key, '')} |"
        )
    head = (
        f"Data: {counts['respondents']:,} respondents, {LIKERT + SINGLE + YES_NO + MULTIPLE + NUMBER + TEXT} "
        f"questions, 2 waves, {counts['answers']:,} answers, {N_SITES} sites. {note}"
    )
    return head + "\n\n" + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pdf-runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds at most per measure")
    parser.add_argument("--reuse", action="store_true", help="keep the data when the size matches")
    parser.add_argument("--append", help="append the Markdown results to this file")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    ensure_database(url)
    setup_django(url)
    found = existing(args.respondents) if args.reuse else None
    if found is None:
        print(f"filling {args.respondents:,} respondents...", flush=True)
        found = fill(respondents=args.respondents)
    evaluation, user, counts = found
    load_before = os.getloadavg()
    results = measure(evaluation, user, runs=args.runs, budget=args.budget, pdf_runs=args.pdf_runs)
    load_after = os.getloadavg()
    note = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after the measures."
    )
    text = markdown(results, counts, note=note)
    print(text)
    print(f"PDF size: {results['pdf'].get('bytes', 0):,} bytes")
    if args.append:
        with Path(args.append).open("a", encoding="utf-8") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
