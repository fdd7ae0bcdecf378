"""The directory's filter rows (OrganisationFilter, PostgreSQL only): the table, its GIN index on facets and
its foreign key (ON DELETE CASCADE); migration 0011 adds the kind and fills the rows."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models

CREATE_GIN = "CREATE INDEX IF NOT EXISTS directory_filter_facets_gin ON directory_organisationfilter USING gin (facets)"

CREATE_FK = (
    "ALTER TABLE directory_organisationfilter DROP CONSTRAINT IF EXISTS directory_filter_organisation_fk, "
    "ADD CONSTRAINT directory_filter_organisation_fk "
    "FOREIGN KEY (organisation_id) REFERENCES directory_organisation (id) ON DELETE CASCADE"
)


def fill_pg(apps, schema_editor):
    """Filled by migration 0011 (with the statement of that time): nothing here, so that this migration
    does not run today's statement against the columns of its own time."""


def index_pg(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CREATE_GIN)
        cursor.execute(CREATE_FK)
        cursor.execute("ANALYZE directory_organisationfilter")


def drop_pg(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS directory_filter_facets_gin")
        schema_editor.execute(
            "ALTER TABLE directory_organisationfilter DROP CONSTRAINT IF EXISTS directory_filter_organisation_fk"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_agreements"),
        ("directory", "0009_import_rejected_fields"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganisationFilter",
            fields=[
                (
                    "organisation",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="filter_row",
                        serialize=False,
                        to="directory.organisation",
                    ),
                ),
                ("name", models.CharField(max_length=255)),
                (
                    "visibility",
                    models.CharField(
                        choices=[("public", "Public"), ("branch", "Réservé à l'antenne")],
                        default="public",
                        max_length=10,
                    ),
                ),
                (
                    "facets",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), default=list, size=None
                    ),
                ),
                (
                    "branch",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="core.branch",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["name", "organisation"], name="directory_filter_name_idx")],
            },
        ),
        migrations.RunPython(fill_pg, migrations.RunPython.noop),
        migrations.RunPython(index_pg, drop_pg),
    ]
