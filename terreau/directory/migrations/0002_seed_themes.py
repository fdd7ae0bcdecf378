from django.db import migrations


def seed(apps, schema_editor):
    from terreau.vocabulary import THEMES

    Theme = apps.get_model("directory", "Theme")
    for code, label in THEMES.items():
        Theme.objects.update_or_create(code=code, defaults={"label": label})


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
