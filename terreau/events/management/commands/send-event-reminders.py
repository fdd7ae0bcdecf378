from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from terreau.events.services import send_reminders


class Command(BaseCommand):
    help = (
        "Envoie un rappel (avec le fichier .ics) aux inscrits confirmés des rencontres qui commencent "
        "dans 24 à 48 heures ; chaque inscrit n'est rappelé qu'une fois (à lancer chaque heure ou chaque jour)."
    )

    def handle(self, *args, **options):
        count = send_reminders()
        self.stdout.write(ngettext("%(n)s rappel envoyé.", "%(n)s rappels envoyés.", count) % {"n": count})
