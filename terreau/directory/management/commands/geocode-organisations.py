import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import ngettext

from terreau.directory.models import Organisation
from terreau.territories import geocoding


class Command(BaseCommand):
    help = (
        "Géocode les organisations sans coordonnées avec la Base Adresse Nationale "
        "(à défaut, centre de leur commune), une requête à la fois."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=None, help="Nombre maximal d'organisations à traiter."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Géocoder aussi les organisations qui ont déjà des coordonnées.",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=0.1,
            help="Pause en secondes entre deux organisations, pour ménager le service (défaut : 0,1).",
        )

    def handle(self, *args, limit=None, force=False, pause=0.1, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit doit être un nombre entier positif.")
        if pause < 0:
            raise CommandError("--pause ne peut pas être négative.")
        enabled = geocoding.is_enabled()
        if not enabled:
            self.stderr.write(
                "Le géocodeur est désactivé (TERREAU_GEOCODER_URL vide) : "
                "seules les coordonnées connues des communes sont utilisées."
            )
        qs = Organisation.objects.order_by("pk")
        if not force:
            qs = qs.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))
        ids = list(qs.values_list("pk", flat=True)[:limit] if limit else qs.values_list("pk", flat=True))

        counts = {geocoding.Precision.ADDRESS: 0, geocoding.Precision.COMMUNE: 0, None: 0}
        communes = {}  # one instance per commune, so a commune centre is looked up once
        for start in range(0, len(ids), 200):
            batch = Organisation.objects.select_related("commune").filter(pk__in=ids[start : start + 200])
            for organisation in batch.order_by("pk"):
                if organisation.commune_id:
                    organisation.commune = communes.setdefault(organisation.commune_id, organisation.commune)
                if enabled and pause and sum(counts.values()):
                    time.sleep(pause)  # polite: one request at a time, spaced out
                location = geocoding.locate_organisation(organisation)
                counts[location.precision if location else None] += 1
                if location is not None:
                    geocoding.store_location(organisation, location)
        total = sum(counts.values())
        at_address = counts[geocoding.Precision.ADDRESS]
        self.stdout.write(
            ngettext("%(n)s organisation traitée", "%(n)s organisations traitées", total) % {"n": total}
            + " : "
            + ngettext("%(n)s placée à l'adresse", "%(n)s placées à l'adresse", at_address)
            % {"n": at_address}
            + f", {counts[geocoding.Precision.COMMUNE]} au centre de la commune, {counts[None]} sans coordonnées."
        )
