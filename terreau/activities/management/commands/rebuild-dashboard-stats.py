from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from terreau.activities import stats


class Command(BaseCommand):
    help = (
        "Recalcule le résumé mensuel par site du tableau de bord à partir des séances "
        "(après une écriture en masse qui a contourné les services)."
    )

    def handle(self, *args, **options):
        rows = stats.rebuild()
        self.stdout.write(
            ngettext(
                "Résumé du tableau de bord recalculé : %(n)s ligne site × mois.",
                "Résumé du tableau de bord recalculé : %(n)s lignes site × mois.",
                rows,
            )
            % {"n": rows}
        )
