"""Suggestions for the diagnosis form's EPCI field (terreau.alliances.territory_fields): EPCIs by SIREN or
by name, accents and case ignored. Official geography, public data: any signed-in person may ask."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from terreau.alliances.territory_fields import epci_label
from terreau.core.french import fold_key
from terreau.territories.models import Epci

MAX_RESULTS = 20


@login_required
@require_safe
def epci_lookup(request: HttpRequest) -> JsonResponse:
    term = " ".join(request.GET.get("q", "")[:100].split())
    if len(fold_key(term)) < 2:
        return JsonResponse({"results": []})
    if term.isdigit():
        epcis = list(Epci.objects.filter(code__startswith=term)[:MAX_RESULTS])
    else:
        query = Q()
        for word in term.split()[:6]:
            query &= Q(name__icontains=word)
        epcis = list(Epci.objects.filter(query).order_by("-population", "name")[:MAX_RESULTS])
        if not epcis:  # accents typed differently
            key = fold_key(term)
            epcis = [e for e in Epci.objects.order_by("name") if key in fold_key(e.name)][:MAX_RESULTS]
    results = [
        {"code": e.code, "name": e.name, "kind": e.get_kind_display(), "label": epci_label(e)} for e in epcis
    ]
    return JsonResponse({"results": results})
