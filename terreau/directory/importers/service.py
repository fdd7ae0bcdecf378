"""The import service: streams a CSV file, validates each row and writes organisations batch by batch.

- Each batch (``batch_size`` rows) is written in its own transaction: organisations created
  (bulk_create), updated (bulk_update), rejected rows (ImportRejection) and the run's counters. An error
  inside a batch rolls the whole batch back and stops the run, which is marked failed with a French
  message saying which lines were committed.
- Idempotent: a row updates the organisation of the branch with the same SIRET, else the same SIREN, else
  the same RNA number; re-importing a file creates nothing and changes nothing.
- Memory stays constant: only one batch of rows is held at a time.

This module drives the run; one batch is parsed and written by ``batch`` (rows matched to organisations
by ``matching``, written by ``staging``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.directory.importers import staging
from terreau.directory.importers.batch import Counts, Row, parse_row, write_batch
from terreau.directory.importers.formats import FORMATS, detect_format
from terreau.directory.importers.formats.columns import Context, FormatSpec
from terreau.directory.importers.reading import CsvStream, FileRejected
from terreau.directory.models import ImportRun, Theme

logger = logging.getLogger(__name__)

# Rows per batch (one transaction each). Large batches amortise the per-batch round trips and statements
# (lookups, COPY, INSERT ... SELECT, commit); memory stays bounded by one batch.
BATCH_SIZE = 5000


class _BatchFailed(Exception):
    def __init__(self, first_line: int, last_line: int):
        super().__init__(first_line, last_line)
        self.first_line = first_line
        self.last_line = last_line


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
                % {"format": spec.label, "missing": ", ".join(missing), "expected": spec.expected_columns()}
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


def new_run(*, file_name: str, format: str | None = None, branch: Any, by: Any = None) -> ImportRun:
    """The ImportRun of a file about to be imported (created by the web page before the job reads it)."""
    if format and format not in FORMATS:
        raise ValueError(f"Unknown import format: {format}")
    return ImportRun.objects.create(
        branch=branch,
        started_by=by,
        format=format or "",
        file_name=os.path.basename(file_name or "")[:255] or "import.csv",
    )


def import_organisations(
    *,
    stream: BinaryIO,
    file_name: str = "",
    format: str | None = None,
    branch: Any = None,
    by: Any = None,
    batch_size: int = BATCH_SIZE,
    run: ImportRun | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportRun:
    """Import organisations from a CSV binary stream into ``branch``; returns the finished ImportRun.

    ``run``: an ImportRun made by ``new_run`` (the web import's job; its branch, user and format are used);
    otherwise one is created. ``progress(rows_read)`` is called after each committed batch.
    The run is marked failed (with a French ``error``) when the file cannot be read at all or when a batch
    fails; rows rejected one by one do not fail the run.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    if run is None:
        run = new_run(file_name=file_name, format=format, branch=branch, by=by)
    else:
        format, branch = run.format or None, run.branch
    if format and format not in FORMATS:
        raise ValueError(f"Unknown import format: {format}")
    try:
        csv_stream = CsvStream(stream)
        run.encoding = csv_stream.encoding
        run.header = csv_stream.raw_header
        spec = resolve_format(csv_stream.header, format)
    except FileRejected as exc:
        return _finish(run, error=str(exc))
    run.format = spec.code
    run.save(update_fields=["encoding", "format", "header", "updated_at"])
    importer = _Importer(run=run, spec=spec, branch=branch, batch_size=batch_size, progress=progress)
    return importer.execute(csv_stream)


def _finish(run: ImportRun, *, error: str = "", index_error: str = "") -> ImportRun:
    error = " ".join(e for e in (error, index_error) if e)
    run.status = ImportRun.Status.FAILED if error else ImportRun.Status.DONE
    run.error = error
    run.finished_at = timezone.now()
    run.save()
    return run


class _Importer:
    def __init__(
        self,
        *,
        run: ImportRun,
        spec: FormatSpec,
        branch: Any,
        batch_size: int,
        progress: Callable[[int], None] | None = None,
    ):
        self.run = run
        self.progress = progress
        self.spec = spec
        self.branch = branch
        self.batch_size = batch_size
        self.committed = Counts()
        self.last_committed_line = 1  # the header
        self.context = Context(theme_codes=frozenset(Theme.objects.values_list("code", flat=True)))
        # Commune codes already looked up in this run (code -> exists): each distinct code is queried once.
        self.communes: dict[str, bool] = {}
        self.writer = staging.Writer(run=run, branch=branch)

    def execute(self, csv_stream: CsvStream) -> ImportRun:
        header = csv_stream.header
        mapper = self.spec.bind(header)
        batch: list[Row] = []
        try:
            try:
                for record in csv_stream.records():
                    batch.append(
                        parse_row(record, header=header, spec=self.spec, mapper=mapper, context=self.context)
                    )
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
        """Index the new organisations the batches wrote without a search vector (PostgreSQL COPY path,
        ``staging.DEFER_INDEXING``), in one statement for the whole run (``staging.index_ranges``).

        Runs before the ImportRun is marked finished: every imported organisation is searchable when
        ``import_organisations`` returns. Returns a French error ("" when done).
        """
        if not self.writer.unindexed:
            return ""
        ranges, self.writer.unindexed = self.writer.unindexed, []
        try:
            with transaction.atomic():
                staging.index_ranges(ranges)
        except Exception:
            logger.exception("Import %s: search indexing of the new organisations failed", self.run.pk)
            return _(
                "Les organisations créées sont enregistrées mais leur indexation pour la recherche a "
                "échoué : elles n'apparaîtront dans la recherche qu'après leur prochaine modification "
                "ou une réindexation (search.reindex_all)."
            )
        return ""

    def _next_line(self, batch: list[Row]) -> int:
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

    def _flush(self, rows: list[Row]) -> None:
        try:
            with transaction.atomic():
                counts = write_batch(
                    rows, spec=self.spec, branch=self.branch, writer=self.writer, communes=self.communes
                )
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
        if self.progress is not None:
            self.progress(total.rows_read)

    def _restore_counts(self) -> None:
        self.run.rows_read = self.committed.rows_read
        self.run.created_count = self.committed.created
        self.run.updated_count = self.committed.updated
        self.run.rejected_count = self.committed.rejected
