"""Directory rows at national-register size for bench/load.py (--orgs 2000000): generated inside PostgreSQL.

bench/load_data.fill() builds every row in Python (about 1,000 organisations a second with their needs on
this machine kind when it is loaded): fine for 100,000, half an hour and more for 2,000,000. Here the same
vocabulary (bench/directory.py) and the same communes (population-weighted, official geography) are drawn
by PostgreSQL itself (INSERT ... SELECT over generate_series), and the search columns are computed by one
set-based UPDATE per block with the production expression (terreau.directory.search.pg_vector_sql, the one
every PostgreSQL write of search_vector uses, over the same texts as reindex_organisations: name and
acronym; public active needs' titles; description and their descriptions; theme labels), and the filter
rows (OrganisationFilter) by the statement reindexing writes them with (search.pg_filter_rows_sql).

Directory rows only: organisations, themes, needs and offers. The 2,000,000 case of bench/load.py measures
the directory search alone (no members, events or suggestions).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import directory as vocab  # noqa: E402
import load_data  # noqa: E402

PICKS = 20_000  # population-weighted commune draws the rows pick from


def _pick(array: str) -> str:
    """SQL: a random element of the text[] parameter `array` (random() is evaluated per row)."""
    return f"(%({array})s::text[])[1 + floor(random() * cardinality(%({array})s::text[]))::int]"


def fill_sql(
    *, orgs: int, per_org: int = 1, block: int = 250_000, seed: int = 2026, log=print
) -> load_data.Plan:
    from django.db import connection, transaction

    from terreau.directory.models import NeedOffer, Organisation, Theme
    from terreau.directory.search import (
        filter_sql_params,
        pg_filter_rows_sql,
        pg_need_vector_sql,
        pg_vector_sql,
    )
    from terreau.territories.models import Commune, PostalCode

    rng = random.Random(seed)
    plan = load_data.Plan()
    communes = list(
        Commune.objects.filter(population__gt=0)
        .order_by("code")
        .values_list("code", "name", "department_id", "population")
    )
    postal = dict(
        PostalCode.objects.order_by("commune_id", "code")
        .distinct("commune_id")
        .values_list("commune_id", "code")
    )
    load_data._truncate()
    branches = load_data._branches()
    picked = rng.choices(communes, weights=[c[3] for c in communes], k=PICKS)
    kinds = [k for k, w in vocab.KINDS for _ in range(w)]
    params = {
        "kinds": kinds,
        "adj": vocab.ADJECTIVES,
        "people": vocab.PEOPLE,
        "surnames": vocab.SURNAMES,
        "assoc": vocab.ASSOCIATION_NAMES,
        "company": vocab.COMPANY_NAMES,
        "foundation": vocab.FOUNDATIONS,
        "public": vocab.PUBLIC,
        "hosts": vocab.HOSTS,
        "activities": vocab.ACTIVITIES,
        "audiences": vocab.AUDIENCES,
        "topics": vocab.TOPICS,
        "purposes": vocab.PURPOSES,
        "prefixes": vocab.OFFER_PREFIXES,
        "details": vocab.NEED_DETAILS,
        "themes": vocab.THEME_CODES,
    }
    sentence = f"{_pick('activities')} || ' ' || {_pick('audiences')} || ' ' || {_pick('topics')} || '.'"
    pattern = (
        "CASE k.kind WHEN 'company' THEN {c} WHEN 'foundation' THEN {f} WHEN 'public_body' THEN {p} "
        "WHEN 'host_structure' THEN {h} ELSE {a} END"
    ).format(c=_pick("company"), f=_pick("foundation"), p=_pick("public"), h=_pick("hosts"), a=_pick("assoc"))
    name = (
        f"replace(replace(replace(replace({pattern}, '{{a}}', {_pick('adj')}), '{{b}}', {_pick('people')}),"
        f" '{{city}}', c.name), '{{s}}', {_pick('surnames')})"
    )
    exprs = {
        "created_at": "now()",
        "updated_at": "now()",
        "kind": "k.kind",
        "name": name,
        "slug": "'charge-' || g",
        "commune_id": "c.code",
        "postal_code": "c.postal",
        "address": f"(1 + floor(random() * 120))::int || ' rue ' || {_pick('surnames')}",
        "description": f"{sentence} || CASE WHEN random() < 0.6 THEN ' ' || {sentence} ELSE '' END",
        "branch_id": "c.branch_id",
        "visibility": "CASE WHEN random() < 0.1 THEN 'branch' ELSE 'public' END",
        "is_demo": "true",
    }
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE load_pick (i int PRIMARY KEY, code text, name text, postal text, branch_id bigint)"
        )
        with cursor.cursor.copy("COPY load_pick (i, code, name, postal, branch_id) FROM STDIN") as copy:
            for i, (code, cname, department, _pop) in enumerate(picked):
                branch = branches.get(department)
                copy.write_row([i, code, cname, postal.get(code, ""), branch.pk if branch else None])
        columns, values, defaults = [], [], {}
        for f in Organisation._meta.concrete_fields:
            if f.primary_key:
                continue
            columns.append(connection.ops.quote_name(f.column))
            if f.column in exprs:
                values.append(exprs[f.column])
            else:
                defaults[f.column] = f.get_db_prep_save(f.get_default(), connection)
                values.append(f"%({f.column})s")
        insert_orgs = (
            f"INSERT INTO directory_organisation ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM generate_series(%(start)s, %(stop)s) AS g "
            f"CROSS JOIN LATERAL (SELECT {_pick('kinds')} AS kind, floor(random() * {PICKS} + 0 * g)::int AS ci) AS k "
            "JOIN load_pick AS c ON c.i = k.ci "
            "RETURNING id"
        )
        need_values = {
            "created_at": "now()",
            "updated_at": "now()",
            "organisation_id": "o.id",
            "direction": "CASE WHEN x.need THEN 'need' ELSE 'offer' END",
            "type": "x.type",
            "theme_id": "x.theme",
            "title": f"CASE WHEN x.need THEN x.thing || ' ' || {_pick('purposes')} "
            f"ELSE {_pick('prefixes')} || ' ' || lower(left(x.thing, 1)) || substr(x.thing, 2) END",
            "description": _pick("details"),
            "status": "(ARRAY['open','open','open','open','open','open','open','in_discussion',"
            "'fulfilled','withdrawn'])[1 + floor(random() * 10)::int]",
            "visibility": "CASE WHEN random() < 0.1 THEN 'branch' ELSE 'public' END",
            "is_demo": "true",
        }
        n_columns, n_values = [], []
        for f in NeedOffer._meta.concrete_fields:
            if f.primary_key:
                continue
            n_columns.append(connection.ops.quote_name(f.column))
            if f.column in need_values:
                n_values.append(need_values[f.column])
            else:
                defaults[f"n_{f.column}"] = f.get_db_prep_save(f.get_default(), connection)
                n_values.append(f"%(n_{f.column})s")
        objects = vocab.NEED_OBJECTS
        params.update(
            {
                "o_types": [o[0] for o in objects],
                "o_themes": [o[1] for o in objects],
                "o_things": [o[2] for o in objects],
            }
        )
        insert_needs = (
            f"INSERT INTO directory_needoffer ({', '.join(n_columns)}) "  # noqa: S608
            f"SELECT {', '.join(n_values)} FROM directory_organisation AS o "
            "CROSS JOIN generate_series(1, %(per_org)s) AS r "
            "CROSS JOIN LATERAL (SELECT j, random() < 0.55 AS need, (%(o_types)s::text[])[j] AS type, "
            "(%(o_themes)s::text[])[j] AS theme, (%(o_things)s::text[])[j] AS thing "
            f"FROM (SELECT 1 + floor(random() * {len(objects)} + 0 * o.id + 0 * r)::int AS j) AS jj) AS x "
            "WHERE o.id BETWEEN %(first)s AND %(last)s"
        )
        insert_themes = (
            "INSERT INTO directory_organisation_themes (organisation_id, theme_id) "  # noqa: S608
            f"SELECT o.id, {_pick('themes')} FROM directory_organisation AS o "
            "CROSS JOIN generate_series(1, 2) AS r "
            "WHERE o.id BETWEEN %(first)s AND %(last)s AND random() < 0.6 ON CONFLICT DO NOTHING"
        )
        made = 0
        while made < orgs:
            size = min(block, orgs - made)
            with transaction.atomic():
                cursor.execute(insert_orgs, {**params, **defaults, "start": made, "stop": made + size - 1})
                ids = [row[0] for row in cursor.fetchall()]
                span = {**params, **defaults, "first": min(ids), "last": max(ids), "per_org": per_org}
                cursor.execute(insert_needs, span)
                cursor.execute(insert_themes, span)
            made += size
            log(f"  {made:,} organisations écrites ({time.perf_counter() - t0:.0f} s)".replace(",", " "))
        plan.seconds["insert"] = round(time.perf_counter() - t0, 1)

        t0 = time.perf_counter()
        labels = dict(Theme.objects.values_list("code", "label"))
        cursor.execute("CREATE TEMP TABLE load_theme (code text PRIMARY KEY, label text)")
        for code, label in labels.items():
            cursor.execute("INSERT INTO load_theme VALUES (%s, %s)", [code, label])
        vector = pg_vector_sql(
            a="o.name || ' ' || o.acronym",
            b="coalesce(t.titles, '')",
            c="o.description || coalesce(E'\\n' || t.descriptions, '')",
            d="coalesce(th.labels, '')",
        )
        update = f"""
            UPDATE directory_organisation AS o SET search_document = '', search_vector = {vector}
            FROM directory_organisation AS o2
            LEFT JOIN LATERAL (
                SELECT string_agg(n.title, E'\\n' ORDER BY n.id) AS titles,
                       string_agg(nullif(n.description, ''), E'\\n' ORDER BY n.id) AS descriptions
                FROM directory_needoffer AS n
                WHERE n.organisation_id = o2.id AND n.visibility = 'public'
                  AND n.status IN ('open', 'in_discussion')
            ) AS t ON true
            LEFT JOIN LATERAL (
                SELECT string_agg(lt.label, ' ' ORDER BY lt.label) AS labels
                FROM directory_organisation_themes AS ot JOIN load_theme AS lt ON lt.code = ot.theme_id
                WHERE ot.organisation_id = o2.id
            ) AS th ON true
            WHERE o.id = o2.id AND o2.id BETWEEN %s AND %s
        """  # noqa: S608 (constant SQL)
        cursor.execute("SELECT min(id), max(id) FROM directory_organisation")
        low, high = cursor.fetchone()
        for start in range(low, high + 1, block):
            with transaction.atomic():
                cursor.execute(update, [start, start + block - 1])
            log(
                f"  indexées jusqu'à {start + block - low:,} ({time.perf_counter() - t0:.0f} s)".replace(
                    ",", " "
                )
            )
        cursor.execute(
            f"UPDATE directory_needoffer AS n SET search_vector = {pg_need_vector_sql('n')} "  # noqa: S608
            "WHERE n.visibility = 'branch' AND n.status IN ('open', 'in_discussion')"
        )
        plan.seconds["index"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        # The filter rows (OrganisationFilter) by the statement reindexing and migration 0010 use.
        filters = pg_filter_rows_sql("o.id BETWEEN %(first)s AND %(last)s")
        for start in range(low, high + 1, block):
            with transaction.atomic():
                cursor.execute(filters, {**filter_sql_params(), "first": start, "last": start + block - 1})
        plan.seconds["filters"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        for table in (
            "directory_organisation",
            "directory_needoffer",
            "directory_organisation_themes",
            "directory_organisationfilter",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE")
        plan.seconds["analyze"] = round(time.perf_counter() - t0, 1)
    return plan
