"""Kinds of message sent about programs (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="programs.team_role",
        label=_("Rôle dans l'équipe d'un programme"),
        description=_("Quand on vous ajoute à l'équipe d'un programme ou d'un site."),
        category=_("Programmes"),
        optional=False,
    ),
)
