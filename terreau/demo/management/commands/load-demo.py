"""`terreau load-demo`: (re)loads the demo territory and prints the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from terreau.demo.errors import DemoError
from terreau.demo.loader import load_demo

DEMO_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = _(
        "Charge le territoire de démonstration (réseau, antennes Poitou-Charentes et Alsace, organisations, "
        "besoins et ressources, comptes de démonstration). Relancer la commande remplace la démonstration "
        "précédente sans créer de doublons."
    )

    def handle(self, *args, **options):
        try:
            result = load_demo()
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Démonstration chargée : %(orgs)d organisations, %(items)d besoins et ressources "
                    "dans les antennes %(branches)s."
                )
                % {
                    "orgs": result.organisations,
                    "items": result.needs_offers,
                    "branches": ", ".join(result.branches),
                }
            )
        )
        headers = (_("Rôle"), _("Adresse e-mail"), _("Mot de passe"))
        rows = [(login.role, login.email, login.password) for login in result.logins]
        widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]

        def line(cells) -> str:
            return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

        self.stdout.write("")
        self.stdout.write(_("Comptes de démonstration :"))
        self.stdout.write(line(headers))
        self.stdout.write(line(["-" * w for w in widths]))
        for row in rows:
            self.stdout.write(line(row))
        self.stdout.write("")
        self.stdout.write(_("Ouvrez %(url)s dans votre navigateur.") % {"url": DEMO_URL})
