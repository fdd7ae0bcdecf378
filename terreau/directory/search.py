"""French full-text search of the directory, on PostgreSQL and SQLite.

What is indexed for an organisation, by weight (name > needs/offers > description), is gathered once in
Python (``_gather``) and fed to both backends, so that both find the same organisations:

- A: name and acronym;
- B: titles of its public, active (open or in discussion) needs and offers;
- C: its description and the descriptions of those needs and offers;
- D: labels of its themes.

Private or closed needs and offers never feed the organisation's index, so nothing only branch staff may
read can make an organisation findable by anonymous visitors, nor by other branches.

Private (branch-only) active needs and offers have an index of their own instead, on the NeedOffer row
(B: title, C: description; empty for every other need or offer, whose text is already in its
organisation's index). It serves only the users who may see private needs and offers (their branch's
staff, network administrators, members of their organisation: ``queries._private_needs`` decides from the
user's ids, without a query, then ``visible()`` selects the rows): ``apply_search`` then also finds an
organisation when one of the private needs or offers the user may see matches the whole query by itself,
ranked as if the query's words were in one of its need titles (B) unless its own index ranks it higher.
Words split between the organisation's text and a private need (one word in each) do not combine. For
everybody else the query is exactly the public one.

PostgreSQL (production): ``Organisation.search_vector`` is a weighted ``tsvector`` built with the
``french_unaccent`` text search configuration (a copy of ``french`` that runs ``unaccent`` before
``french_stem``, created by migration 0004), with a GIN index; queries use ``to_tsquery`` in the same
configuration and results are ordered by ``ts_rank``. ``NeedOffer.search_vector`` is the same for private
needs and offers, with a partial GIN index (migration 0008); their organisations are read once per query
(``id = ANY(ARRAY(...))``, an InitPlan), so that PostgreSQL ORs the two index scans (a BitmapOr).

SQLite (development, tests, demo): ``Organisation.search_document`` (left empty on PostgreSQL) holds the same text folded
(lower case, no accents), without the stop words of PostgreSQL's French list, stemmed with the same
Snowball French stemmer that PostgreSQL's ``french_stem`` uses, each stem prefixed by its weight letter
(" a:tablet b:tablet c:ateli "). A query stem must appear under some weight (AND semantics) and the
relevance is the sum of PostgreSQL's default weights (A 1.0, B 0.4, C 0.2, D 0.1) of the places where
each query stem appears. ``NeedOffer.search_document`` is the same for private needs and offers.

On both backends the last word of a query is matched as a prefix (for results that update as one
types) when it has three letters or more and the query does not end with a space.

The index is kept current by signals (terreau.directory.signals) on every save or delete through the
ORM; bulk writes (imports, demo data, benchmarks) call ``reindex_organisations(ids)``, which also indexes
the private needs and offers of those organisations (and unindexes those no longer private or active).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Greatest

from terreau.core.french import STOP_WORDS, fold_key, stem

PG_CONFIG = "french_unaccent"
WEIGHTS = ("a", "b", "c", "d")
# PostgreSQL's default ts_rank weights for A, B, C, D.
WEIGHT_VALUES = {"a": 1.0, "b": 0.4, "c": 0.2, "d": 0.1}
MAX_QUERY_TERMS = 12
PREFIX_MIN_LENGTH = 3
REINDEX_CHUNK = 2000


def words(text: str) -> list[str]:
    """Folded words of ``text`` that carry meaning (no stop words, no single letters)."""
    return [w for w in fold_key(text).split() if len(w) > 1 and w not in STOP_WORDS]


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def build_document(*, a: str = "", b: str = "", c: str = "", d: str = "") -> str:
    """The SQLite search document: each distinct stem once per weight, prefixed by the weight letter."""
    parts: list[str] = []
    for letter, text in zip(WEIGHTS, (a, b, c, d), strict=True):
        seen: dict[str, None] = {}
        for s in stems(text):
            seen.setdefault(s, None)
        parts.extend(f"{letter}:{s}" for s in seen)
    return f" {' '.join(parts)} " if parts else ""


@dataclass(frozen=True)
class SearchTerms:
    """A parsed query: words whose stems must all match; the last one as a prefix when ``prefix``."""

    words: tuple[str, ...] = ()
    prefix: bool = False

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(stem(w) for w in self.words)

    @classmethod
    def parse(cls, q: str) -> SearchTerms:
        q = q or ""
        found = words(q)[:MAX_QUERY_TERMS]
        if not found:
            return cls()
        by_stem: dict[str, str] = {}
        for w in found:
            by_stem.setdefault(stem(w), w)
        last = found[-1]
        prefix = not q.endswith((" ", "\t")) and len(last) >= PREFIX_MIN_LENGTH
        if prefix:  # the word typed last is matched as a prefix: keep it, and keep it last
            by_stem.pop(stem(last), None)
            by_stem[stem(last)] = last
        return cls(words=tuple(by_stem.values()), prefix=prefix)

    def tsquery(self) -> str:
        """A to_tsquery() expression of the folded words (PostgreSQL stems them with french_stem).

        Words are [a-z0-9]+, so nothing needs quoting.
        """
        terms = list(self.words)
        if self.prefix:
            terms[-1] = f"{terms[-1]}:*"
        return " & ".join(terms)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


class EqualsAny(Func):
    """PostgreSQL: ``expression = ANY(array expression)``.

    With ``ArraySubquery`` the array is read once (an InitPlan), and the condition can use a b-tree index
    and be OR-ed with a full-text index scan (a BitmapOr), where ``IN (subquery)`` under an OR cannot.
    """

    arg_joiner = " = ANY("
    template = "(%(expressions)s))"
    output_field = BooleanField()


def apply_search(qs: QuerySet, q: str, *, private_needs: QuerySet | None = None) -> tuple[QuerySet, bool]:
    """Filter organisations matching ``q`` and annotate ``rank``; returns (queryset, searched).

    ``private_needs``: the private (branch-only) active needs and offers the user may see, when they may
    see any (None otherwise: the query is then exactly the public one). An organisation is also found
    when one of them matches the whole query by itself (its title and description), and ranks at least
    as if every word of the query were in one of its public need titles (weight B).
    """
    terms = SearchTerms.parse(q)
    if not terms:
        return qs, False
    if is_postgresql():
        query = SearchQuery(terms.tsquery(), search_type="raw", config=PG_CONFIG)
        rank = SearchRank(F("search_vector"), query)
        if private_needs is None:
            return qs.filter(search_vector=query).annotate(rank=rank), True
        matching = private_needs.filter(search_vector=query).order_by().values("organisation_id")
        found = EqualsAny(F("pk"), ArraySubquery(matching))
        # A constant: the rank of a vector holding the query's own words at weight B.
        like_b = SearchRank(SearchVector(Value(" ".join(terms.words)), config=PG_CONFIG, weight="B"), query)
        return _with_private_matches(qs, Q(search_vector=query), rank, found, like_b), True
    rank = Value(0.0, output_field=FloatField())
    public = Q()
    in_need = Q()
    last = len(terms.stems) - 1
    for i, s in enumerate(terms.stems):
        end = "" if (terms.prefix and i == last) else " "
        match = Q()
        for letter in WEIGHTS:
            term = Q(search_document__contains=f" {letter}:{s}{end}")
            match |= term
            rank = rank + Case(When(term, then=Value(WEIGHT_VALUES[letter])), default=Value(0.0))
        if private_needs is None:
            qs = qs.filter(match)
        else:
            public &= match
            in_need &= Q(search_document__contains=f" b:{s}{end}") | Q(
                search_document__contains=f" c:{s}{end}"
            )
    rank = Coalesce(rank, Value(0.0), output_field=FloatField())
    if private_needs is None:
        return qs.annotate(rank=rank), True
    found = Q(pk__in=private_needs.filter(in_need).order_by().values("organisation_id"))
    like_b = Value(WEIGHT_VALUES["b"] * len(terms.stems), output_field=FloatField())
    return _with_private_matches(qs, public, rank, found, like_b), True


def _with_private_matches(qs: QuerySet, public, rank, found, like_b) -> QuerySet:
    """Organisations matching ``public`` (their own index) or ``found`` (one of their private needs)."""
    extra = Case(When(found, then=like_b), default=Value(0.0), output_field=FloatField())
    return qs.filter(Q(public) | Q(found)).annotate(rank=Greatest(rank, extra, output_field=FloatField()))


# --- indexing --------------------------------------------------------------------------------------


def _gather(ids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    """The weighted texts (A, B, C, D) of these organisations."""
    from terreau.core.models import Visibility
    from terreau.directory.models import NeedOffer, Organisation

    orgs = Organisation.objects.filter(pk__in=ids).values_list("pk", "name", "acronym", "description")
    titles: dict[int, list[str]] = defaultdict(list)
    descriptions: dict[int, list[str]] = defaultdict(list)
    needs = (
        NeedOffer.objects.active()
        .filter(organisation_id__in=ids, visibility=Visibility.PUBLIC)
        .order_by("pk")
        .values_list("organisation_id", "title", "description")
    )
    for org_id, title, description in needs:
        titles[org_id].append(title)
        if description:
            descriptions[org_id].append(description)
    labels: dict[int, list[str]] = defaultdict(list)
    through = Organisation.themes.through.objects.filter(organisation_id__in=ids)
    for org_id, label in through.order_by("theme__label").values_list("organisation_id", "theme__label"):
        labels[org_id].append(label)
    return {
        pk: (
            f"{name} {acronym}".strip(),
            "\n".join(titles[pk]),
            "\n".join([description, *descriptions[pk]]).strip(),
            " ".join(labels[pk]),
        )
        for pk, name, acronym, description in orgs
    }


def pg_vector_sql(a: str, b: str = "''", c: str = "''", d: str = "''") -> str:
    """The PostgreSQL expression of the weighted search vector of the SQL text expressions a, b, c, d.

    The one expression every PostgreSQL write of ``search_vector`` uses (``_write`` and the set-based
    ``pg_new_organisation_vector_sql``), so they cannot drift apart.
    """
    return (
        f"setweight(to_tsvector('{PG_CONFIG}', {a}), 'A')"
        f" || setweight(to_tsvector('{PG_CONFIG}', {b}), 'B')"
        f" || setweight(to_tsvector('{PG_CONFIG}', {c}), 'C')"
        f" || setweight(to_tsvector('{PG_CONFIG}', {d}), 'D')"
    )


def pg_new_organisation_vector_sql(alias: str) -> str:
    """PostgreSQL: the search vector of a row ``alias`` of organisation columns, computed in SQL.

    Valid for an organisation that has no needs, offers or themes yet (a new row of a bulk insert): it is
    then exactly what ``reindex_organisations`` builds from ``_gather`` — A: name and acronym, B: empty,
    C: the description, D: empty (to_tsvector ignores surrounding whitespace). Lets set-based writers
    (the CSV importer's ``INSERT ... SELECT``) index rows in the statement that creates them instead of
    writing every row twice.
    """
    return pg_vector_sql(
        a=f"{alias}.name || ' ' || {alias}.acronym",
        c=f"{alias}.description",
    )


def _write(texts: dict[int, tuple[str, str, str, str]]) -> None:
    from terreau.directory.models import Organisation

    if not texts:
        return
    table = connection.ops.quote_name(Organisation._meta.db_table)
    ids = list(texts)
    with connection.cursor() as cursor:
        if is_postgresql():
            # PostgreSQL searches search_vector only: search_document stays empty (a narrower table).
            cols = list(zip(*texts.values(), strict=True))
            cursor.execute(
                f"""
                UPDATE {table} AS o SET
                  search_document = '',
                  search_vector = {pg_vector_sql("v.a", "v.b", "v.c", "v.d")}
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
                  AS v(id, a, b, c, d)
                WHERE o.id = v.id
                """,  # noqa: S608 (table name and configuration are constants, values are parameters)
                [ids, list(cols[0]), list(cols[1]), list(cols[2]), list(cols[3])],
            )
        else:
            docs = [build_document(a=a, b=b, c=c, d=d) for a, b, c, d in texts.values()]
            cursor.executemany(
                f"UPDATE {table} SET search_document = %s WHERE id = %s",  # noqa: S608
                list(zip(docs, ids, strict=True)),
            )


def pg_need_vector_sql(alias: str) -> str:
    """PostgreSQL: the search vector of a need or offer (row ``alias``): B: its title, C: its description,
    the weights its text has in its organisation's index."""
    return pg_vector_sql(a="''", b=f"{alias}.title", c=f"{alias}.description")


def _private_active() -> tuple[str, list[str]]:
    """(visibility, statuses) of the needs and offers that have their own index (see NeedOffer): private
    and active (the statuses of NeedOfferQuerySet.active(), which the search applies on top)."""
    from terreau.core.models import Visibility
    from terreau.directory.models import NeedOfferStatus

    return Visibility.BRANCH.value, [NeedOfferStatus.OPEN.value, NeedOfferStatus.IN_DISCUSSION.value]


def _write_needs(ids: list[int]) -> None:
    """Index the private active needs and offers of these organisations, unindex their other ones.

    Only rows whose index changes are written: reindexing an organisation (its name changed) rewrites
    none of its needs and offers, and public ones are never touched.
    """
    from terreau.directory.models import NeedOffer

    if not ids:
        return
    visibility, statuses = _private_active()
    table = connection.ops.quote_name(NeedOffer._meta.db_table)
    with connection.cursor() as cursor:
        if is_postgresql():
            vector = f"CASE WHEN n.visibility = %s AND n.status = ANY(%s) THEN {pg_need_vector_sql('n')} END"
            cursor.execute(
                f"""
                UPDATE {table} AS n SET search_vector = {vector}
                WHERE n.organisation_id = ANY(%s::bigint[])
                  AND ((n.visibility = %s AND n.status = ANY(%s)) OR n.search_vector IS NOT NULL)
                  AND n.search_vector IS DISTINCT FROM {vector}
                """,  # noqa: S608 (table name and configuration are constants, values are parameters)
                [visibility, statuses, ids, visibility, statuses, visibility, statuses],
            )
            return
        rows = (
            NeedOffer.objects.filter(organisation_id__in=ids)
            .filter(Q(visibility=visibility, status__in=statuses) | ~Q(search_document=""))
            .values_list("pk", "title", "description", "visibility", "status", "search_document")
        )
        changed = []
        for pk, title, description, row_visibility, status, current in rows:
            private = row_visibility == visibility and status in statuses
            document = build_document(b=title, c=description) if private else ""
            if document != current:
                changed.append((document, pk))
        if changed:
            cursor.executemany(
                f"UPDATE {table} SET search_document = %s WHERE id = %s",  # noqa: S608
                changed,
            )


def pg_filter_rows_sql(where: str) -> str:
    """PostgreSQL: one statement writing the filter rows (models.OrganisationFilter) of the organisations
    ``o`` selected by the SQL condition ``where`` (its parameters are named: %(ids)s, %(first)s...; the
    statement adds %(public)s and %(active)s, see ``filter_sql_params``). Rows that do not change are not
    rewritten. The one expression of the facets, used by reindexing, the migration that fills the table and
    the benchmarks' generator: they cannot drift apart. Public active needs and offers only: those every
    user who may see the organisation may see (the private ones are tested per user by the search)."""
    return f"""
        INSERT INTO directory_organisationfilter AS f (organisation_id, name, kind, visibility, branch_id, facets)
        SELECT o.id, o.name, o.kind, o.visibility, o.branch_id, ARRAY(
            SELECT DISTINCT s.x FROM (
                SELECT 'd:' || c.department_id FROM territories_commune AS c WHERE c.code = o.commune_id
                UNION ALL SELECT 'b:' || o.branch_id
                UNION ALL SELECT 't:' || ot.theme_id FROM directory_organisation_themes AS ot
                    WHERE ot.organisation_id = o.id
                UNION ALL SELECT v.x FROM directory_needoffer AS n
                    CROSS JOIN LATERAL (VALUES ('t:' || n.theme_id), ('y:' || n.type), ('r:' || n.direction),
                                               ('y:' || n.type || ':' || n.direction)) AS v(x)
                    WHERE n.organisation_id = o.id AND n.visibility = %(public)s AND n.status = ANY(%(active)s)
            ) AS s(x) WHERE s.x IS NOT NULL ORDER BY s.x)
        FROM directory_organisation AS o
        WHERE {where}
        ON CONFLICT (organisation_id) DO UPDATE SET
            name = EXCLUDED.name, kind = EXCLUDED.kind, visibility = EXCLUDED.visibility,
            branch_id = EXCLUDED.branch_id, facets = EXCLUDED.facets
        WHERE (f.name, f.kind, f.visibility, f.branch_id, f.facets)
            IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.visibility, EXCLUDED.branch_id, EXCLUDED.facets)
    """  # noqa: S608 (constant SQL; values are parameters)


def filter_sql_params() -> dict[str, object]:
    from terreau.core.models import Visibility

    _private, statuses = _private_active()
    return {"public": Visibility.PUBLIC.value, "active": statuses}


def _write_filters(ids: list[int]) -> None:
    """PostgreSQL: the filter rows of these organisations (SQLite filters the organisation rows)."""
    if ids and is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                pg_filter_rows_sql("o.id = ANY(%(ids)s::bigint[])"), {**filter_sql_params(), "ids": ids}
            )


def reindex_organisations(ids: Iterable[int]) -> None:
    """Rebuild the search index of these organisations, of their private needs and offers and their
    filter rows (after bulk writes that bypass signals).

    Unknown ids are ignored. Works in chunks, so it can be given every id of a large import.
    """
    id_list = sorted({int(i) for i in ids if i is not None})
    for start in range(0, len(id_list), REINDEX_CHUNK):
        chunk = id_list[start : start + REINDEX_CHUNK]
        _write(_gather(chunk))
        _write_needs(chunk)
        _write_filters(chunk)


def refresh_filters(ids: Iterable[int]) -> None:
    """The filter rows only, for writers that index the text themselves (the importer's set-based
    INSERT of new organisations)."""
    id_list = sorted({int(i) for i in ids if i is not None})
    for start in range(0, len(id_list), REINDEX_CHUNK):
        _write_filters(id_list[start : start + REINDEX_CHUNK])


def reindex_all() -> int:
    """Rebuild the index of every organisation; returns how many were indexed."""
    from terreau.directory.models import Organisation

    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    reindex_organisations(ids)
    return len(ids)
