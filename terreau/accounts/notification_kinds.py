"""Kinds of message sent about accounts (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="accounts.password_reset",
        label=_("Réinitialisation du mot de passe"),
        description=_("Le lien pour choisir un nouveau mot de passe, envoyé quand vous le demandez."),
        category=_("Compte"),
        optional=False,
        secret=True,
    ),
    Kind(
        code="accounts.staff_role",
        label=_("Rôle d'animation d'une antenne"),
        description=_("Quand on vous confie l'animation d'une antenne, avec le lien pour créer votre accès."),
        category=_("Compte"),
        optional=False,
    ),
)
