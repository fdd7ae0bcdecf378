"""The import service: streams a CSV file, validates each row and writes organisations batch by batch.

- Each batch (``batch_size`` rows) is written in its own transaction: organisations created
  (bulk_create), updated (bulk_update), rejected rows (ImportRejection) and the run's counters. An error
  inside a batch rolls the whole batch back and stops the run, which is marked failed with a French
  message saying which lines were committed.
- Idempotent: a row updates the organisation of the branch with the same SIRET, else the same SIREN, else
  the same RNA number; re-importing a file creates nothing and changes nothing.
- Memory stays constant: only one batch of rows is held at a time.
"""

from __future__ import annotations

import enum
import functools
import logging
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from terreau.core import access
from terreau.directory import search
from terreau.directory.importers.formats import (
    FORMATS,
    Candidate,
    Context,
    FormatSpec,
    RowRejected,
    detect_format,
    expected_columns,
)
from terreau.directory.importers.reading import CsvStream, FileRejected, Record
from terreau.directory.models import ImportRejection, ImportRun, Organisation, Theme
from terreau.territories.models import Commune

logger = logging.getLogger(__name__)

# Rows per batch (one transaction each). Large batches amortise the per-batch round trips and statements
# (lookups, COPY, INSERT ... SELECT, commit); memory stays bounded by one batch.
BATCH_SIZE = 5000
# From this many new organisations in a batch, PostgreSQL gets them through COPY rather than INSERT.
COPY_THRESHOLD = 50
# PostgreSQL COPY path: when True, new rows are written without their search vector and indexed all at
# once by one UPDATE at the end of the run (``_Importer._index_new``) instead of by each batch's INSERT.
# Same vectors, and the rows are searchable when the import returns either way (a run that stops early
# still indexes what it wrote). Off: measured slower overall (bench/import.py --defer-indexing, see
# docs/bench-import.md) — the UPDATE writes every row a second time (a new row version and entries in
# each of the table's indexes), which costs several times what computing the vector in the INSERT does.
DEFER_INDEXING = False
SLUG_BASE_LENGTH = 200
# Columns read from existing organisations to match rows and detect changes: the identifiers, the branch and
# visibility, and every field a format's mapper can fill (see formats.py; "commune_id" is added by the service).
EXISTING_FIELDS = (
    "id",
    "branch_id",
    "visibility",
    "name",
    "siret",
    "siren",
    "rna",
    "kind",
    "acronym",
    "legal_category",
    "workforce_band",
    "naf_code",
    "commune_id",
    "address",
    "postal_code",
    "website",
    "email",
    "phone",
    "description",
)


class _Existing:
    """An existing organisation's matching and importable fields, as plain attributes (no model instance:
    building thousands of them per batch dominated the re-import)."""

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)

    @property
    def pk(self) -> int:
        return self.id


_SLUG_DROP_RE = re.compile(r"[^\w\s-]")
_SLUG_DASH_RE = re.compile(r"[-\s]+")


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


def _pg_text_array(values: Any) -> tuple[str, list[str] | str]:
    """SQL for a text[] parameter and its value: one newline-joined string split by PostgreSQL when no
    value is empty or contains a newline (dumping thousands of strings as an array is slow in psycopg),
    else a list."""
    values = list(values)
    if all(v and "\n" not in v for v in values):
        return "string_to_array(%s, E'\\n')", "\n".join(values)
    return "%s::text[]", values


def _identifier_slug(identifier: str) -> str:
    # SIRET, SIREN and RNA numbers are ASCII letters and digits once cleaned: slugify is lower().
    return identifier.lower() if identifier.isascii() and identifier.isalnum() else slugify(identifier)


@dataclass
class _Counts:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0

    def __add__(self, other: _Counts) -> _Counts:
        return _Counts(
            self.rows_read + other.rows_read,
            self.created + other.created,
            self.updated + other.updated,
            self.rejected + other.rejected,
        )


@dataclass
class _Row:
    line: int
    raw: str
    candidate: Candidate | None = None
    reason: str = ""


@dataclass
class _New:
    """An organisation to create in the current batch (plain values: no model instance until written)."""

    values: dict[str, Any]
    themes: list[str] | None
    identifier: str
    pk: int | None = None


@dataclass
class _Index:
    """Organisations of the batch (existing or new) by identifier, in matching priority order."""

    by_siret: dict[str, Any] = field(default_factory=dict)
    by_siren: dict[str, Any] = field(default_factory=dict)
    by_rna: dict[str, Any] = field(default_factory=dict)

    def add(self, target: Any, *, siret: str, siren: str, rna: str) -> None:
        if siret:
            self.by_siret.setdefault(siret, target)
        if siren:
            self.by_siren.setdefault(siren, target)
        if rna:
            self.by_rna.setdefault(rna, target)

    def find(self, c: Candidate) -> Any:
        return (
            (c.siret and self.by_siret.get(c.siret))
            or (c.siren and self.by_siren.get(c.siren))
            or (c.rna and self.by_rna.get(c.rna))
            or None
        )


class _BatchFailed(Exception):
    def __init__(self, first_line: int, last_line: int):
        super().__init__(first_line, last_line)
        self.first_line = first_line
        self.last_line = last_line


def _existing_values(model: Any, field_name: str, values: set[str]) -> set[str]:
    """Which of ``values`` exist in ``model.field_name`` (an array parameter on PostgreSQL)."""
    if not values:
        return set()
    if connection.vendor != "postgresql":
        return set(model.objects.filter(**{f"{field_name}__in": values}).values_list(field_name, flat=True))
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field_name).column)
    array_sql, param = _pg_text_array(values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {quote(model._meta.db_table)} WHERE {column} = ANY({array_sql})",  # noqa: S608 - quoted identifiers
            [param],
        )
        return {row[0] for row in cursor.fetchall()}


def _conflict(target: Any, cand: Candidate) -> str:
    """Why a row cannot update the organisation it matched: another SIREN or RNA number is already set."""
    values = target.values if isinstance(target, _New) else target.__dict__
    name = values.get("name", "")
    for attr, label in (("siren", "SIREN"), ("rna", "RNA")):
        mine, theirs = getattr(cand, attr), values.get(attr) or ""
        if mine and theirs and mine != theirs:
            return _(
                "Identifiants contradictoires : cette ligne désigne l'organisation « %(name)s » "
                "(%(identifier)s) qui a déjà le %(label)s %(theirs)s, et non %(mine)s. Ligne ignorée."
            ) % {"name": name, "identifier": cand.identifier, "label": label, "theirs": theirs, "mine": mine}
    return ""


def _in_another_branch(target: _Existing, cand: Candidate, *, named: bool) -> str:
    """Why a row matching an organisation of another branch is ignored. The report is read by the importing
    branch's staff: the organisation is named only when it is public (``named``), otherwise the report says
    only which of the row's identifiers is already used elsewhere, never the organisation's name nor its other
    identifiers."""
    if named:
        return _(
            "L'organisation « %(name)s » (%(identifier)s) est rattachée à une autre antenne : "
            "elle n'est pas modifiée."
        ) % {"name": target.name, "identifier": cand.identifier}
    matched = [
        (label, mine)
        for attr, label in (("siret", "SIRET"), ("siren", "SIREN"), ("rna", "RNA"))
        if (mine := getattr(cand, attr)) and mine == getattr(target, attr)
    ]
    if not matched:  # cannot happen (the row was matched on one of them): say less rather than fail
        return _(
            "Un identifiant de cette ligne est déjà utilisé par une organisation d'une autre antenne : "
            "ligne ignorée, rien n'est modifié."
        )
    label, value = matched[0]
    return _(
        "Le %(label)s %(value)s est déjà utilisé par une organisation d'une autre antenne : "
        "ligne ignorée, rien n'est modifié."
    ) % {"label": label, "value": value}


def resolve_format(header: list[str], format: str | None) -> FormatSpec:
    """The requested format (its columns checked) or the one detected from the header."""
    if format:
        spec = FORMATS[format]
        missing = spec.missing(header)
        if missing:
            raise FileRejected(
                _(
                    "L'en-tête ne correspond pas au format « %(format)s » : colonnes manquantes %(missing)s. "
                    "Colonnes attendues : %(expected)s"
                )
                % {"format": spec.label, "missing": ", ".join(missing), "expected": expected_columns(spec)}
            )
        return spec
    spec = detect_format(header)
    if spec is None:
        expected = " ; ".join(
            f"{s.label} : {s.delimiter.join(c for c in s.columns if c.lower() in s.required)}"
            for s in FORMATS.values()
        )
        raise FileRejected(
            _(
                "Format de fichier non reconnu : la première ligne doit être l'en-tête d'un des formats "
                "acceptés, avec au moins ces colonnes — %(expected)s. Voir la documentation des formats "
                "et le modèle à télécharger."
            )
            % {"expected": expected}
        )
    return spec


def import_organisations(
    *,
    stream: BinaryIO,
    file_name: str,
    format: str | None = None,
    branch: Any,
    by: Any = None,
    batch_size: int = BATCH_SIZE,
) -> ImportRun:
    """Import organisations from a CSV binary stream into ``branch``; returns the finished ImportRun.

    The run is marked failed (with a French ``error``) when the file cannot be read at all or when a batch
    fails; rows rejected one by one do not fail the run.
    """
    if format and format not in FORMATS:
        raise ValueError(f"Unknown import format: {format}")
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    run = ImportRun.objects.create(
        branch=branch,
        started_by=by,
        format=format or "",
        file_name=os.path.basename(file_name or "")[:255] or "import.csv",
    )
    try:
        csv_stream = CsvStream(stream)
        run.encoding = csv_stream.encoding
        spec = resolve_format(csv_stream.header, format)
    except FileRejected as exc:
        return _finish(run, error=str(exc))
    run.format = spec.code
    run.save(update_fields=["encoding", "format", "updated_at"])
    return _Importer(run=run, spec=spec, branch=branch, batch_size=batch_size).execute(csv_stream)


def _finish(run: ImportRun, *, error: str = "", index_error: str = "") -> ImportRun:
    error = " ".join(e for e in (error, index_error) if e)
    run.status = ImportRun.Status.FAILED if error else ImportRun.Status.DONE
    run.error = error
    run.finished_at = timezone.now()
    run.save()
    return run


class _Importer:
    def __init__(self, *, run: ImportRun, spec: FormatSpec, branch: Any, batch_size: int):
        self.run = run
        self.spec = spec
        self.branch = branch
        self.batch_size = batch_size
        self.committed = _Counts()
        self.last_committed_line = 1  # the header
        self.context = Context(theme_codes=frozenset(Theme.objects.values_list("code", flat=True)))
        # Commune codes already looked up in this run (code -> exists): each distinct code is queried once.
        self.communes: dict[str, bool] = {}
        # PostgreSQL: ranges [first, last] of the ids of the new organisations written by the COPY path
        # without their search vector; indexed by ``_index_new`` in one statement before the run ends.
        self.unindexed: list[list[int]] = []

    # ------------------------------------------------------------------------------------------ driving

    def execute(self, csv_stream: CsvStream) -> ImportRun:
        header = csv_stream.header
        self.mapper = self.spec.bind(header)
        batch: list[_Row] = []
        try:
            try:
                for record in csv_stream.records():
                    batch.append(self._parse(record, header))
                    if len(batch) >= self.batch_size:
                        self._flush(batch)
                        batch = []
            except UnicodeDecodeError:
                return _finish(
                    self.run,
                    error=_(
                        "Caractères illisibles après la ligne %(line)s : le fichier mélange des encodages. "
                        "%(committed)s"
                    )
                    % {"line": self._next_line(batch), "committed": self._committed_message()},
                    index_error=self._index_new(),
                )
            if batch:
                self._flush(batch)
        except _BatchFailed as exc:
            index_error = self._index_new()
            return _finish(
                self.run,
                error=_(
                    "Erreur inattendue en enregistrant les lignes %(first)s à %(last)s : ce lot a été "
                    "entièrement annulé et l'import arrêté. %(committed)s"
                )
                % {"first": exc.first_line, "last": exc.last_line, "committed": self._committed_message()},
                index_error=index_error,
            )
        except KeyboardInterrupt:
            _finish(
                self.run,
                error=_("Import interrompu. %(c)s") % {"c": self._committed_message()},
                index_error=self._index_new(),
            )
            raise
        index_error = self._index_new()
        return _finish(self.run, error=index_error)

    def _index_new(self) -> str:
        """Index the new organisations the batches wrote without a search vector (PostgreSQL COPY path).

        One set-based ``UPDATE`` for the whole run, so that French stemming (``french_unaccent``, the
        most expensive part of writing a row) runs once per row in a single statement instead of inside
        every batch. Runs before the ImportRun is marked finished: every imported organisation is
        searchable when ``import_organisations`` returns. Rows indexed meanwhile (reindexed by a later
        batch or by a signal) are left alone. Returns a French error ("" when done).
        """
        if not self.unindexed:
            return ""
        ranges, self.unindexed = self.unindexed, []
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                table = connection.ops.quote_name(Organisation._meta.db_table)
                cursor.execute(
                    f"UPDATE {table} AS o SET search_vector = {search.pg_new_organisation_vector_sql('o')} "  # noqa: S608 - constants
                    "FROM unnest(%s::bigint[], %s::bigint[]) AS r(first, last) "
                    "WHERE o.id BETWEEN r.first AND r.last AND o.search_vector IS NULL",
                    [[r[0] for r in ranges], [r[1] for r in ranges]],
                )
        except Exception:
            logger.exception("Import %s: search indexing of the new organisations failed", self.run.pk)
            return _(
                "Les organisations créées sont enregistrées mais leur indexation pour la recherche a "
                "échoué : elles n'apparaîtront dans la recherche qu'après leur prochaine modification "
                "ou une réindexation (search.reindex_all)."
            )
        return ""

    def _next_line(self, batch: list[_Row]) -> int:
        return batch[-1].line if batch else self.last_committed_line

    def _committed_message(self) -> str:
        if self.committed.rows_read == 0:
            return _("Aucune ligne n'a été enregistrée.")
        return _(
            "Les lignes 2 à %(line)s ont été traitées et enregistrées (%(created)s créées, "
            "%(updated)s mises à jour, %(rejected)s rejetées) ; relancez l'import pour la suite, "
            "les lignes déjà importées ne seront pas dupliquées."
        ) % {
            "line": self.last_committed_line,
            "created": self.committed.created,
            "updated": self.committed.updated,
            "rejected": self.committed.rejected,
        }

    def _parse(self, record: Record, header: list[str]) -> _Row:
        if record.fields is None:
            return _Row(record.line, record.raw, reason=record.error)
        fields = record.fields
        if len(fields) != len(header):
            if len(fields) > len(header) and not any(f.strip() for f in fields[len(header) :]):
                fields = fields[: len(header)]
            else:
                return _Row(
                    record.line,
                    record.raw,
                    reason=_(
                        "Nombre de colonnes incorrect : %(found)s au lieu de %(expected)s (vérifiez le "
                        "séparateur « %(sep)s » et les guillemets)."
                    )
                    % {"found": len(fields), "expected": len(header), "sep": self.spec.delimiter},
                )
        try:
            candidate = self.mapper(fields, self.context)
        except RowRejected as exc:
            return _Row(record.line, record.raw, reason=str(exc))
        return _Row(record.line, record.raw, candidate=candidate)

    def _flush(self, rows: list[_Row]) -> None:
        try:
            with transaction.atomic():
                counts = self._write(rows)
                total = self.committed + counts
                self.run.rows_read = total.rows_read
                self.run.created_count = total.created
                self.run.updated_count = total.updated
                self.run.rejected_count = total.rejected
                self.run.save(
                    update_fields=[
                        "rows_read",
                        "created_count",
                        "updated_count",
                        "rejected_count",
                        "updated_at",
                    ]
                )
        except Exception as exc:
            logger.exception(
                "Import %s: batch of lines %s-%s failed", self.run.pk, rows[0].line, rows[-1].line
            )
            self._restore_counts()
            raise _BatchFailed(rows[0].line, rows[-1].line) from exc
        self.committed = total
        self.last_committed_line = rows[-1].line

    def _restore_counts(self) -> None:
        self.run.rows_read = self.committed.rows_read
        self.run.created_count = self.committed.created
        self.run.updated_count = self.committed.updated
        self.run.rejected_count = self.committed.rejected

    # ------------------------------------------------------------------------------------------ one batch

    def _write(self, rows: list[_Row]) -> _Counts:
        counts = _Counts(rows_read=len(rows))
        rejections: list[tuple[int, str, str]] = []

        def reject(row: _Row, reason: str) -> None:
            rejections.append((row.line, reason, row.raw))

        candidates: list[tuple[_Row, Candidate]] = []
        for row in rows:
            if row.candidate is not None:
                candidates.append((row, row.candidate))
            elif row.reason:
                reject(row, row.reason)

        unseen = {c.commune_code for _r, c in candidates if c.commune_code} - self.communes.keys()
        if unseen:
            found = _existing_values(Commune, "code", unseen)
            self.communes.update({code: code in found for code in unseen})
        communes = self.communes
        index = _Index()
        existing = self._existing(candidates)
        nameable = self._public_ids([org.pk for org in existing if org.branch_id != self.branch.pk])
        for org in existing:
            index.add(org, siret=org.siret, siren=org.siren, rna=org.rna)
        current_themes = self._current_themes(existing, candidates)

        new: list[_New] = []
        changed: dict[int, _Existing] = {}
        changed_fields: set[str] = set()
        theme_changes: dict[int, set[str]] = {}
        for row, cand in candidates:
            if cand.commune_code and not communes[cand.commune_code]:
                reject(row, _("Code commune INSEE inconnu : %(code)s.") % {"code": cand.commune_code})
                continue
            values = dict(cand.values)
            if cand.commune_code:
                values["commune_id"] = cand.commune_code
            target = index.find(cand)
            if isinstance(target, _Existing) and target.branch_id != self.branch.pk:
                reject(row, _in_another_branch(target, cand, named=target.pk in nameable))
                continue
            conflict = _conflict(target, cand) if target is not None else ""
            if conflict:
                reject(row, conflict)
                continue
            if target is None:
                if not cand.create:
                    reject(
                        row,
                        _(
                            "Aucune organisation de l'antenne n'a le SIREN %(siren)s : établissement ignoré "
                            "(importez d'abord les unités légales)."
                        )
                        % {"siren": cand.siren},
                    )
                    continue
                target = _New(values=values, themes=cand.themes, identifier=cand.identifier)
                new.append(target)
                counts.created += 1
            elif isinstance(target, _New):
                diff = {k: v for k, v in values.items() if target.values.get(k) != v}
                target.values.update(diff)
                themes_differ = cand.themes is not None and cand.themes != target.themes
                if themes_differ:
                    target.themes = cand.themes
                if diff or themes_differ:
                    counts.updated += 1
            else:
                diff = [
                    k for k, v in values.items() if k not in self.spec.create_only and getattr(target, k) != v
                ]
                for name in diff:
                    setattr(target, name, values[name])
                if diff:
                    changed[target.pk] = target
                    changed_fields.update(diff)
                themes_differ = cand.themes is not None and set(cand.themes) != current_themes[target.pk]
                if themes_differ:
                    theme_changes[target.pk] = set(cand.themes)
                    current_themes[target.pk] = set(cand.themes)
                if diff or themes_differ:
                    counts.updated += 1
            index.add(target, siret=cand.siret, siren=cand.siren, rna=cand.rna)

        indexed: set[int] = set()
        if new:
            self._assign_slugs(new)
            indexed = self._create(new)
        if changed:
            now = timezone.now()
            for org in changed.values():
                org.updated_at = now
            self._update(list(changed.values()), sorted(changed_fields | {"updated_at"}))
        self._write_themes(new, theme_changes)
        counts.rejected = len(rejections)
        self._reject(rejections)
        if new or changed or theme_changes:
            # New rows indexed by their INSERT (PostgreSQL set-based path) are not indexed a second time;
            # the call still happens for every batch that wrote organisations.
            touched = [n.pk for n in new if n.pk not in indexed]
            touched += list(changed) + [pk for pk in theme_changes if pk not in changed]
            search.reindex_organisations(touched)
        return counts

    def _reject(self, rejections: list[tuple[int, str, str]]) -> None:
        """Store the batch's rejected rows (line, reason, raw): COPY on PostgreSQL, else bulk_create."""
        if connection.vendor != "postgresql" or len(rejections) < COPY_THRESHOLD:
            ImportRejection.objects.bulk_create(
                [ImportRejection(run=self.run, line=line, reason=r, raw=raw) for line, r, raw in rejections],
                batch_size=500,
            )
            return
        quote = connection.ops.quote_name
        meta = ImportRejection._meta
        columns = ", ".join(quote(meta.get_field(f).column) for f in ("run", "line", "reason", "raw"))
        run_id = self.run.pk
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for line, reason, raw in rejections:
                copy.write_row((run_id, line, reason, raw))

    def _existing(self, candidates: list[tuple[_Row, Candidate]]) -> list[_Existing]:
        q = Q()
        sirets = {c.siret for _r, c in candidates if c.siret}
        sirens = {c.siren for _r, c in candidates if c.siren}
        rnas = {c.rna for _r, c in candidates if c.rna}
        if sirets:
            q |= Q(siret__in=sirets)
        if sirens:
            q |= Q(siren__in=sirens)
        if rnas:
            q |= Q(rna__in=rnas)
        if not q:
            return []
        if connection.vendor == "postgresql":
            # One array parameter per identifier instead of thousands of placeholders.
            quote = connection.ops.quote_name
            table = quote(Organisation._meta.db_table)
            columns = ", ".join(quote(Organisation._meta.get_field(a).column) for a in EXISTING_FIELDS)
            arrays = [_pg_text_array(v) if v else ("%s::text[]", []) for v in (sirets, sirens, rnas)]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {columns} FROM {table} "  # noqa: S608 - quoted model identifiers, constant SQL
                    f"WHERE siret = ANY({arrays[0][0]}) OR siren = ANY({arrays[1][0]}) "
                    f"OR rna = ANY({arrays[2][0]}) ORDER BY id",
                    [a[1] for a in arrays],
                )
                rows = cursor.fetchall()
        else:
            rows = Organisation.objects.filter(q).order_by("pk").values_list(*EXISTING_FIELDS)
        return [_Existing(dict(zip(EXISTING_FIELDS, row, strict=True))) for row in rows]

    def _public_ids(self, ids: list[int]) -> set[int]:
        """Which of these organisations anyone may see (through the access rules), hence may be named."""
        if not ids:
            return set()
        public = access.visible(None, Organisation.objects.filter(pk__in=ids))
        return set(public.values_list("pk", flat=True))

    def _current_themes(
        self, existing: list[_Existing], candidates: list[tuple[_Row, Candidate]]
    ) -> dict[int, set[str]]:
        current: dict[int, set[str]] = defaultdict(set)
        if existing and any(c.themes is not None for _r, c in candidates):
            through = Organisation.themes.through.objects.filter(organisation_id__in=[o.pk for o in existing])
            for org_id, theme_id in through.values_list("organisation_id", "theme_id"):
                current[org_id].add(theme_id)
        return current

    def _assign_slugs(self, new: list[_New]) -> None:
        """A unique slug per new organisation: the name, else name + identifier, else name + number."""
        bases = [_slug_base(n.values["name"]) for n in new]
        options = [
            [base] + ([f"{base}-{_identifier_slug(n.identifier)}"] if n.identifier else [])
            for n, base in zip(new, bases, strict=True)
        ]
        wanted = {slug for opts in options for slug in opts}
        taken = _existing_values(Organisation, "slug", wanted)
        numbered: list[tuple[_New, str]] = []
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

    def _create(self, new: list[_New]) -> set[int]:
        """Insert the new organisations (setting ``pk``); returns the ids whose search vector is written."""
        if connection.vendor == "postgresql" and len(new) >= COPY_THRESHOLD:
            return self._copy_create(new)
        objs = [Organisation(branch=self.branch, **n.values) for n in new]
        Organisation.objects.bulk_create(objs, batch_size=500)
        for n, obj in zip(new, objs, strict=True):
            n.pk = obj.pk
        return set()

    def _copy_create(self, new: list[_New]) -> set[int]:
        """PostgreSQL: the same rows as bulk_create, set-based (ids reserved from the sequence first).

        The rows are COPied into a temporary staging table, then one ``INSERT ... SELECT`` writes them
        with their search vector computed in the same statement (``search.pg_new_organisation_vector_sql``,
        identical to what ``reindex_organisations`` builds for an organisation without needs, offers or
        themes): each row is written once instead of inserted then updated by the reindexing. Rows with
        themes are left to ``reindex_organisations`` (their labels weigh in the vector). Returns the ids
        whose vector is written or deferred to ``_index_new`` (``DEFER_INDEXING``).
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

    def _update(self, orgs: list[_Existing], attnames: list[str]) -> None:
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

    def _write_themes(self, new: list[_New], theme_changes: dict[int, set[str]]) -> None:
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
