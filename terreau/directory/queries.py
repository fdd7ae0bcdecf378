"""The directory's filtered views, shared by the search page, exports, the map and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from terreau import vocabulary
from terreau.core import french
from terreau.core.access import Actor, actor_for, visible
from terreau.core.models import Branch, Visibility
from terreau.directory.models import (
    Direction,
    NeedOffer,
    NeedOfferStatus,
    Organisation,
    OrganisationFilter,
    OrganisationKind,
    Theme,
)
from terreau.directory.search import EqualsAny, SearchTerms, apply_search, is_postgresql
from terreau.territories.models import Commune, Department

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
    def has_filters(self) -> bool:
        """Filters other than the text query."""
        return bool(
            self.kinds or self.themes or self.types or self.direction or self.departments or self.branches
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


def _private_needs(actor: Actor) -> QuerySet[NeedOffer] | None:
    """The private (branch-only) active needs and offers the actor may see, for the text search to find
    their organisations; None when ``visible()`` gives the actor public ones only (anonymous visitors,
    users without a role), whose search then stays exactly the public one."""
    if not NeedOffer.ACCESS.sees_beyond_public(actor):
        return None
    return visible(actor, NeedOffer.objects.active().filter(visibility=Visibility.BRANCH))


def _branch_ids(params: DirectoryParams) -> list[int]:
    # Ids read first (a tiny query) rather than a join on the slug: constants let PostgreSQL use its indexes.
    return list(Branch.objects.filter(slug__in=params.branches).values_list("id", flat=True))


def _filter_rows(
    actor: Actor, params: DirectoryParams, *, rows: QuerySet[OrganisationFilter] | None = None
) -> QuerySet[OrganisationFilter]:
    """PostgreSQL: the filter rows (models.OrganisationFilter) of the organisations the actor may see that
    pass ``params``'s filters (not its text), answered by the GIN index of their facets.

    Same rows as the filters of ``_rows_filtered``: a facet of a need or offer comes from the organisation's
    public active ones, which everybody who may see the organisation may see; the private ones a user may
    see (``_private_needs``, None for most users) are tested on their own rows, as there. ``rows``: where to
    look instead of the visible rows (a caller that applies ``visible()`` to the organisations itself).
    """
    if rows is None:
        rows = visible(actor, OrganisationFilter.objects.all())
    if params.kinds:
        rows = rows.filter(kind__in=params.kinds)
    if params.departments:
        rows = rows.filter(facets__overlap=[f"d:{v}" for v in params.departments])
    if params.branches:
        branch_ids = _branch_ids(params)
        if not branch_ids:
            return rows.none()
        rows = rows.filter(facets__overlap=[f"b:{v}" for v in branch_ids])
    private = _private_needs(actor)

    def with_needs(tokens: list[str], **lookups: Any) -> Q:
        found = Q(facets__overlap=tokens)
        if private is not None:
            ids = private.filter(**lookups).order_by().values("organisation_id")
            found |= Q(EqualsAny(F("pk"), ArraySubquery(ids)))
        return found

    if params.themes:
        rows = rows.filter(with_needs([f"t:{v}" for v in params.themes], theme_id__in=params.themes))
    if params.types or params.direction:
        lookups: dict[str, Any] = {}
        if params.types and params.direction:
            tokens = [f"y:{v}:{params.direction}" for v in params.types]
        elif params.types:
            tokens = [f"y:{v}" for v in params.types]
        else:
            tokens = [f"r:{params.direction}"]
        if params.types:
            lookups["type__in"] = params.types
        if params.direction:
            lookups["direction"] = params.direction
        rows = rows.filter(with_needs(tokens, **lookups))
    return rows


def _filtered(actor: Actor, params: DirectoryParams) -> tuple[QuerySet[Organisation], bool]:
    """Visible organisations matching ``params`` (with ``rank`` when searched), ordered; no details.

    PostgreSQL answers filters on needs, offers or themes from the filter rows (``_filter_rows``, every
    filter of ``params`` there), instead of probing the needs of every candidate; with filters on the
    organisation's own columns only, those stay on its row, where their indexes intersect with the
    full-text index. SQLite tests everything on the rows (``_rows_filtered``): the same organisations."""
    if not (is_postgresql() and (params.themes or params.types or params.direction)):
        return _rows_filtered(actor, params)
    rows = _filter_rows(actor, params, rows=OrganisationFilter.objects.all())
    qs = visible(actor, Organisation.objects.all()).filter(pk__in=rows.values("pk"))
    qs, searched = apply_search(qs, params.q, private_needs=_private_needs(actor))
    return qs.order_by("-rank", "name", "pk") if searched else qs.order_by("name", "pk"), searched


def _rows_filtered(actor: Actor, params: DirectoryParams) -> tuple[QuerySet[Organisation], bool]:
    """``_filtered`` on the organisation rows themselves (SQLite; and the reference of the tests)."""
    qs = visible(actor, Organisation.objects.all())
    if params.kinds:
        qs = qs.filter(kind__in=params.kinds)
    if params.departments:
        if is_postgresql():
            # commune_id = ANY(ARRAY(SELECT code ...)): the communes are read once (an InitPlan), then one
            # scan of the commune index, which PostgreSQL can intersect with the full-text index. A join
            # instead lets it scan the full-text index once per commune of the department.
            communes = Commune.objects.filter(department_id__in=params.departments).order_by().values("code")
            qs = qs.filter(EqualsAny(F("commune_id"), ArraySubquery(communes)))
        else:
            qs = qs.filter(commune__department_id__in=params.departments)
    if params.branches:
        qs = qs.filter(branch_id__in=_branch_ids(params))
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

    qs, searched = apply_search(qs, params.q, private_needs=_private_needs(actor))
    return qs.order_by("-rank", "name", "pk") if searched else qs.order_by("name", "pk"), searched


def _with_details(qs: QuerySet[Organisation], actor: Actor) -> QuerySet[Organisation]:
    """What a listed organisation shows: commune, department, branch, themes and open counts."""
    # The index columns are never read in Python: leaving them out keeps the rows small.
    qs = qs.defer("search_vector", "search_document")
    qs = qs.select_related("commune__department", "branch").prefetch_related(
        Prefetch("themes", queryset=Theme.objects.order_by("label"))
    )
    return qs.annotate(
        open_needs=_open_count(actor, Direction.NEED), open_offers=_open_count(actor, Direction.OFFER)
    )


def directory_queryset(*, user: Any, params: DirectoryParams) -> QuerySet[Organisation]:
    """Organisations the user may see, filtered by ``params``, most relevant first.

    Each row carries ``open_needs`` and ``open_offers`` (counts of the open needs and offers the user may
    see), its commune, department and branch (select_related) and its themes (prefetched); with a text
    query, ``rank`` too. Filters on needs and offers (theme, type, direction) only consider active needs
    and offers the user may see.

    For one page of results, ``directory_page`` is much cheaper: it ranks and slices a narrow query first
    and only then fetches those details for the rows of the page.
    """
    actor = user if isinstance(user, Actor) else actor_for(user)
    qs, _searched = _filtered(actor, params)
    return _with_details(qs, actor)


def _page_number(number: Any) -> int:
    try:
        return max(1, int(number))
    except (TypeError, ValueError):
        return 1


# Without a text query, totals above this are shown as "more than COUNT_CAP": counting every row of the
# unfiltered directory (or of a broad filter) on every request would cost more than the page itself.
COUNT_CAP = 1000


class DirectoryPaginator(Paginator):
    """A Paginator whose total may be capped: ``count`` is then ``count_cap`` and ``capped`` is true
    (there are more rows; only the first ``count_cap`` can be browsed, by ``num_pages`` pages)."""

    capped = False
    count_cap = COUNT_CAP

    def capped_count(self) -> int:
        """COUNT(*) of at most count_cap + 1 rows: stops reading as soon as the cap is passed."""
        found = self.object_list.order_by().values("pk")[: self.count_cap + 1].count()
        self.capped = found > self.count_cap
        return min(found, self.count_cap)


# A text search ranks at most this many matches (plus one, to know there are more). Ranking reads every
# match's row (its search vector), so an unbounded search costs in proportion to how common the words are:
# at 2,000,000 organisations a frequent word matches hundreds of thousands of rows and took seconds
# (docs/benchmarks.md). Beyond the cap the page says so and asks for a narrower search.
RANK_CAP = 2000


def _ranked_page(
    narrow: QuerySet[Organisation], *, offset: int, limit: int, cap: int
) -> tuple[list[tuple], int | None]:
    """Rows (pk, rank) of one page of a text search, and the number of matches up to ``cap + 1``.

    At most ``cap + 1`` matches are read, in the text index's order, into a CTE of (pk, name, rank) only,
    which PostgreSQL materialises (it is referenced twice; SQLite does the same or rescans its own document
    column); the page is a top-N sort of that CTE and the total a COUNT over it. Ranking must read every
    match it ranks anyway, so the total costs almost nothing more, whereas COUNT(*) OVER () would sort every
    match and a separate COUNT would read them all a second time. A total above ``cap`` means "more than
    cap": the page is then the best of the first ``cap + 1`` matches. The total is None when the page is
    past the end (no row comes back).
    """
    inner = narrow.order_by().values_list("pk", "name", "rank")[: cap + 1]
    try:
        sql, params = inner.query.get_compiler(using=inner.db).as_sql()
    except EmptyResultSet:  # a filter that can match nothing (an unknown branch)
        return [], 0
    statement = (
        f"WITH m (pk, name, rank) AS ({sql}) "  # noqa: S608 (Django's own compiled SQL, values are parameters)
        "SELECT m.pk, m.rank, (SELECT COUNT(*) FROM m) FROM m "
        "ORDER BY m.rank DESC, m.name ASC, m.pk ASC LIMIT %s OFFSET %s"
    )
    with connections[inner.db].cursor() as cursor:
        cursor.execute(statement, [*params, limit, offset])
        rows = cursor.fetchall()
    return [(pk, rank) for pk, rank, _total in rows], (rows[0][2] if rows else None)


def directory_page(*, user: Any, params: DirectoryParams, number: Any, per_page: int) -> Page:
    """One page of ``directory_queryset``'s rows (same rows, order and attributes), read cheaply.

    1. A narrow query orders and slices the matches; only ids (and ranks) leave the database. A text
       search reads its matches once, up to ``RANK_CAP`` of them, and returns the page (a top-N sort on
       the rank) and the total together (see _ranked_page; above the cap the total is "more than"). Without a text query the page comes from the (name, id) index and the
       total is counted up to ``COUNT_CAP`` only (see DirectoryPaginator), not at all when the first page
       is not full (its rows are then all the matches).
    2. The page's organisations, at most ``per_page``, are then fetched with their commune, branch,
       themes and open needs/offers counts: those are computed for these rows only, never for every match.

    Invalid page numbers give the first page, numbers past the end the last one (like Paginator.get_page).
    Three or four queries whatever the number of matches (one more for a page past the end).
    """
    actor = user if isinstance(user, Actor) else actor_for(user)
    if is_postgresql() and params.has_filters and not SearchTerms.parse(params.q):
        # Filters without text: the page and the total come from the filter rows alone (their GIN index
        # and their (name, organisation) index), never from the 4 GB of organisation rows.
        narrow, searched = _filter_rows(actor, params).order_by("name", "pk"), False
    else:
        narrow, searched = _filtered(actor, params)
    paginator = DirectoryPaginator(narrow, per_page)
    number = _page_number(number)

    def page_rows(number: int) -> tuple[list[tuple[int, float | None]], int | None]:
        bottom = (number - 1) * per_page
        if searched:
            return _ranked_page(narrow, offset=bottom, limit=per_page, cap=RANK_CAP)
        ids = narrow.values_list("pk", flat=True)[bottom : bottom + per_page]
        return [(pk, None) for pk in ids], None

    if searched:
        rows, total = page_rows(number)
        if total is None and number > 1:  # past the end: count (up to the cap), then the last page
            paginator.__dict__["count"] = min(
                narrow.order_by().values("pk")[: RANK_CAP + 1].count(), RANK_CAP
            )
            number = paginator.num_pages
            rows, total = page_rows(number)
        paginator.count_cap = RANK_CAP
        paginator.capped = (total or 0) > RANK_CAP
        paginator.__dict__["count"] = min(total or 0, RANK_CAP)  # fills the cached_property
        if paginator.capped and number > paginator.num_pages:  # only the first RANK_CAP can be browsed
            number = paginator.num_pages
            rows = page_rows(number)[0]
    else:
        rows = page_rows(number)[0] if number == 1 else []
        if number == 1 and len(rows) < per_page:
            paginator.__dict__["count"] = len(rows)  # every match is on this page
        else:
            paginator.__dict__["count"] = paginator.capped_count()
            if number > 1:
                number = min(number, paginator.num_pages)
                rows = page_rows(number)[0]

    ids = [pk for pk, _rank in rows]
    details = visible(actor, Organisation.objects.filter(pk__in=ids))
    found = {org.pk: org for org in _with_details(details, actor).order_by()}
    organisations = []
    for pk, rank in rows:
        org = found.get(pk)
        if org is not None:  # deleted between the two queries
            if searched:
                org.rank = rank
            organisations.append(org)
    return paginator._get_page(organisations, number, paginator)


class DepartmentChoice(NamedTuple):
    code: str
    name: str


class BranchChoice(NamedTuple):
    slug: str
    name: str


@dataclass(frozen=True)
class FilterChoices:
    """Choices of the directory's filter controls (plain values: cheap to cache)."""

    kinds: list[tuple[str, str]]
    themes: list[tuple[str, str]]
    types: list[tuple[str, str]]
    directions: list[tuple[str, str]]
    departments: list[DepartmentChoice]
    branches: list[BranchChoice]


FILTER_CHOICES_CACHE_KEY = "terreau:directory:filter-choices"
# Signals (terreau.directory.signals) forget the cached choices when organisations, departments, branches
# or themes change in this process; the timeout bounds how long other processes may show stale lists.
FILTER_CHOICES_TIMEOUT = 120


def _load_filter_choices() -> FilterChoices:
    has_organisations = Organisation.objects.filter(commune__department_id=OuterRef("pk"))
    covered = Branch.departments.through.objects.filter(department_id=OuterRef("pk"))
    departments = Department.objects.filter(Exists(has_organisations) | Exists(covered)).order_by("code")
    return FilterChoices(
        kinds=list(OrganisationKind.choices),
        themes=sorted(Theme.objects.values_list("code", "label"), key=lambda t: french.sort_key(t[1])),
        types=list(vocabulary.TYPES.items()),
        directions=list(Direction.choices),
        departments=sorted(
            (DepartmentChoice(*row) for row in departments.values_list("code", "name")),
            key=lambda d: french.sort_key(d.name),
        ),
        branches=sorted(
            (BranchChoice(*row) for row in Branch.objects.values_list("slug", "name")),
            key=lambda b: french.sort_key(b.name),
        ),
    )


def filter_choices() -> FilterChoices:
    """Filter options: departments having organisations or covered by a branch, every branch, every theme.

    Cached (they change rarely and cost three queries, the departments one over every organisation).
    """
    choices = cache.get(FILTER_CHOICES_CACHE_KEY)
    if not isinstance(choices, FilterChoices):
        choices = _load_filter_choices()
        cache.set(FILTER_CHOICES_CACHE_KEY, choices, FILTER_CHOICES_TIMEOUT)
    return choices


def forget_filter_choices() -> None:
    """Drop the cached filter choices (called by signals when what they list may have changed)."""
    cache.delete(FILTER_CHOICES_CACHE_KEY)
