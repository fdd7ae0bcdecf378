"""Kinds of message of the notifications app itself."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="notifications.digest",
        label=_("Résumé quotidien"),
        description=_(
            "Un courriel chaque matin qui regroupe les notifications que vous avez choisi de recevoir ainsi."
        ),
        category=_("Compte"),
        optional=False,
    ),
)
