"""The rejected rows of an import, given back as a file to correct and import again.

The file has the uploaded file's columns, unchanged and in the same order, then an "erreurs" column with
every problem of the row. Rows keep the fields they had (an unreadable line comes back whole in the first
column). A file of rejected rows imported again (its "erreurs" column is ignored by every format) gives
back its own "erreurs" column replaced, not repeated. Written by the one tabular writer
(terreau.core.tabular), which neutralises spreadsheet formulas; the importer removes that neutralising
apostrophe when the file comes back (batch.unquote_formulas).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.text import slugify

from terreau.directory.importers.reading import normalise_column
from terreau.directory.models import ImportRejection, ImportRun

ERRORS_COLUMN = "erreurs"
ERRORS_SEPARATOR = " | "


def rejects_header(run: ImportRun) -> tuple[list[str], int | None]:
    """The header of the file of rejected rows, and the position of an "erreurs" column of the uploaded
    file (dropped from every row) or None."""
    header = [str(c) for c in run.header or []]
    dropped = None
    for i, name in enumerate(header):
        if normalise_column(name) == ERRORS_COLUMN:
            dropped = i
    if dropped is not None:
        header = header[:dropped] + header[dropped + 1 :]
    return [*header, ERRORS_COLUMN], dropped


def rejects_rows(run: ImportRun, rejections: Iterable[ImportRejection]) -> Iterator[list[Any]]:
    """The header, then one row per rejection: its fields as read, then its errors."""
    header, dropped = rejects_header(run)
    yield header
    original_width = len(run.header or [])
    for rejection in rejections:
        fields = [str(f) for f in rejection.fields] if rejection.fields is not None else [rejection.raw]
        if dropped is not None and len(fields) == original_width:
            del fields[dropped]
        yield [*fields, ERRORS_SEPARATOR.join(rejection.reasons)]


def rejects_filename(run: ImportRun, extension: str) -> str:
    """A safe download name from the uploaded file's name ("associations-lignes-refusees.csv")."""
    stem = run.file_name.rsplit(".", 1)[0] if "." in run.file_name else run.file_name
    stem = slugify(stem)[:60].strip("-") or "import"
    return f"{stem}-lignes-refusees.{extension}"
