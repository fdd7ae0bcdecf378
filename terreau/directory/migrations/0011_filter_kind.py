"""The directory's filter rows: the kind as a column (it leads an index: names follow kinds), covering
indexes for pages in name order, and the rows (re)written for every organisation, set-based in blocks of
ids with the statement reindexing uses (PostgreSQL only; SQLite keeps the table empty)."""

from django.db import migrations, models

BLOCK = 200_000


# The statement as it was when this migration was written (terreau.directory.search.pg_filter_rows_sql), frozen
# here: a migration must not run today's code, which may use columns of later migrations.
FILL_SQL = """
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
                WHERE n.organisation_id = o.id AND n.visibility = 'public' AND n.status IN ('open', 'in_discussion')
        ) AS s(x) WHERE s.x IS NOT NULL ORDER BY s.x)
    FROM directory_organisation AS o
    WHERE o.id BETWEEN %(first)s AND %(last)s
    ON CONFLICT (organisation_id) DO UPDATE SET
        name = EXCLUDED.name, kind = EXCLUDED.kind, visibility = EXCLUDED.visibility,
        branch_id = EXCLUDED.branch_id, facets = EXCLUDED.facets
    WHERE (f.name, f.kind, f.visibility, f.branch_id, f.facets)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.visibility, EXCLUDED.branch_id, EXCLUDED.facets)
"""


def fill_pg(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM directory_organisation")
        low, high = cursor.fetchone()
        if low is not None:
            for first in range(low, high + 1, BLOCK):
                cursor.execute(FILL_SQL, {"first": first, "last": first + BLOCK - 1})
        cursor.execute("ANALYZE directory_organisationfilter")


class Migration(migrations.Migration):
    dependencies = [("directory", "0010_organisation_filter")]

    operations = [
        migrations.AddField(
            model_name="organisationfilter",
            name="kind",
            field=models.CharField(
                choices=[
                    ("association", "Association"),
                    ("company", "Entreprise"),
                    ("foundation", "Fondation"),
                    ("public_body", "Collectivité ou organisme public"),
                    ("host_structure", "Structure d'accueil"),
                    ("other", "Autre"),
                ],
                default="",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RemoveIndex(model_name="organisationfilter", name="directory_filter_name_idx"),
        # Rows first, indexes built once afterwards.
        migrations.RunPython(fill_pg, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="organisationfilter",
            index=models.Index(
                fields=["name", "organisation"],
                include=("visibility", "branch", "facets"),
                name="directory_filter_name_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="organisationfilter",
            index=models.Index(
                fields=["kind", "name", "organisation"],
                include=("visibility", "branch", "facets"),
                name="directory_filter_kind_name_idx",
            ),
        ),
    ]
