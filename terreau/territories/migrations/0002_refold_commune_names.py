"""Commune names are folded with ligatures spelt out ("Vandœuvre-lès-Nancy" -> "vandoeuvre les nancy"):
refold the stored names so that a search for "Vandoeuvre" finds them."""

from django.db import migrations

from terreau.core.french import fold_key


def refold(apps, schema_editor):
    Commune = apps.get_model("territories", "Commune")
    changed = []
    for commune in Commune.objects.only("code", "name", "name_folded").iterator(chunk_size=2000):
        folded = fold_key(commune.name)
        if folded != commune.name_folded:
            commune.name_folded = folded
            changed.append(commune)
    Commune.objects.bulk_update(changed, ["name_folded"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("territories", "0001_initial")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
