"""A search index of private (branch-only) active needs and offers, and a first indexing of them.

The organisation's index holds only its public needs and offers; those who may see private ones (the
branch's staff, the organisation's members) also find an organisation through them (see
terreau.directory.search). Only private active needs and offers are indexed: public ones are already in
their organisation's index, so they keep an empty document and a NULL vector, and PostgreSQL's GIN index
is partial (NULL vectors stay out of it: writes of public rows never touch it).

The data step is self-contained (it does not call the current indexing code): the same weights as
terreau.directory.search writes (B: title, C: description; SQLite: build_document, a pure function).
"""

import django.contrib.postgres.search
from django.db import migrations, models

ACTIVE = ("open", "in_discussion")

INDEX_PG = """
UPDATE directory_needoffer SET search_vector =
  setweight(to_tsvector('french_unaccent', title), 'B')
  || setweight(to_tsvector('french_unaccent', description), 'C')
WHERE visibility = 'branch' AND status IN ('open', 'in_discussion')
"""
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS directory_needoffer_search_gin "
    "ON directory_needoffer USING gin (search_vector) WHERE search_vector IS NOT NULL"
)


def index_private_needs(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_PG)
        return
    from terreau.directory.search import build_document

    NeedOffer = apps.get_model("directory", "NeedOffer")
    rows = NeedOffer.objects.filter(visibility="branch", status__in=ACTIVE).values_list(
        "pk", "title", "description"
    )
    for pk, title, description in rows.iterator(chunk_size=2000):
        NeedOffer.objects.filter(pk=pk).update(search_document=build_document(b=title, c=description))


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS directory_needoffer_search_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0007_fewer_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="needoffer",
            name="search_document",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="needoffer",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        # The rows first, then the index (built once rather than maintained row by row).
        migrations.RunPython(index_private_needs, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
