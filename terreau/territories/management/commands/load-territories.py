from django.core.management.base import BaseCommand, CommandError

from terreau.territories.loader import load_territories


class Command(BaseCommand):
    help = (
        "Charge la géographie officielle (régions, départements, intercommunalités, communes) depuis "
        "@etalab/decoupage-administratif."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--departments", help="Limiter les communes à ces départements (ex. 16,17,79,86)."
        )

    def handle(self, *args, departments=None, **options):
        wanted = {d.strip() for d in departments.split(",")} if departments else None
        try:
            result = load_territories(departments=wanted)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Territoires chargés : {result.regions} régions, {result.departments} départements, "
            f"{result.epcis} intercommunalités, {result.communes} communes, {result.postal_codes} codes postaux."
        )
