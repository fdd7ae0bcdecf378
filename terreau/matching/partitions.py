"""A table per generation of the stored suggestions, on PostgreSQL (terreau.matching.store's full rebuild).

StoredSuggestion's table is partitioned by LIST (generation) on PostgreSQL (migration 0003); other databases
keep one plain table. A full rebuild writes its generation into a table of its own that nobody reads yet:
created without any index (its only constraint, CHECK (generation = N), is checked per row by COPY), filled
by COPY, then given the parent's primary key, unique constraint and indexes (one sorted bulk build each),
analysed, and attached as the partition FOR VALUES IN (N): the CHECK constraint proves every row belongs
there, so ATTACH PARTITION skips its validation scan, and the parent's indexes adopt the partition's. An old
generation is detached and dropped (no row-by-row DELETE, no dead index entries).

Crash safety: until it is attached, a partition is invisible to the pages (they read the current build's
generation); a rebuild that dies leaves an orphan table, which the next rebuild drops (every table named
like a generation's, attached or not, other than the current build's and its own).

The parent keeps no foreign key constraints (the rows are derived data, written only by the jobs; Django's
ORM still deletes a deleted need's, offer's or organisation's rows, as on_delete=CASCADE is emulated).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import connection

from terreau.matching.models import StoredSuggestion

F = TypeVar("F", bound=Callable)
# Any constant the application uses nowhere else: the key of the advisory lock serialising full rebuilds.
REBUILD_LOCK = 0x7E55A1


def serialised(function: F) -> F:
    """Runs a full rebuild under a PostgreSQL session advisory lock, waiting for any other one to finish.

    The worker's rebuild jobs are already serial ("matching.store"), but `terreau rebuild-suggestions` without
    --queue runs in its own process: as a rebuild starts by dropping every generation's table but the current one
    (orphans of interrupted builds), two at once would drop each other's table in progress."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if connection.vendor != "postgresql":
            return function(*args, **kwargs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [REBUILD_LOCK])
        try:
            return function(*args, **kwargs)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [REBUILD_LOCK])

    return wrapper  # type: ignore[return-value]


def partitioned() -> bool:
    """Whether StoredSuggestion's table is partitioned by generation (PostgreSQL after migration 0003)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [StoredSuggestion._meta.db_table],
        )
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def table_name(generation: int) -> str:
    """The table of a generation (a partition once attached)."""
    return f"{StoredSuggestion._meta.db_table}_g{int(generation)}"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def create(generation: int) -> str:
    """An empty table for a new generation, not attached, without any index; returns its name."""
    parent, name = StoredSuggestion._meta.db_table, table_name(generation)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(name)}")  # a leftover of an interrupted build
        cursor.execute(
            f"CREATE TABLE {_q(name)} (LIKE {_q(parent)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
            f"CONSTRAINT {_q(name + '_generation')} CHECK (generation IS NOT NULL AND generation = {int(generation)}))"
        )
    return name


def index(generation: int) -> None:
    """Builds the parent's constraints and indexes on a filled generation's table, and its statistics."""
    parent, name = StoredSuggestion._meta.db_table, table_name(generation)
    with connection.cursor() as cursor:
        # Each index is one sort of the whole table (30 million rows at a million organisations): with the
        # default 64 MB it spills to disk in many runs. Only for this session's builds, reset below.
        memory = int(settings.TERREAU_REBUILD_INDEX_MEMORY_MB)
        cursor.execute(f"SET maintenance_work_mem = '{memory}MB'")
        # Primary key and unique constraints (a partition's index adopted by the parent's must be a
        # constraint's index too), then the other indexes, as the parent defines them.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u') ORDER BY conname",
            [parent],
        )
        for conname, definition in cursor.fetchall():
            cursor.execute(
                f"ALTER TABLE {_q(name)} ADD CONSTRAINT {_q(f'{name}_{conname}'[:63])} {definition}"
            )
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = "
            "i.indexrelid WHERE i.indrelid = to_regclass(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
            "WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
            [parent],
        )
        for index_name, definition in cursor.fetchall():
            # "CREATE INDEX name ON ONLY public.parent USING btree (...)": same definition on the partition.
            body = re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ ", "", definition)
            unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
            cursor.execute(f"CREATE {unique}INDEX {_q(f'{name}_{index_name}'[:63])} ON {_q(name)} {body}")
        cursor.execute(f"ANALYZE {_q(name)}")
        cursor.execute("RESET maintenance_work_mem")


def attach(generation: int) -> None:
    """Attaches a generation's indexed table as the parent's partition FOR VALUES IN (generation)."""
    parent, name = StoredSuggestion._meta.db_table, table_name(generation)
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {_q(parent)} ATTACH PARTITION {_q(name)} FOR VALUES IN ({int(generation)})"
        )


def drop(generation: int) -> None:
    """Detaches (when attached) and drops a generation's table."""
    parent, name = StoredSuggestion._meta.db_table, table_name(generation)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(%s) AND inhparent = to_regclass(%s)",
            [name, parent],
        )
        if cursor.fetchone():
            cursor.execute(f"ALTER TABLE {_q(parent)} DETACH PARTITION {_q(name)}")
        cursor.execute(f"DROP TABLE IF EXISTS {_q(name)}")


def generations() -> list[int]:
    """Generations that have a table, attached or not (orphans of interrupted builds included)."""
    prefix = StoredSuggestion._meta.db_table + "_g"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace "
            "AND starts_with(relname, %s)",
            [prefix],
        )
        names = [r[0] for r in cursor.fetchall()]
    return sorted(int(n[len(prefix) :]) for n in names if n[len(prefix) :].isdigit())


def drop_others(keep: set[int]) -> list[int]:
    """Drops every generation's table but those kept; returns the generations dropped."""
    dropped = [g for g in generations() if g not in keep]
    for g in dropped:
        drop(g)
    return dropped


def attached() -> list[int]:
    """Generations attached to the parent (their partitions)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [StoredSuggestion._meta.db_table],
        )
        prefix = StoredSuggestion._meta.db_table + "_g"
        return sorted(int(r[0][len(prefix) :]) for r in cursor.fetchall())
