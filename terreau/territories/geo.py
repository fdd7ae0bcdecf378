"""Geography toolkit: great-circle distances and departments from commune codes.

Pure Python (no Django import, numpy only for arrays), so that the pure engines (matching, session
planning) and the web app use the very same formulas.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km between points given in degrees.

    Numbers give a float; numpy arrays (or sequences) give an array of distances, element by element.
    """
    if all(isinstance(x, Real) for x in (lat1, lon1, lat2, lon2)):
        phi1, phi2 = math.radians(lat1), math.radians(lat2)
        h = (
            math.sin((phi2 - phi1) / 2) ** 2
            + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    import numpy as np

    phi1, lam1, phi2, lam2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
    h = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def department_code(commune_code: str | None) -> str:
    """Department of an INSEE commune code: "86194" -> "86", "97105" -> "971", "2A004" -> "2A"; "" if none.

    The code is derived, not checked against the list of departments.
    """
    if not commune_code:
        return ""
    return commune_code[:3] if commune_code.startswith("97") else commune_code[:2]
