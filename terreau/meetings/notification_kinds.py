"""Kinds of message sent about speed-meetings (terreau.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

register(
    Kind(
        code="meetings.final_agenda",
        label=_("Programme définitif de vos rendez-vous"),
        description=_("Vos rendez-vous d'affaires définitifs, avec leur fichier d'agenda."),
        category=_("Rencontres"),
        optional=False,
    ),
    Kind(
        code="meetings.provisional_agenda",
        label=_("Programme provisoire de vos rendez-vous"),
        description=_("Quand un programme provisoire de rendez-vous d'affaires est disponible."),
        category=_("Rencontres"),
    ),
)
