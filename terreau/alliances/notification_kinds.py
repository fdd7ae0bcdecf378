"""Kinds of message sent about territorial diagnoses (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="alliances.consultation_invitation",
        label=_("Invitations à une consultation du territoire"),
        description=_("L'invitation d'une antenne à répondre à la consultation d'un diagnostic territorial."),
        category=_("Diagnostics territoriaux"),
        optional=False,
    ),
    Kind(
        code="alliances.consultation_reminder",
        label=_("Relances d'une consultation du territoire"),
        description=_("Un rappel quand votre structure n'a pas encore répondu à une consultation."),
        category=_("Diagnostics territoriaux"),
    ),
    Kind(
        code="alliances.consultation_receipt",
        label=_("Accusé de réception d'une réponse à une consultation"),
        description=_(
            "Le lien pour modifier la réponse de votre structure tant que la consultation est ouverte."
        ),
        category=_("Diagnostics territoriaux"),
        optional=False,
        secret=True,
    ),
)

# Working groups and charters (terreau.alliances.groups, terreau.alliances.charter).
register(
    Kind(
        code="alliances.group",
        label=_("Groupes de travail"),
        description=_("Une demande pour rejoindre un groupe que vous pilotez, la réponse à votre demande."),
        category=_("Groupes de travail et chartes"),
    ),
    Kind(
        code="alliances.charter",
        label=_("Chartes des collectifs"),
        description=_(
            "Une charte soumise à l'approbation de votre structure, une charte approuvée par tous."
        ),
        category=_("Groupes de travail et chartes"),
    ),
)
