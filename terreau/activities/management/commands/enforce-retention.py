from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from terreau.activities import rules
from terreau.activities.participants import enforce_retention


class Command(BaseCommand):
    help = (
        f"Anonymise les participants (personnes âgées) sans participation depuis {rules.PARTICIPANT_RETENTION_YEARS} "
        "ans ; leurs présences restent comptées dans les statistiques (à lancer chaque jour par cron)."
    )

    def handle(self, *args, **options):
        count = enforce_retention()
        self.stdout.write(
            ngettext("%(n)s participant anonymisé.", "%(n)s participants anonymisés.", count) % {"n": count}
        )
