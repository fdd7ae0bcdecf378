"""Communes used by the demo with their approximate centre (latitude, longitude), written by hand in
data/geography.json.

The official geography package has no coordinates and the demo must work offline, so the demo carries
its own. Values are accurate to about 0.01 degree; codes are INSEE codes checked against the COG.
"""

from __future__ import annotations

from terreau.demo.records import read

# INSEE code: (name, latitude, longitude)
COMMUNES: dict[str, tuple[str, float, float]] = {
    c["code"]: (c["name"], c["latitude"], c["longitude"]) for c in read("geography.json")["communes"]
}
