"""Where organisations are: department and region from an INSEE commune code, distances between points.

Pure Python. Communes carry no coordinates in the exchange format; coordinates (optional `lat`/`lon` on an
organisation) give distances, otherwise proximity falls back to same commune / department / region.
"""

from __future__ import annotations

import re

import numpy as np

from .geodata import DEPARTMENTS, REGIONS

COMMUNE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")

DEPARTMENT_CODES: list[str] = sorted(DEPARTMENTS)
DEPARTMENT_INDEX: dict[str, int] = {c: i for i, c in enumerate(DEPARTMENT_CODES)}
REGION_CODES: list[str] = sorted(set(REGIONS) | {r for _, r, _ in DEPARTMENTS.values()})
REGION_INDEX: dict[str, int] = {c: i for i, c in enumerate(REGION_CODES)}


def department_of(commune: str | None) -> str | None:
    """ "86194" -> "86"; "97105" -> "971"; "2A004" -> "2A"; None when unknown."""
    if not commune:
        return None
    code = commune[:3] if commune.startswith("97") else commune[:2]
    return code if code in DEPARTMENTS else None


def region_of(department: str | None) -> str | None:
    return DEPARTMENTS[department][1] if department in DEPARTMENTS else None


def department_name(code: str) -> str:
    return DEPARTMENTS[code][0] if code in DEPARTMENTS else code


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (numpy arrays or floats)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
