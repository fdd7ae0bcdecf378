"""Geocoding through the national address service (Base Adresse Nationale, api-adresse.data.gouv.fr).

The service is optional: ``settings.TERREAU_GEOCODER_URL`` empty disables it (offline demo, tests).
Nothing here raises on network trouble: a timeout, a refused connection, a non-200 answer or malformed
JSON is logged and reads as "not found" (None / False), so callers never need a try block.

Tests inject an ``httpx.MockTransport`` by replacing the module-level ``client_factory``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    from terreau.territories.models import Commune


class Addressed(Protocol):
    """A row with a postal address that can be placed on the map (a directory organisation)."""

    address: str
    postal_code: str
    commune_id: int | None
    commune: Commune | None
    latitude: float | None
    longitude: float | None
    geocoded_at: Any


logger = logging.getLogger(__name__)

# Results scored below this by the service are too doubtful to place an organisation on a map
# (the service scores 0..1; a street found without its number scores about 0.6-0.7).
MIN_ADDRESS_SCORE = 0.5
# A municipality query names the commune and its INSEE code: anything found is the right commune.
MIN_MUNICIPALITY_SCORE = 0.3
# The service answers 400 for queries shorter than 3 characters or longer than 200.
_MIN_QUERY, _MAX_QUERY = 3, 200
USER_AGENT = "Terreau (annuaire des acteurs d'un territoire)"


def _default_client() -> httpx.Client:
    return httpx.Client(
        timeout=settings.TERREAU_GEOCODER_TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=True
    )


# Replaced in tests: ``monkeypatch.setattr(geocoding, "client_factory", lambda: httpx.Client(transport=...))``.
client_factory: Callable[[], httpx.Client] = _default_client


def is_enabled() -> bool:
    return bool(getattr(settings, "TERREAU_GEOCODER_URL", ""))


@dataclass(frozen=True)
class GeocodeResult:
    latitude: float
    longitude: float
    score: float
    label: str = ""


class Precision(StrEnum):
    ADDRESS = "address"
    COMMUNE = "commune"


@dataclass(frozen=True)
class Location:
    """Where an organisation was placed, and how precisely."""

    latitude: float
    longitude: float
    precision: Precision


def _request(params: dict[str, Any]) -> dict | None:
    """One GET to the service; the decoded JSON object, or None (logged) on any failure."""
    url = getattr(settings, "TERREAU_GEOCODER_URL", "")
    if not url:
        return None
    try:
        with client_factory() as client:
            response = client.get(url, params=params, timeout=settings.TERREAU_GEOCODER_TIMEOUT)
    except httpx.HTTPError as exc:  # timeouts, refused connections, protocol errors
        logger.warning("Geocoder unreachable (%s): %s", type(exc).__name__, exc)
        return None
    if response.status_code != 200:
        logger.warning("Geocoder answered HTTP %s for %r", response.status_code, params.get("q"))
        return None
    try:
        data = response.json()
    except ValueError:
        logger.warning("Geocoder answered malformed JSON for %r", params.get("q"))
        return None
    if not isinstance(data, dict):
        logger.warning("Geocoder answered unexpected JSON for %r", params.get("q"))
        return None
    return data


def _first_result(data: dict, *, min_score: float) -> GeocodeResult | None:
    features = data.get("features")
    if not isinstance(features, list):
        logger.warning("Geocoder answer has no feature list")
        return None
    if not features:
        return None
    try:
        feature = features[0]
        lon, lat = feature["geometry"]["coordinates"][:2]
        latitude, longitude = float(lat), float(lon)
        properties = feature.get("properties") or {}
        score = float(properties.get("score", 0))
        label = str(properties.get("label", ""))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        logger.warning("Geocoder answer is malformed: %.200r", data)
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        logger.warning("Geocoder answered coordinates out of range: %s, %s", latitude, longitude)
        return None
    if score < min_score:
        logger.info("Geocoder result %r ignored (score %.2f < %.2f)", label, score, min_score)
        return None
    return GeocodeResult(latitude=latitude, longitude=longitude, score=score, label=label)


def _clean_query(text: str) -> str:
    query = " ".join(text.split())[:_MAX_QUERY]
    return query if len(query) >= _MIN_QUERY and query[0].isalnum() else ""


def _code(value: str) -> str:
    value = (value or "").strip().upper()
    return value if len(value) == 5 and value.isalnum() else ""


def geocode_address(*, address: str, postal_code: str = "", commune_code: str = "") -> GeocodeResult | None:
    """Coordinates of a French address, or None (not found, too doubtful, service disabled or failing)."""
    if not is_enabled():
        return None
    query = _clean_query(address)
    if not query:
        return None
    params: dict[str, Any] = {"q": query, "limit": 1}
    if postal := _code(postal_code):
        params["postcode"] = postal
    if city := _code(commune_code):
        params["citycode"] = city
    data = _request(params)
    return _first_result(data, min_score=MIN_ADDRESS_SCORE) if data is not None else None


def geocode_commune(commune: Commune, *, save: bool = True) -> bool:
    """Give a commune its centre's coordinates when it has none (one municipality query); True if it has them."""
    if commune.latitude is not None and commune.longitude is not None:
        return True
    if not is_enabled():
        return False
    query = _clean_query(commune.name)
    if not query:
        return False
    data = _request({"q": query, "citycode": commune.code, "type": "municipality", "limit": 1})
    result = _first_result(data, min_score=MIN_MUNICIPALITY_SCORE) if data is not None else None
    if result is None:
        return False
    commune.latitude, commune.longitude = result.latitude, result.longitude
    if save:
        type(commune).objects.filter(pk=commune.pk).update(
            latitude=result.latitude, longitude=result.longitude
        )
    return True


def locate_organisation(organisation: Addressed) -> Location | None:
    """Best known position of an organisation: its address, else its commune's centre, else None."""
    commune = organisation.commune if organisation.commune_id else None
    if organisation.address.strip():
        # The commune name helps the service's scoring; postcode and citycode restrict the search.
        text = f"{organisation.address} {organisation.postal_code} {commune.name if commune else ''}"
        result = geocode_address(
            address=text, postal_code=organisation.postal_code, commune_code=commune.code if commune else ""
        )
        if result is not None:
            return Location(result.latitude, result.longitude, Precision.ADDRESS)
    if commune is not None and geocode_commune(commune):
        return Location(commune.latitude, commune.longitude, Precision.COMMUNE)
    return None


def store_location(organisation: Addressed, location: Location, *, save: bool = True) -> None:
    """Set the organisation's coordinates and geocoding date (and write them unless ``save`` is False)."""
    organisation.latitude, organisation.longitude = location.latitude, location.longitude
    organisation.geocoded_at = timezone.now()
    if save:
        # A plain UPDATE: geocoding is not an edit (no updated_at change, no save signals).
        type(organisation).objects.filter(pk=organisation.pk).update(
            latitude=organisation.latitude,
            longitude=organisation.longitude,
            geocoded_at=organisation.geocoded_at,
        )


def geocode_organisation(organisation: Addressed, *, save: bool = True) -> bool:
    """Store the organisation's coordinates (address, else commune centre); False when none was found.

    When nothing is found the organisation's coordinates are left as they were.
    """
    location = locate_organisation(organisation)
    if location is None:
        return False
    store_location(organisation, location, save=save)
    return True
