"""Benchmark of `import_organisations` on PostgreSQL against PostgreSQL COPY of the same file.

Generates an RNA "waldec" file (200,000 rows by default: realistic titles, purposes, addresses in the
communes of departments 16, 17, 79 and 86, some SIRETs, a few dissolved or deleted associations),
creates a fresh database, imports the file with the Terreau importer (rows per second), then loads the
same file with `COPY ... FROM STDIN` into a staging table of text columns, and prints the ratio
(target: the importer reaches at least 25 % of COPY's speed). A second import of the same file measures
the idempotent re-import (every row matched, nothing written).

Two times are reported for the first import: the import proper (every batch committed) and the time
until every imported row is searchable (with the ratio to COPY of each). By default the search vectors
of new rows are computed by each batch's INSERT, so both are the same; with --defer-indexing
(staging.DEFER_INDEXING) rows are written without them and indexed by one UPDATE at the end of the run,
timed separately. The script checks that no organisation is left without a search vector.

    .venv/bin/python bench/import.py [--rows 200000] [--defer-indexing] [--database-url postgres://postgres@127.0.0.1:5432/terreau_bench_import]

The database named in the URL is dropped and created again. Tests never run this file.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/terreau_bench_import"
DEPARTMENTS = {"16", "17", "79", "86"}

WORDS_START = [
    "ASSOCIATION",
    "AMICALE",
    "COMITE",
    "CLUB",
    "UNION",
    "ASSOCIATION SPORTIVE",
    "FOYER RURAL",
    "COLLECTIF",
    "LES AMIS",
    "CERCLE",
]
WORDS_MIDDLE = [
    "DES PARENTS D'ELEVES",
    "DES FETES",
    "DES AINES",
    "DU PATRIMOINE",
    "CULTURELLE",
    "DE PETANQUE",
    "DES RANDONNEURS",
    "DE L'ECOLE",
    "DES JARDINS PARTAGES",
    "DE SOLIDARITE",
    "DU NUMERIQUE",
    "DE THEATRE",
    "MUSICALE",
    "DES CHASSEURS",
    "DE GYMNASTIQUE",
]
PURPOSES = [
    "favoriser les rencontres entre les habitants",
    "organiser des manifestations culturelles et festives",
    "accompagner les personnes âgées dans l'usage du numérique",
    "promouvoir la pratique du sport pour tous",
    "sauvegarder et valoriser le patrimoine local",
    "soutenir les familles; aider aux devoirs",
    "gérer un jardin partagé et sensibiliser à l'environnement",
    "lutter contre l'isolement des personnes âgées",
]
STREETS = [
    ("RUE", "DE LA REPUBLIQUE"),
    ("AV", "DU GENERAL DE GAULLE"),
    ("PL", "DE L'EGLISE"),
    ("CHE", "DES VIGNES"),
    ("RTE", "DE POITIERS"),
    ("IMP", "DES LILAS"),
    ("BD", "JEAN JAURES"),
]


def luhn_complete(base: str) -> str:
    digits = [int(c) for c in base + "0"]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base + str((10 - total % 10) % 10)


def generate(path: Path, rows: int, communes: list[tuple[str, str, str]], seed: int = 42) -> None:
    from terreau.directory.importers.formats.rna import RNA_COLUMNS

    rnd = random.Random(seed)  # noqa: S311 - test data
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        import csv

        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(RNA_COLUMNS)
        for i in range(rows):
            code, postal, name = communes[rnd.randrange(len(communes))]
            street_type, street = rnd.choice(STREETS)
            position = rnd.choices("ADS", weights=(92, 6, 2))[0]
            created = f"{rnd.randint(1950, 2024)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            # Distinct SIRENs (two associations never share one): derived from the row number.
            siret = luhn_complete(luhn_complete(f"{10_000_000 + i}") + "0001") if rnd.random() < 0.15 else ""
            title = f"{rnd.choice(WORDS_START)} {rnd.choice(WORDS_MIDDLE)} DE {name.upper()}"
            values = {
                "id": f"W{code[:2]}{i:07d}",
                "siret": siret,
                "rup_mi": "RUP" if rnd.random() < 0.01 else "",
                "gestion": f"{code[:2]}1P",
                "date_creat": created,
                "date_decla": created,
                "date_publi": created,
                "date_disso": "0001-01-01" if position == "A" else "2019-06-30",
                "nature": "D",
                "groupement": "S",
                "titre": title,
                "titre_court": title[:40] if rnd.random() < 0.3 else "",
                "objet": f"{rnd.choice(PURPOSES).capitalize()} ; {rnd.choice(PURPOSES)}.",
                "objet_social1": f"{rnd.randint(1, 40):03d}000",
                "adrs_numvoie": str(rnd.randint(1, 120)),
                "adrs_repetition": "B" if rnd.random() < 0.05 else "",
                "adrs_typevoie": street_type,
                "adrs_libvoie": street,
                "adrs_codeinsee": code,
                "adrs_codepostal": postal,
                "adrs_libcommune": name.upper(),
                "adrg_declarant": "MAIRIE",
                "adrg_libvoie": f"{street_type} {street}",
                "adrg_codepostal": postal,
                "adrg_achemine": name.upper(),
                "adrg_pays": "FRANCE",
                "dir_civilite": "PM",
                "siteweb": f"www.asso-{i}.fr" if rnd.random() < 0.1 else "",
                "publiweb": "0",
                "position": position,
                "maj_time": f"{created} 10:00:00",
            }
            writer.writerow([values.get(c, "") for c in RNA_COLUMNS])


def create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def copy_baseline(path: Path) -> float:
    from django.db import connection

    from terreau.directory.importers.formats.rna import RNA_COLUMNS

    columns = ", ".join(f'"{c}" text' for c in RNA_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_rna_staging")
        cursor.execute(f"CREATE TABLE bench_rna_staging ({columns})")
    start = time.perf_counter()
    with (
        connection.cursor() as cursor,
        path.open("rb") as source,
        cursor.copy(
            "COPY bench_rna_staging FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)"
        ) as copy,
    ):
        while chunk := source.read(1 << 20):
            copy.write(chunk)
    return time.perf_counter() - start


FLOOR_INSERT = """
INSERT INTO bench_org_floor (
  created_at, updated_at, kind, host_type, name, acronym, slug, siren, siret, rna,
  legal_category, workforce_band, naf_code, address, postal_code, website, email, phone,
  description, logo, visibility, private_notes, is_demo, search_document, branch_id, commune_id,
  search_vector)
SELECT now(), now(), 'association', '', s.name, s.acronym, lower(s.id), '', coalesce(s.siret, ''),
  s.id, '', '', '', coalesce(s.adrs_libvoie, ''), coalesce(s.adrs_codepostal, ''), '', '', '',
  s.description, '', 'public', '', false, '', %(branch)s, c.code, {vector}
FROM (
  SELECT id, siret, adrs_libvoie, adrs_codepostal, adrs_codeinsee,
    left(titre, 255) AS name, coalesce(titre_court, '') AS acronym, coalesce(objet, '') AS description
  FROM bench_rna_staging
  WHERE position = 'A' AND coalesce(date_disso, '0001-01-01') = '0001-01-01'
    AND abs(hashtext(id)) %% %(parts)s = %(part)s
) AS s
LEFT JOIN territories_commune c ON c.code = s.adrs_codeinsee
"""


def write_floor(url: str, branch_id: int, *, connections: int) -> tuple[float, int]:
    """The least any importer pays to make the staged rows searchable in this table.

    Writes the rows of the COPY's staging table that an import would create (position A, not dissolved)
    into an empty copy of directory_organisation with the same indexes (GIN included) and foreign keys,
    by INSERT ... SELECT computing the search vector with the importer's own expression, split over
    ``connections`` connections running at once (one transaction each): no parsing in Python, no
    validation, no matching, no slug beyond the RNA number. Returns the seconds until every connection
    has committed and the rows written. Not an importer (nothing is checked): a floor under which none
    that writes searchable rows into this table can go, on this machine.
    """
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    from terreau.directory.search import pg_new_organisation_vector_sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_org_floor")
        conn.execute("CREATE TABLE bench_org_floor (LIKE directory_organisation INCLUDING ALL)")
        conn.execute(
            "ALTER TABLE bench_org_floor ADD FOREIGN KEY (commune_id) REFERENCES territories_commune (code) "
            "DEFERRABLE INITIALLY DEFERRED, ADD FOREIGN KEY (branch_id) REFERENCES core_branch (id) "
            "DEFERRABLE INITIALLY DEFERRED"
        )
        conn.execute("ANALYZE bench_rna_staging")  # else the join to the communes is a nested loop
    statement = FLOOR_INSERT.format(vector=pg_new_organisation_vector_sql("s"))
    opened = [psycopg.connect(url) for _ in range(connections)]

    def part(index: int) -> int:
        conn = opened[index]
        with conn.transaction():
            # The filter on hashtext() hides the row count from the planner: keep it off a nested loop.
            conn.execute("SET LOCAL enable_nestloop = off")
            cursor = conn.execute(statement, {"branch": branch_id, "parts": connections, "part": index})
            return cursor.rowcount

    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=connections) as pool:
            written = sum(pool.map(part, range(connections)))
        return time.perf_counter() - start, written
    finally:
        for conn in opened:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument(
        "--defer-indexing",
        action="store_true",
        help="index the new rows in one UPDATE at the end of the run (staging.DEFER_INDEXING)",
    )
    parser.add_argument("--database-url", default=os.environ.get("TERREAU_BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("Ce banc d'essai mesure PostgreSQL : donnez une URL postgres://…")

    create_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from terreau.core.models import Branch, Network
    from terreau.directory import search
    from terreau.directory.importers import import_organisations, service, staging
    from terreau.territories.loader import load_territories
    from terreau.territories.models import PostalCode

    call_command("migrate", verbosity=0)
    load_territories(departments=DEPARTMENTS)
    communes = sorted(
        {
            (p.commune_id, p.code, p.commune.name)
            for p in PostalCode.objects.filter(commune__department_id__in=DEPARTMENTS).select_related(
                "commune"
            )
        }
    )
    network = Network.objects.create(name="Réseau banc d'essai", slug="banc")
    branch = Branch.objects.create(network=network, name="Poitou-Charentes", slug="poitou-charentes")

    reindex_seconds = 0.0
    original_reindex = search.reindex_organisations

    def timed_reindex(ids):
        nonlocal reindex_seconds
        start = time.perf_counter()
        original_reindex(ids)
        reindex_seconds += time.perf_counter() - start

    search.reindex_organisations = timed_reindex

    # The final indexing of the new rows (PostgreSQL COPY path, staging.DEFER_INDEXING), timed apart so
    # that the import proper and the time until every row is searchable are both reported.
    index_seconds = 0.0
    original_index_new = service._Importer._index_new

    def timed_index_new(self):
        nonlocal index_seconds
        start = time.perf_counter()
        try:
            return original_index_new(self)
        finally:
            index_seconds += time.perf_counter() - start

    service._Importer._index_new = timed_index_new
    staging.DEFER_INDEXING = args.defer_indexing

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rna_waldec_bench.csv"
        generate(path, args.rows, communes)
        size_mb = path.stat().st_size / 1e6
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            pg_version = cursor.fetchone()[0].split(",")[0]
        indexing = "by one UPDATE at the end of the run" if args.defer_indexing else "by each batch's INSERT"
        print(
            f"{pg_version}; file: {args.rows} rows, {size_mb:.1f} MB; batch size {args.batch_size}; "
            f"search vectors of new rows computed {indexing}"
        )

        start = time.perf_counter()
        with path.open("rb") as stream:
            run = import_organisations(
                stream=stream, file_name=path.name, branch=branch, batch_size=args.batch_size
            )
        searchable_seconds = time.perf_counter() - start
        assert run.status == "done", run.error
        import_seconds = searchable_seconds - index_seconds
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM directory_organisation WHERE search_vector IS NULL")
            unindexed = cursor.fetchone()[0]
        assert unindexed == 0, f"{unindexed} organisations not searchable after the import"
        print(
            f"import proper (rows written, batches committed): {import_seconds:.1f} s, "
            f"{args.rows / import_seconds:,.0f} rows/s "
            f"({run.created_count} created, {run.rejected_count} rejected; "
            f"reindex_organisations in the batches {reindex_seconds:.1f} s)"
        )
        if args.defer_indexing:
            print(
                f"+ search indexing of the new rows at the end of the run: {index_seconds:.1f} s "
                f"-> every row searchable after {searchable_seconds:.1f} s, "
                f"{args.rows / searchable_seconds:,.0f} rows/s"
            )
        else:
            print(
                "  (search vectors computed by each batch's INSERT, included above: every row is "
                f"searchable when its batch commits, all of them after {searchable_seconds:.1f} s)"
            )

        reindex_seconds = 0.0
        start = time.perf_counter()
        with path.open("rb") as stream:
            again = import_organisations(
                stream=stream, file_name=path.name, branch=branch, batch_size=args.batch_size
            )
        reimport_seconds = time.perf_counter() - start
        assert again.created_count == 0 and again.updated_count == 0, (
            again.created_count,
            again.updated_count,
        )
        print(
            f"re-import (idempotent, nothing written): {reimport_seconds:.1f} s, {args.rows / reimport_seconds:,.0f} rows/s"
        )

        copy_seconds = copy_baseline(path)
        print(f"COPY into a staging table: {copy_seconds:.1f} s, {args.rows / copy_seconds:,.0f} rows/s")
        for connections in (1, 2):
            floor_seconds, floor_rows = write_floor(args.database_url, branch.pk, connections=connections)
            print(
                f"floor, {connections} connection(s) (not an importer: no validation): the staged rows written "
                f"by INSERT ... SELECT into a copy of the table with its indexes, search vectors and foreign "
                f"keys: {floor_seconds:.1f} s for {floor_rows} rows; COPY + this write: "
                f"{args.rows / (copy_seconds + floor_seconds):,.0f} rows/s, "
                f"{copy_seconds / (copy_seconds + floor_seconds):.1%} of COPY alone"
            )
        print(
            f"ratio import proper / COPY: {copy_seconds / import_seconds:.1%}; "
            f"ratio until searchable (import + indexing) / COPY: {copy_seconds / searchable_seconds:.1%}; "
            f"re-import / COPY: {copy_seconds / reimport_seconds:.1%} (target >= 25 %)"
        )
    connection.close()


if __name__ == "__main__":
    main()
