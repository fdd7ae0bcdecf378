from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from terreau.partnerships.services import contact_requests_expire


class Command(BaseCommand):
    help = "Fait expirer les demandes de mise en relation restées sans réponse (à lancer chaque jour)."

    def handle(self, *args, **options):
        count = contact_requests_expire()
        self.stdout.write(
            ngettext("%(n)s demande expirée.", "%(n)s demandes expirées.", count) % {"n": count}
        )
