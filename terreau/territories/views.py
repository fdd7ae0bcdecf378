from django.http import HttpRequest, JsonResponse

from terreau.territories.models import Commune


def commune_lookup(request: HttpRequest) -> JsonResponse:
    """Autocomplete: communes by INSEE code, postal code or name (accent-insensitive)."""
    term = request.GET.get("q", "")[:100]
    communes = Commune.objects.lookup(term).select_related("department")[:20]
    return JsonResponse(
        {"results": [{"code": c.code, "name": c.name, "department": c.department_id} for c in communes]}
    )
