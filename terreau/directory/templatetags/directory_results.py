"""Counts of a directory result ("3 besoins ouverts"), written by a tag rather than {% blocktranslate count %}:
the same messages of the catalogue and the same text, at a fraction of the CPU (two per result, forty per page
of results)."""

from __future__ import annotations

from django import template
from django.template.base import render_value_in_context
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag(takes_context=True)
def open_needs_text(context, count: int) -> SafeString:
    text = ngettext("%(counter)s besoin ouvert", "%(counter)s besoins ouverts", count)
    return mark_safe(text % {"counter": render_value_in_context(count, context)})  # noqa: S308 - as blocktranslate


@register.simple_tag(takes_context=True)
def open_offers_text(context, count: int) -> SafeString:
    text = ngettext("%(counter)s ressource ouverte", "%(counter)s ressources ouvertes", count)
    return mark_safe(text % {"counter": render_value_in_context(count, context)})  # noqa: S308 - as blocktranslate
