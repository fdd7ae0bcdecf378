"""Kinds of message sent about sessions (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="activities.sessions_changed",
        label=_("Séances modifiées ou annulées"),
        description=_(
            "Une séance où vous êtes prévu (ou de votre site) est annulée, remplacée ou change d'horaire."
        ),
        category=_("Programmes"),
    ),
    Kind(
        code="activities.volunteer_unassigned",
        label=_("Retrait de séances"),
        description=_("Vous n'êtes plus prévu à des séances (absence, nouvel horaire)."),
        category=_("Programmes"),
    ),
    Kind(
        code="activities.places_to_fill",
        label=_("Places de volontaires à pourvoir"),
        description=_("Pour la coordination : des volontaires ne sont plus disponibles pour des séances."),
        category=_("Programmes"),
    ),
)
