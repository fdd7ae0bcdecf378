"""`terreau create-api-token EMAIL`: print a user's API token (created if missing)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from terreau.api import services


class Command(BaseCommand):
    help = "Affiche le jeton d'API d'un utilisateur (le crée s'il n'existe pas)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="Adresse e-mail du compte.")
        parser.add_argument(
            "--regenerate", action="store_true", help="Remplacer le jeton existant par un nouveau."
        )

    def handle(self, *args: Any, email: str, regenerate: bool, **options: Any) -> None:
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"Aucun compte avec l'adresse {email}.")
        if not user.is_active:
            raise CommandError(f"Le compte {email} est désactivé : pas de jeton d'API.")
        token, created = services.token_issue(user=user, regenerate=regenerate)
        self.stdout.write(token.key)
        if created:
            self.stderr.write(f"Nouveau jeton créé pour {user.email}.")
