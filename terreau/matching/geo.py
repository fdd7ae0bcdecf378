"""Where organisations are: department and region from an INSEE commune code, distances between points.

Pure Python. Communes carry no coordinates in the exchange format; coordinates (optional `lat`/`lon` on an
organisation) give distances, otherwise proximity falls back to same commune / department / region.
"""

from __future__ import annotations

import re

from terreau.territories.geo import department_code, haversine_km  # noqa: F401 (the engine calls geo.haversine_km)

from .geodata import DEPARTMENTS, REGIONS

COMMUNE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")

DEPARTMENT_CODES: list[str] = sorted(DEPARTMENTS)
DEPARTMENT_INDEX: dict[str, int] = {c: i for i, c in enumerate(DEPARTMENT_CODES)}
REGION_CODES: list[str] = sorted(set(REGIONS) | {r for _, r, _ in DEPARTMENTS.values()})
REGION_INDEX: dict[str, int] = {c: i for i, c in enumerate(REGION_CODES)}


def department_of(commune: str | None) -> str | None:
    """ "86194" -> "86"; "97105" -> "971"; "2A004" -> "2A"; None when unknown."""
    code = department_code(commune)
    return code if code in DEPARTMENTS else None


def region_of(department: str | None) -> str | None:
    return DEPARTMENTS[department][1] if department in DEPARTMENTS else None


def department_name(code: str) -> str:
    return DEPARTMENTS[code][0] if code in DEPARTMENTS else code
