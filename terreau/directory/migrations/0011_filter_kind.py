"""The directory's filter rows: the kind as a column (it leads an index: names follow kinds), covering
indexes for pages in name order, and the rows (re)written for every organisation, set-based in blocks of
ids with the statement reindexing uses (PostgreSQL only; SQLite keeps the table empty)."""

from django.db import migrations, models

BLOCK = 200_000


def fill_pg(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from terreau.directory.search import filter_sql_params, pg_filter_rows_sql

    sql = pg_filter_rows_sql("o.id BETWEEN %(first)s AND %(last)s")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM directory_organisation")
        low, high = cursor.fetchone()
        if low is not None:
            for first in range(low, high + 1, BLOCK):
                cursor.execute(sql, {**filter_sql_params(), "first": first, "last": first + BLOCK - 1})
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
