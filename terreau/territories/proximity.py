"""How close two places are: distance in km when both have coordinates, else a same-commune /
same-department / same-region fallback.

Pure Python (no Django import): the matching engine uses it on plain data, the web app on organisations.
Labels are French (the engine's explanations are French too); they are kept together in LABELS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from terreau.territories.geo import department_code, haversine_km


class Place(NamedTuple):
    """A point and its administrative codes; any field may be missing (None or "")."""

    lat: float | None = None
    lon: float | None = None
    commune_code: str = ""
    department_code: str = ""
    region_code: str = ""

    @property
    def has_coordinates(self) -> bool:
        return _valid_point(self.lat, self.lon)


class Level(StrEnum):
    DISTANCE = "distance"
    COMMUNE = "commune"
    DEPARTMENT = "department"
    REGION = "region"
    OTHER_DEPARTMENT = "other_department"  # different departments, regions not known
    OTHER = "other"  # different regions
    UNKNOWN = "unknown"  # not enough information on one side


LABELS = {
    Level.COMMUNE: "même commune",
    Level.DEPARTMENT: "même département",
    Level.REGION: "même région",
    Level.OTHER_DEPARTMENT: "autre département",
    Level.OTHER: "autre région",
    Level.UNKNOWN: "localisation inconnue",
}
# Closeness in [0, 1] for the administrative fallbacks (used by scoring; distance decays smoothly).
LEVEL_SCORES = {
    Level.COMMUNE: 1.0,
    Level.DEPARTMENT: 0.6,
    Level.REGION: 0.3,
    Level.OTHER_DEPARTMENT: 0.1,
    Level.OTHER: 0.0,
    Level.UNKNOWN: 0.0,
}
# Distance at which closeness falls to one half.
HALF_SCORE_KM = 30.0


@dataclass(frozen=True)
class Proximity:
    level: Level
    label: str
    distance_km: float | None = None

    @property
    def score(self) -> float:
        """1 for the same place, decreasing with distance (0.5 at HALF_SCORE_KM), 0 when unknown/far."""
        if self.distance_km is not None:
            return 1.0 / (1.0 + self.distance_km / HALF_SCORE_KM)
        return LEVEL_SCORES[self.level]

    @property
    def sort_key(self) -> tuple[int, float]:
        """Orders proximities from closest to furthest (unknown last)."""
        order = list(LEVEL_SCORES)
        if self.distance_km is not None:
            return (0, self.distance_km)
        return (1 + order.index(self.level), 0.0)


def _valid_point(lat: Any, lon: Any) -> bool:
    if lat is None or lon is None:
        return False
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def distance_label(km: float) -> str:
    """French label of a distance: "moins de 1 km", "3,4 km", "12 km", "1 204 km"."""
    if km < 1:
        return "moins de 1 km"
    if km < 10:
        return f"{km:.1f} km".replace(".", ",")
    return f"{round(km):,} km".replace(",", "\u202f")


def as_place(value: Any) -> Place:
    """A Place from a Place, a tuple (lat, lon, commune, department, region), a dict or any object
    with those attribute names."""
    if isinstance(value, Place):
        return value
    if isinstance(value, tuple):
        return Place(*value)
    if isinstance(value, dict):
        return Place(**{k: value.get(k) for k in Place._fields})
    return Place(**{k: getattr(value, k, None) for k in Place._fields})


def place_of_organisation(organisation: Any) -> Place:
    """A Place from an Organisation-like object (latitude, longitude, commune.department.region_id).

    Reads attributes only: fetch organisations with select_related("commune__department") beforehand.
    """
    commune = getattr(organisation, "commune", None)
    department = getattr(commune, "department", None) if commune is not None else None
    return Place(
        lat=getattr(organisation, "latitude", None),
        lon=getattr(organisation, "longitude", None),
        commune_code=getattr(commune, "code", "") or "",
        department_code=getattr(department, "code", "") or "",
        region_code=getattr(department, "region_id", "") or "",
    )


def proximity(a: Any, b: Any) -> Proximity:
    """How close ``a`` and ``b`` are (see as_place() for what they may be)."""
    a, b = as_place(a), as_place(b)
    if a.has_coordinates and b.has_coordinates:
        km = haversine_km(float(a.lat), float(a.lon), float(b.lat), float(b.lon))
        return Proximity(Level.DISTANCE, distance_label(km), km)
    level = _administrative_level(a, b)
    return Proximity(level, LABELS[level])


def _same(x: str | None, y: str | None) -> bool | None:
    """True/False when both codes are known, None otherwise."""
    if not x or not y:
        return None
    return str(x).upper() == str(y).upper()


def _administrative_level(a: Place, b: Place) -> Level:
    if _same(a.commune_code, b.commune_code):
        return Level.COMMUNE
    # The department is the first 2 characters of a commune code (3 overseas, 97x): derive it if missing.
    dept_a = a.department_code or _department_of(a.commune_code)
    dept_b = b.department_code or _department_of(b.commune_code)
    if _same(dept_a, dept_b):
        return Level.DEPARTMENT
    same_region = _same(a.region_code, b.region_code)
    if same_region:
        return Level.REGION
    if same_region is False:
        return Level.OTHER
    if _same(dept_a, dept_b) is False:
        return Level.OTHER_DEPARTMENT  # regions unknown: only the departments are known to differ
    return Level.UNKNOWN


def _department_of(commune_code: str | None) -> str:
    return department_code(commune_code) if commune_code and len(commune_code) == 5 else ""


def rank_by_proximity(
    origin: Any, items: Iterable[Any], *, place: Any = as_place
) -> list[tuple[Any, Proximity]]:
    """Items with their proximity to ``origin``, closest first (``place`` turns an item into a Place)."""
    start = as_place(origin)
    scored = [(item, proximity(start, place(item))) for item in items]
    scored.sort(key=lambda pair: pair[1].sort_key)
    return scored
