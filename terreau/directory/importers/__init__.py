"""CSV imports of organisations: generic Terreau template, RNA "waldec" export, SIRENE stock files.

Entry point: ``import_organisations(*, stream, file_name, format=None, branch, by=None, batch_size=BATCH_SIZE)`` (5,000 rows per batch).
Formats are documented in docs/import-formats.md.

Modules: service (the entry point, drives a run batch by batch), batch (one batch: rows parsed, checked,
matched and written), matching (which organisation a row designates; other branches' privacy), staging
(writes, COPY path on PostgreSQL, slugs), reading (streaming CSV), formats (one module per format).
"""

from terreau.directory.importers.formats import FORMATS, detect_format
from terreau.directory.importers.formats.generic import GENERIC_COLUMNS, GENERIC_EXAMPLE
from terreau.directory.importers.reading import FileRejected
from terreau.directory.importers.service import BATCH_SIZE, import_organisations, resolve_format

__all__ = [
    "BATCH_SIZE",
    "FORMATS",
    "GENERIC_COLUMNS",
    "GENERIC_EXAMPLE",
    "FileRejected",
    "detect_format",
    "import_organisations",
    "resolve_format",
]
