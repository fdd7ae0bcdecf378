"""The directory's filtered views, shared by the search page, exports, the map and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from terreau import vocabulary
from terreau.core.access import Actor, actor_for, visible
from terreau.core.models import Branch
from terreau.directory.models import (
    Direction,
    NeedOffer,
    NeedOfferStatus,
    Organisation,
    OrganisationKind,
    Theme,
)
from terreau.directory.search import apply_search
from terreau.territories.models import Department

_DEPARTMENT_CODE = re.compile(r"^(\d{2}|2[AB]|97\d)$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
_MAX_VALUES = 20  # per multi-valued parameter
_MAX_Q = 200


def _clean_text(value: Any) -> str:
    text = value if isinstance(value, str) else ""
    # Control characters (NUL above all, which PostgreSQL refuses) never reach the database. A trailing
    # space is kept (as one space): it tells that the last word is complete, not a prefix being typed.
    cleaned = "".join(c if c.isprintable() else " " for c in text)[:_MAX_Q]
    stripped = cleaned.strip()
    return f"{stripped} " if stripped and cleaned[-1].isspace() else stripped


def _pick(values: list[Any], allowed) -> tuple[str, ...]:
    """Known values only, in order, without duplicates (unknown codes are ignored, never an error)."""
    picked: dict[str, None] = {}
    for value in values[:_MAX_VALUES]:
        if isinstance(value, str) and allowed(value.strip()):
            picked.setdefault(value.strip(), None)
    return tuple(picked)


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
        """Parse a QueryDict (or a plain dict of strings or lists); never raises on bad input."""

        def getlist(key: str) -> list[Any]:
            if hasattr(query, "getlist"):
                return query.getlist(key)
            value = query.get(key)
            if value is None:
                return []
            return [value] if isinstance(value, str) else list(value)

        def get(key: str) -> str:
            values = getlist(key)
            return values[-1] if values and isinstance(values[-1], str) else ""

        direction = get("direction").strip()
        departments = tuple(
            dict.fromkeys(
                d.strip().upper() for d in getlist("department")[:_MAX_VALUES] if isinstance(d, str)
            )
        )
        return cls(
            q=_clean_text(get("q")),
            kinds=_pick(getlist("kind"), lambda v: v in OrganisationKind.values),
            themes=_pick(getlist("theme"), lambda v: v in vocabulary.THEMES),
            types=_pick(getlist("type"), lambda v: v in vocabulary.TYPES),
            direction=direction if direction in Direction.values else "",
            departments=tuple(d for d in departments if _DEPARTMENT_CODE.match(d)),
            branches=_pick(getlist("branch"), lambda v: bool(_SLUG.match(v))),
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.q
            or self.kinds
            or self.themes
            or self.types
            or self.direction
            or self.departments
            or self.branches
        )

    def to_query(self) -> str:
        """The canonical query string of these filters (for shareable links and exports)."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        pairs += [("kind", v) for v in self.kinds]
        pairs += [("theme", v) for v in self.themes]
        pairs += [("type", v) for v in self.types]
        if self.direction:
            pairs.append(("direction", self.direction))
        pairs += [("department", v) for v in self.departments]
        pairs += [("branch", v) for v in self.branches]
        return urlencode(pairs)


def _open_count(actor: Actor, direction: str):
    """Number of open needs (or offers) of the outer organisation that the actor may see."""
    rows = visible(
        actor,
        NeedOffer.objects.filter(
            organisation_id=OuterRef("pk"), direction=direction, status=NeedOfferStatus.OPEN
        ),
    )
    counted = rows.order_by().values("organisation_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def directory_queryset(*, user: Any, params: DirectoryParams) -> QuerySet[Organisation]:
    """Organisations the user may see, filtered by ``params``, most relevant first.

    Each row carries ``open_needs`` and ``open_offers`` (counts of the open needs and offers the user may
    see), its commune, department and branch (select_related) and its themes (prefetched); with a text
    query, ``rank`` too. Filters on needs and offers (theme, type, direction) only consider active needs
    and offers the user may see.
    """
    actor = user if isinstance(user, Actor) else actor_for(user)
    qs = visible(actor, Organisation.objects.all())
    if params.kinds:
        qs = qs.filter(kind__in=params.kinds)
    if params.departments:
        qs = qs.filter(commune__department_id__in=params.departments)
    if params.branches:
        qs = qs.filter(branch__slug__in=params.branches)

    # Correlated EXISTS rather than IN (...): PostgreSQL then chooses per query between probing the
    # candidates of a selective text search and hashing every matching organisation (covering indexes).
    needs = visible(actor, NeedOffer.objects.active()).filter(organisation_id=OuterRef("pk"))
    if params.themes:
        own_theme = Organisation.themes.through.objects.filter(
            organisation_id=OuterRef("pk"), theme_id__in=params.themes
        )
        qs = qs.filter(Exists(own_theme) | Exists(needs.filter(theme_id__in=params.themes)))
    if params.types or params.direction:
        matching = needs
        if params.types:
            matching = matching.filter(type__in=params.types)
        if params.direction:
            matching = matching.filter(direction=params.direction)
        qs = qs.filter(Exists(matching))

    qs, searched = apply_search(qs, params.q)
    # The index columns are never read in Python: leaving them out keeps the rows small.
    qs = qs.defer("search_vector", "search_document")
    qs = qs.select_related("commune__department", "branch").prefetch_related(
        Prefetch("themes", queryset=Theme.objects.order_by("label"))
    )
    qs = qs.annotate(
        open_needs=_open_count(actor, Direction.NEED), open_offers=_open_count(actor, Direction.OFFER)
    )
    return qs.order_by("-rank", "name", "pk") if searched else qs.order_by("name", "pk")


@dataclass(frozen=True)
class FilterChoices:
    """Choices of the directory's filter controls."""

    kinds: list[tuple[str, str]]
    themes: list[tuple[str, str]]
    types: list[tuple[str, str]]
    directions: list[tuple[str, str]]
    departments: list[Department]
    branches: list[Branch]


def filter_choices() -> FilterChoices:
    """Filter options: departments having organisations or covered by a branch, every branch (3 queries)."""
    has_organisations = Organisation.objects.filter(commune__department_id=OuterRef("pk"))
    covered = Branch.departments.through.objects.filter(department_id=OuterRef("pk"))
    departments = Department.objects.filter(Exists(has_organisations) | Exists(covered)).order_by("code")
    return FilterChoices(
        kinds=list(OrganisationKind.choices),
        themes=list(Theme.objects.order_by("label").values_list("code", "label")),
        types=list(vocabulary.TYPES.items()),
        directions=list(Direction.choices),
        departments=list(departments),
        branches=list(Branch.objects.order_by("name").only("slug", "name")),
    )
