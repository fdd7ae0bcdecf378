"""``{% diagnosis_lineage diagnosis %}``: what came out of a diagnosis (the working groups formed around its
key issues, their charters and the programs launched), as far as the signed-in user may see them."""

from __future__ import annotations

from typing import Any

from django import template

from terreau.alliances.lineage import lineage_of_diagnosis

register = template.Library()


@register.inclusion_tag("alliances/_diagnosis_lineage.html", takes_context=True)
def diagnosis_lineage(context: dict[str, Any], diagnosis: Any) -> dict[str, Any]:
    request = context.get("request")
    return lineage_of_diagnosis(getattr(request, "user", None), diagnosis)
