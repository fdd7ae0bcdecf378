"""The map page (Leaflet markers + an offline department map) and its JSON markers."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.directory import mapping
from terreau.directory.queries import DirectoryParams, filter_choices


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def map_page(request: HttpRequest) -> HttpResponse:
    params = DirectoryParams.from_query(request.GET)
    counts = mapping.department_counts(user=request.user, params=params)
    top = max((n for _name, n in counts.values()), default=0)
    selected = set(params.departments)
    # Canonical query strings of the filters (list-only parameters such as the page number are dropped).
    filters = params.to_query()
    other_filters = dataclasses.replace(params, departments=())
    here = reverse("directory:map")

    links: dict[str, str] = {}  # each department's link is used by the outline and by the table

    def department_link(code: str) -> str:
        link = links.get(code)
        if link is None:
            query = dataclasses.replace(other_filters, departments=(code,)).to_query()
            link = links[code] = _with_query(here, query) + "#departements"
        return link

    def label(name: str, code: str, count: int) -> str:
        return ngettext(
            "%(name)s (%(code)s) : %(count)s organisation",
            "%(name)s (%(code)s) : %(count)s organisations",
            count,
        ) % {"name": name, "code": code, "count": _number(count)}

    shapes = mapping.department_shapes()
    svg_departments = []
    for shape in shapes.shapes if shapes else ():
        name, count = counts.get(shape.code, (shape.name, 0))
        svg_departments.append(
            {
                "code": shape.code,
                "path": shape.path,
                "href": department_link(shape.code),
                "level": mapping.colour_level(count, top),
                "selected": shape.code in selected,
                "label": label(name, shape.code, count),
            }
        )
    legend = [{"level": 0, "label": _("aucune")}] + [
        {
            "level": level,
            "label": _number(low)
            if low == high
            else _("%(low)s à %(high)s") % {"low": _number(low), "high": _number(high)},
        }
        for level, low, high in mapping.legend_classes(top)
    ]
    context = {
        "nav": "map",
        "params": params,
        "choices": filter_choices(),
        # Search filters the map form does not show are kept as hidden fields.
        "hidden_filters": [
            *[("type", v) for v in params.types],
            *([("direction", params.direction)] if params.direction else []),
            *[("branch", v) for v in params.branches],
        ],
        "svg_departments": svg_departments,
        "view_box": shapes.view_box if shapes else "",
        "outline_bounds": ",".join(str(v) for corner in mapping.DEPARTMENTS_SVG_BOUNDS for v in corner),
        "table": [
            {
                "code": code,
                "name": name,
                "count": n,
                "href": department_link(code),
                "selected": code in selected,
            }
            for code, (name, n) in counts.items()
        ],
        "legend": legend,
        "selected_departments": [counts.get(code, (code, 0))[0] for code in sorted(selected)],
        "total": sum(n for _name, n in counts.values()),
        "clear_department_href": _with_query(here, other_filters.to_query()),
        "data_url": _with_query(reverse("directory:map_data"), filters),
        "search_url": _with_query(reverse("directory:search"), filters),
        "tile_url": settings.TERREAU_TILE_URL,
        "tile_attribution": settings.TERREAU_TILE_ATTRIBUTION,
    }
    return render(request, "directory/map.html", context)


def map_data(request: HttpRequest) -> JsonResponse:
    """Markers for the map, with exactly the search page's filters and access rules."""
    params = DirectoryParams.from_query(request.GET)
    markers, truncated = mapping.map_markers(user=request.user, params=params)
    return JsonResponse({"count": len(markers), "truncated": truncated, "markers": markers})


def _number(n: int) -> str:
    """A count as a French reader writes it: "12 345" (thousands grouped)."""
    return formats.number_format(n, force_grouping=True)
