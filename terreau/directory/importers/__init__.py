"""CSV imports of organisations: generic Terreau template, RNA "waldec" export, SIRENE stock files.

Entry point: ``import_organisations(*, stream, file_name, format=None, branch, by=None, batch_size=BATCH_SIZE)`` (5,000 rows per batch).
Formats are documented in docs/import-formats.md.
"""

from terreau.directory.importers.formats import FORMATS, GENERIC_COLUMNS, GENERIC_EXAMPLE, detect_format
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
