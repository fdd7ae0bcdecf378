"""The directory's filtered views, shared by the search page, exports, the map and the API.

INTERIM VERSION: the search work replaces the body of directory_queryset() with full-text search and
relevance order; its signature and DirectoryParams stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from terreau.core.access import visible
from terreau.directory.models import Organisation


@dataclass(frozen=True)
class DirectoryParams:
    """Validated filters of a directory view, parsed from GET parameters (unknown values are dropped)."""

    q: str = ""
    kinds: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    direction: str = ""  # "need", "offer" or "" (both)
    departments: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()  # branch slugs
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_query(cls, query: Any) -> DirectoryParams:
        getlist = query.getlist if hasattr(query, "getlist") else lambda k: list(query.get(k, []) or [])
        return cls(
            q=(query.get("q") or "").strip()[:200],
            kinds=tuple(getlist("kind")),
            themes=tuple(getlist("theme")),
            types=tuple(getlist("type")),
            direction=query.get("direction") or "",
            departments=tuple(getlist("department")),
            branches=tuple(getlist("branch")),
        )


def directory_queryset(*, user: Any, params: DirectoryParams) -> QuerySet[Organisation]:
    """Organisations the user may see, filtered by ``params``, most relevant first."""
    qs = visible(user, Organisation.objects.all())
    if params.q:
        qs = qs.filter(name__icontains=params.q)
    if params.kinds:
        qs = qs.filter(kind__in=params.kinds)
    if params.departments:
        qs = qs.filter(commune__department_id__in=params.departments)
    return qs.order_by("name")
