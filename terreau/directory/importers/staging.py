"""Writing a batch's organisations, themes and rejected rows: the ORM's bulk operations, and on PostgreSQL
from COPY_THRESHOLD rows, COPY into a temporary staging table and one set-based statement from it.

Also the slugs of new organisations and the run-wide search indexing of the rows written without their
search vector (``DEFER_INDEXING``).
"""

from __future__ import annotations

import enum
import functools
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from terreau.directory import search
from terreau.directory.models import ImportRejection, ImportRun, Organisation

if TYPE_CHECKING:
    from terreau.directory.importers.matching import Existing

# From this many new organisations in a batch, PostgreSQL gets them through COPY rather than INSERT.
COPY_THRESHOLD = 50
# PostgreSQL COPY path: when True, new rows are written without their search vector and indexed all at
# once by one UPDATE at the end of the run (``index_ranges``, called by the service) instead of by each
# batch's INSERT. Same vectors, and the rows are searchable when the import returns either way (a run that
# stops early still indexes what it wrote). Off: measured slower overall (bench/import.py
# --defer-indexing, see docs/bench-import.md) — the UPDATE writes every row a second time (a new row
# version and entries in each of the table's indexes), which costs several times what computing the
# vector in the INSERT does.
DEFER_INDEXING = False
SLUG_BASE_LENGTH = 200

_SLUG_DROP_RE = re.compile(r"[^\w\s-]")
_SLUG_DASH_RE = re.compile(r"[-\s]+")


@dataclass
class New:
    """An organisation to create in the current batch (plain values: no model instance until written)."""

    values: dict[str, Any]
    themes: list[str] | None
    identifier: str
    pk: int | None = None


@functools.lru_cache(maxsize=50_000)
def _slug_base(name: str) -> str:
    # Official files repeat names a lot ("COMITE DES FETES DE ..."): slugify each distinct one once.
    if name.isascii():
        # django.utils.text.slugify's steps for ASCII text (its NFKD/ASCII step is then a no-op), with
        # precompiled patterns: the same slug, without the per-call overhead.
        slug = _SLUG_DASH_RE.sub("-", _SLUG_DROP_RE.sub("", name.lower())).strip("-_")
    else:
        slug = slugify(name)
    return slug[:SLUG_BASE_LENGTH].strip("-") or "organisation"


def _identifier_slug(identifier: str) -> str:
    # SIRET, SIREN and RNA numbers are ASCII letters and digits once cleaned: slugify is lower().
    return identifier.lower() if identifier.isascii() and identifier.isalnum() else slugify(identifier)


def pg_text_array(values: Any) -> tuple[str, list[str] | str]:
    """SQL for a text[] parameter and its value: one newline-joined string split by PostgreSQL when no
    value is empty or contains a newline (dumping thousands of strings as an array is slow in psycopg),
    else a list."""
    values = list(values)
    if all(v and "\n" not in v for v in values):
        return "string_to_array(%s, E'\\n')", "\n".join(values)
    return "%s::text[]", values


def existing_values(model: Any, field_name: str, values: set[str]) -> set[str]:
    """Which of ``values`` exist in ``model.field_name`` (an array parameter on PostgreSQL)."""
    if not values:
        return set()
    if connection.vendor != "postgresql":
        return set(model.objects.filter(**{f"{field_name}__in": values}).values_list(field_name, flat=True))
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field_name).column)
    array_sql, param = pg_text_array(values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {quote(model._meta.db_table)} WHERE {column} = ANY({array_sql})",  # noqa: S608 - quoted identifiers
            [param],
        )
        return {row[0] for row in cursor.fetchall()}


def index_ranges(ranges: list[list[int]]) -> None:
    """Compute the search vector of the organisations in these id ranges [first, last] that have none yet
    (PostgreSQL, ``DEFER_INDEXING``): one set-based UPDATE, so that French stemming runs once per row in a
    single statement. Rows indexed meanwhile (reindexed by a later batch or by a signal) are left alone."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Organisation._meta.db_table)
        cursor.execute(
            f"UPDATE {table} AS o SET search_vector = {search.pg_new_organisation_vector_sql('o')} "  # noqa: S608 - constants
            "FROM unnest(%s::bigint[], %s::bigint[]) AS r(first, last) "
            "WHERE o.id BETWEEN r.first AND r.last AND o.search_vector IS NULL",
            [[r[0] for r in ranges], [r[1] for r in ranges]],
        )


class Writer:
    """Writes the batches of one run into ``branch``.

    ``unindexed``: PostgreSQL, ``DEFER_INDEXING``: ranges [first, last] of the ids of the new organisations
    written by the COPY path without their search vector, to index before the run ends.
    """

    def __init__(self, *, run: ImportRun, branch: Any):
        self.run = run
        self.branch = branch
        self.unindexed: list[list[int]] = []

    def reject(self, rejections: list[tuple[int, str, str, list[str] | None]]) -> None:
        """Store the batch's rejected rows (line, reasons, raw line, fields): COPY on PostgreSQL, else
        bulk_create."""
        if connection.vendor != "postgresql" or len(rejections) < COPY_THRESHOLD:
            ImportRejection.objects.bulk_create(
                [
                    ImportRejection(run=self.run, line=line, reason=r, raw=raw, fields=fields)
                    for line, r, raw, fields in rejections
                ],
                batch_size=500,
            )
            return
        quote = connection.ops.quote_name
        meta = ImportRejection._meta
        names = ("run", "line", "reason", "raw", "fields")
        columns = ", ".join(quote(meta.get_field(f).column) for f in names)
        run_id = self.run.pk
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for line, reason, raw, fields in rejections:
                copy.write_row((run_id, line, reason, raw, None if fields is None else json.dumps(fields)))

    def assign_slugs(self, new: list[New]) -> None:
        """A unique slug per new organisation: the name, else name + identifier, else name + number."""
        bases = [_slug_base(n.values["name"]) for n in new]
        options = [
            [base] + ([f"{base}-{_identifier_slug(n.identifier)}"] if n.identifier else [])
            for n, base in zip(new, bases, strict=True)
        ]
        wanted = {slug for opts in options for slug in opts}
        taken = existing_values(Organisation, "slug", wanted)
        numbered: list[tuple[New, str]] = []
        for n, base, opts in zip(new, bases, options, strict=True):
            free = next((slug for slug in opts if slug not in taken), None)
            if free is None:
                numbered.append((n, base))
                continue
            n.values["slug"] = free
            taken.add(free)
        top: dict[str, int] = {}
        for n, base in numbered:
            if base not in top:
                existing = Organisation.objects.filter(slug__regex=rf"^{base}-[0-9]{{1,6}}$").values_list(
                    "slug", flat=True
                )
                top[base] = max((int(s.rsplit("-", 1)[1]) for s in existing), default=1)
            slug = ""
            while not slug or slug in taken:
                top[base] += 1
                slug = f"{base}-{top[base]}"
            n.values["slug"] = slug
            taken.add(slug)

    def create(self, new: list[New]) -> set[int]:
        """Insert the new organisations (setting ``pk``); returns the ids whose search vector is written."""
        if connection.vendor == "postgresql" and len(new) >= COPY_THRESHOLD:
            return self._copy_create(new)
        objs = [Organisation(branch=self.branch, **n.values) for n in new]
        Organisation.objects.bulk_create(objs, batch_size=500)
        for n, obj in zip(new, objs, strict=True):
            n.pk = obj.pk
        return set()

    def _copy_create(self, new: list[New]) -> set[int]:
        """PostgreSQL: the same rows as bulk_create, set-based (ids reserved from the sequence first).

        The rows are COPied into a temporary staging table, then one ``INSERT ... SELECT`` writes them
        with their search vector computed in the same statement (``search.pg_new_organisation_vector_sql``,
        identical to what ``reindex_organisations`` builds for an organisation without needs, offers or
        themes): each row is written once instead of inserted then updated by the reindexing. Rows with
        themes are left to ``reindex_organisations`` (their labels weigh in the vector). Returns the ids
        whose vector is written or deferred to ``index_ranges`` (``DEFER_INDEXING``).
        """
        table = Organisation._meta.db_table
        fields = [f for f in Organisation._meta.concrete_fields if f.attname != "search_vector"]
        now = timezone.now()
        defaults = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            defaults.append((f.attname, value.value if isinstance(value, enum.Enum) else value))
        defaults_by_name = dict(defaults)
        defaults_by_name["branch_id"] = self.branch.pk
        pairs = [(name, defaults_by_name[name]) for name, _v in defaults]
        pk_index = [name for name, _v in pairs].index(Organisation._meta.pk.attname)
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, Organisation._meta.pk.column, len(new)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = ", ".join(quote(f.column) for f in fields)
            # Identifiers come from the model's metadata, quoted; values travel through COPY.
            cursor.execute(
                f"CREATE TEMPORARY TABLE terreau_import_new ON COMMIT DROP AS SELECT {columns} FROM {quote(table)} WITH NO DATA"  # noqa: S608
            )
            with cursor.copy(f"COPY terreau_import_new ({columns}) FROM STDIN") as copy:
                for pk, n in zip(ids, new, strict=True):
                    values = n.values
                    row = [values.get(name, default) for name, default in pairs]
                    row[pk_index] = pk
                    copy.write_row(row)
                    n.pk = pk
            vector = "NULL::tsvector" if DEFER_INDEXING else search.pg_new_organisation_vector_sql("n")
            themed = [n.pk for n in new if n.themes]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({columns}, search_vector) "  # noqa: S608
                f"SELECT {columns}, CASE WHEN n.id = ANY(%s) THEN NULL ELSE {vector} END "
                "FROM terreau_import_new AS n ORDER BY n.id",
                [themed],
            )
            cursor.execute("DROP TABLE terreau_import_new")
        indexed = set(ids) - set(themed)
        if DEFER_INDEXING:
            ranges = self.unindexed
            for pk in sorted(indexed):
                if ranges and ranges[-1][1] == pk - 1:
                    ranges[-1][1] = pk
                else:
                    ranges.append([pk, pk])
        return indexed

    def update(self, orgs: list[Existing], attnames: list[str]) -> None:
        if connection.vendor != "postgresql" or len(orgs) < COPY_THRESHOLD:
            names = [Organisation._meta.get_field(a).name for a in attnames]
            objs = [Organisation(pk=o.pk, **{a: getattr(o, a) for a in attnames}) for o in orgs]
            Organisation.objects.bulk_update(objs, names, batch_size=500)
            return
        # PostgreSQL: bulk_update's CASE expressions cost milliseconds per row to build; COPY the new
        # values into a temporary table and UPDATE ... FROM it instead.
        quote = connection.ops.quote_name
        table = quote(Organisation._meta.db_table)
        pk_column = quote(Organisation._meta.pk.column)
        columns = [quote(Organisation._meta.get_field(a).column) for a in attnames]
        column_list = ", ".join([pk_column, *columns])
        assignments = ", ".join(f"{c} = u.{c}" for c in columns)
        # Identifiers below come from the model's metadata, quoted; values travel through COPY.
        create = f"CREATE TEMPORARY TABLE terreau_import_update ON COMMIT DROP AS SELECT {column_list} FROM {table} WITH NO DATA"  # noqa: S608
        update = f"UPDATE {table} AS o SET {assignments} FROM terreau_import_update AS u WHERE o.{pk_column} = u.{pk_column}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(create)
            with cursor.copy(f"COPY terreau_import_update ({column_list}) FROM STDIN") as copy:
                for org in orgs:
                    copy.write_row([org.pk, *(getattr(org, a) for a in attnames)])
            cursor.execute(update)
            cursor.execute("DROP TABLE terreau_import_update")

    def write_themes(self, new: list[New], theme_changes: dict[int, set[str]]) -> None:
        through = Organisation.themes.through
        links = [through(organisation_id=n.pk, theme_id=code) for n in new if n.themes for code in n.themes]
        if theme_changes:
            through.objects.filter(organisation_id__in=list(theme_changes)).delete()
            links += [
                through(organisation_id=pk, theme_id=code)
                for pk, codes in theme_changes.items()
                for code in codes
            ]
        if links:
            through.objects.bulk_create(links, batch_size=1000)
