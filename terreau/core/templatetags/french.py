"""French text in templates: ``{{ name|of }}`` ("d'Antoine", "de l'EHPAD …"), ``{{ place|at }}`` ("au Mans"), and
``|date`` writing "1er" for the first of the month. A template builtin: no ``{% load %}`` needed."""

from django import template
from django.template import defaultfilters

from terreau.core import french

register = template.Library()


@register.filter(name="of")
def of(value) -> str:
    return french.of(str(value or ""))


@register.filter(name="at")
def at(value) -> str:
    return french.at(str(value or ""))


@register.filter(name="date", expects_localtime=True, is_safe=False)
def date(value, arg=None) -> str:
    """Django's ``date`` filter with "1er" for the first of the month ("1er janvier 2027"). This library is a
    template builtin (settings.TEMPLATES), so every ``|date`` in every template writes dates the French way."""
    return french.first_of_month(defaultfilters.date(value, arg))
