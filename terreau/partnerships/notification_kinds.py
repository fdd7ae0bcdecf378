"""Kinds of message sent about contact requests and partnerships (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="partnerships.contact_request",
        label=_("Mises en relation"),
        description=_("Une proposition de mise en relation reçue, acceptée, déclinée ou expirée."),
        category=_("Partenariats"),
    ),
    Kind(
        code="partnerships.message",
        label=_("Messages d'un partenariat"),
        description=_("Un nouveau message dans l'espace d'un partenariat de votre structure."),
        category=_("Partenariats"),
    ),
)
