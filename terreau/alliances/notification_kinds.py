"""Kinds of message sent about alliances: working groups and charters (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="alliances.group",
        label=_("Groupes de travail"),
        description=_("Une demande pour rejoindre un groupe que vous pilotez, la réponse à votre demande."),
        category=_("Alliances"),
    ),
    Kind(
        code="alliances.charter",
        label=_("Chartes des collectifs"),
        description=_("Une charte soumise à l'approbation de votre structure, une charte approuvée par tous."),
        category=_("Alliances"),
    ),
)
