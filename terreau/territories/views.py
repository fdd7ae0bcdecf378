from django.db.models import Count
from django.http import HttpRequest, JsonResponse

from terreau.territories.models import Commune


def commune_lookup(request: HttpRequest) -> JsonResponse:
    """Autocomplete: communes by INSEE code, postal code or name (accent-insensitive).

    Each result's ``label`` is what CommuneField reads back ("Poitiers (86)", with the INSEE code first for
    the rare names shared by two communes of one department)."""
    term = request.GET.get("q", "")[:100]
    communes = list(
        Commune.objects.lookup(term).select_related("department").prefetch_related("postal_codes")[:20]
    )
    twins = set(
        Commune.objects.filter(
            name_folded__in={c.name_folded for c in communes},
            department_id__in={c.department_id for c in communes},
        )
        .values_list("name_folded", "department_id")
        .annotate(n=Count("code"))
        .filter(n__gt=1)
        .values_list("name_folded", "department_id")
    )
    results = []
    for c in communes:
        label = f"{c.name} ({c.department_id})"
        if (c.name_folded, c.department_id) in twins:
            label = f"{c.code} — {label}"
        results.append(
            {
                "code": c.code,
                "name": c.name,
                "department": c.department_id,
                "department_name": c.department.name,
                "postal_codes": sorted({p.code for p in c.postal_codes.all()}),
                "label": label,
            }
        )
    return JsonResponse({"results": results})
