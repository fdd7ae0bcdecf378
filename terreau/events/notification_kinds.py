"""Kinds of message sent about events (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="events.registration",
        label=_("Inscription à une rencontre"),
        description=_(
            "La confirmation, la liste d'attente, la place obtenue ou l'annulation d'une inscription."
        ),
        category=_("Rencontres"),
        optional=False,
    ),
    Kind(
        code="events.reminder",
        label=_("Rappel de rencontre"),
        description=_("Un rappel la veille d'une rencontre à laquelle vous êtes inscrit, avec son agenda."),
        category=_("Rencontres"),
    ),
)
