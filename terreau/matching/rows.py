"""Writing a job's stored rows (terreau.matching.store's incremental updates): which rows still have their need
and offer, and their insertion, ignoring a pair a concurrent job wrote first.

On PostgreSQL each is one statement over arrays (`= ANY(%s)`, `unnest`) instead of the ORM's batches: a change
whose item enters thousands of other items' best lists writes thousands of rows, and the ORM's IN lists of 900
ids and bulk_create's per-object preparation cost more than the database's own work (measured at 100,000
organisations: 110 µs and 157 µs per row before; docs/benchmarks.md)."""

from __future__ import annotations

import json

from django.db import connection

from terreau.matching import indexing
from terreau.matching.models import StoredSuggestion

BATCH = 5000  # rows per INSERT

# Columns of a stored row and their SQL types, in the order of store._row_values()'s tuples.
TYPES = {
    "generation": "integer",
    "need_id": "bigint",
    "offer_id": "bigint",
    "need_organisation_id": "bigint",
    "offer_organisation_id": "bigint",
    "score": "double precision",
    "reasons": "jsonb",
    "need_type": "varchar",
    "offer_type": "varchar",
    "distance_km": "double precision",
    "remote": "boolean",
    "engine_version": "smallint",
    "computed_at": "timestamptz",
}
COLUMNS = tuple(TYPES)


def existing(rows: list[StoredSuggestion]) -> list[StoredSuggestion]:
    """The rows whose need and offer still exist, active (the worker's index may know an item deleted since)."""
    from terreau.directory.models import NeedOffer

    if not rows:
        return rows
    ids = sorted({r.need_id for r in rows} | {r.offer_id for r in rows})
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(NeedOffer._meta.db_table)
        with connection.cursor() as cursor:
            # A join on the ids, not "id = ANY(ids)": without fresh statistics (a restored or copied database)
            # PostgreSQL may scan the whole table comparing each row with thousands of ids (30 to 77 s per
            # change at 1,000,000 organisations); the join reads each id through the primary key whatever the
            # statistics.
            cursor.execute(
                f"SELECT n.id FROM {table} n JOIN unnest(%s::bigint[]) AS wanted(id) ON n.id = wanted.id "  # noqa: S608
                "WHERE n.status = ANY(%s)",
                [ids, list(indexing.ACTIVE_STATUSES)],
            )
            alive = {r[0] for r in cursor.fetchall()}
    else:
        alive = set()
        for start in range(0, len(ids), 900):
            alive.update(
                NeedOffer.objects.filter(
                    pk__in=ids[start : start + 900], status__in=indexing.ACTIVE_STATUSES
                ).values_list("pk", flat=True)
            )
    return [r for r in rows if r.need_id in alive and r.offer_id in alive]


def insert(rows: list[StoredSuggestion]) -> None:
    """Inserts the rows; a concurrent job may have written the same pair of the same generation: either is right."""
    if connection.vendor != "postgresql":
        for start in range(0, len(rows), BATCH):
            StoredSuggestion.objects.bulk_create(rows[start : start + BATCH], ignore_conflicts=True)
        return
    table = connection.ops.quote_name(StoredSuggestion._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    arrays = ", ".join(f"%s::{t}[]" for t in TYPES.values())
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            block = rows[start : start + BATCH]
            values = [[getattr(r, c) for r in block] for c in COLUMNS]
            values[COLUMNS.index("reasons")] = [json.dumps(v) for v in values[COLUMNS.index("reasons")]]
            cursor.execute(sql, values)
