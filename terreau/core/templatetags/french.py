"""French text in templates: ``{{ name|of }}`` ("d'Antoine", "de l'EHPAD …"), ``{{ place|at }}`` ("au Mans")."""

from django import template

from terreau.core import french

register = template.Library()


@register.filter(name="of")
def of(value) -> str:
    return french.of(str(value or ""))


@register.filter(name="at")
def at(value) -> str:
    return french.at(str(value or ""))
