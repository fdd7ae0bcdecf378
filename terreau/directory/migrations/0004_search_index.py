"""Full-text search: the PostgreSQL search vector, its configuration and GIN index, and a first indexing.

PostgreSQL: the unaccent extension, a `french_unaccent` text search configuration (french with unaccent
before french_stem), the `search_vector` column with a GIN index. SQLite keeps the column unused (NULL)
and searches `search_document` (see terreau.directory.search).
"""

import django.contrib.postgres.search
from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

CREATE_CONFIG = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
    CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
    ALTER TEXT SEARCH CONFIGURATION french_unaccent
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
  END IF;
END
$$;
"""
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS directory_organisation_search_gin "
    "ON directory_organisation USING gin (search_vector)"
)


def forwards_pg(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_CONFIG)
    schema_editor.execute(CREATE_INDEX)


def backwards_pg(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS directory_organisation_search_gin")
    schema_editor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent")


def index_existing(apps, schema_editor):
    """Nothing here any more: organisations written before this migration are indexed after the last
    migration (terreau.directory.signals.index_unindexed, on post_migrate), with today's code against today's
    schema. Calling today's indexer from here wrote columns and tables later migrations add."""


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_import_runs")]

    operations = [
        UnaccentExtension(),
        migrations.AddField(
            model_name="organisation",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forwards_pg, backwards_pg),
        migrations.RunPython(index_existing, migrations.RunPython.noop),
    ]
