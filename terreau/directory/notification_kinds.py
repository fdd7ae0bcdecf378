"""Kinds of message sent about the directory (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="directory.membership",
        label=_("Ajout comme membre d'une structure"),
        description=_("Quand on vous ajoute aux membres d'une structure de l'annuaire."),
        category=_("Annuaire"),
        optional=False,
    ),
)
