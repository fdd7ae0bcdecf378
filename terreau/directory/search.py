"""French full-text search of the directory.

INTERIM VERSION: the search work implements reindex_organisations() (builds Organisation.search_document
and the PostgreSQL search vector) and keeps its signature.
"""

from __future__ import annotations

from collections.abc import Iterable


def reindex_organisations(ids: Iterable[int]) -> None:
    """Rebuild the search document of these organisations (after bulk writes that bypass signals)."""
    return None
