"""Geocoding through the Base Adresse Nationale, with the HTTP service mocked (never the network)."""

from __future__ import annotations

import httpx
import pytest
from django.core.management import call_command

from terreau.directory.models import Organisation
from terreau.territories import geocoding
from terreau.territories.models import Commune
from tests.factories import CommuneFactory, DepartmentFactory, OrganisationFactory

GEOCODER = "https://geocodeur.test/search/"


def feature(lon: float, lat: float, score: float = 0.9, label: str = "8 Rue Test 86000 Poitiers") -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"label": label, "score": score},
    }


class FakeBAN:
    """Answers like the national address service; records every request it gets."""

    def __init__(self, handler=None):
        self.requests: list[httpx.Request] = []
        self.handler = handler or (lambda request: httpx.Response(200, json={"features": []}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def params(self, index: int = -1) -> dict[str, str]:
        return dict(self.requests[index].url.params)


@pytest.fixture
def ban(monkeypatch, settings):
    settings.TERREAU_GEOCODER_URL = GEOCODER
    fake = FakeBAN()
    monkeypatch.setattr(
        geocoding, "client_factory", lambda: httpx.Client(transport=httpx.MockTransport(fake))
    )
    return fake


def answer(*features: dict):
    return lambda request: httpx.Response(200, json={"type": "FeatureCollection", "features": list(features)})


def test_address_found(ban):
    ban.handler = answer(feature(0.3404, 46.5802, score=0.87))
    result = geocoding.geocode_address(address="8 rue Test", postal_code="86000", commune_code="86194")
    assert result == geocoding.GeocodeResult(
        latitude=46.5802, longitude=0.3404, score=0.87, label="8 Rue Test 86000 Poitiers"
    )
    assert str(ban.requests[0].url).startswith(GEOCODER)
    assert ban.params() == {"q": "8 rue Test", "postcode": "86000", "citycode": "86194", "limit": "1"}


def test_low_score_is_ignored(ban):
    ban.handler = answer(feature(0.34, 46.58, score=geocoding.MIN_ADDRESS_SCORE - 0.01))
    assert geocoding.geocode_address(address="quelque part") is None
    ban.handler = answer(feature(0.34, 46.58, score=geocoding.MIN_ADDRESS_SCORE))
    assert geocoding.geocode_address(address="quelque part") is not None


def raises(exc):
    def handler(request):
        raise exc("boom", request=request)

    return handler


@pytest.mark.parametrize(
    "handler",
    [
        raises(httpx.ConnectTimeout),
        raises(httpx.ReadTimeout),
        raises(httpx.ConnectError),
        lambda r: httpx.Response(500, text="erreur"),
        lambda r: httpx.Response(400, json={"code": 400, "message": "q must contain at least 3 chars"}),
        lambda r: httpx.Response(200, text="<html>pas du JSON</html>"),
        lambda r: httpx.Response(200, json=["pas", "un", "objet"]),
        lambda r: httpx.Response(200, json={"features": "n'importe quoi"}),
        lambda r: httpx.Response(200, json={"features": [{"geometry": {"coordinates": []}}]}),
        lambda r: httpx.Response(200, json={"features": [{"geometry": None, "properties": {"score": 1}}]}),
        lambda r: httpx.Response(200, json={"features": [feature(200.0, 95.0)]}),
        lambda r: httpx.Response(200, json={"features": []}),
    ],
    ids=[
        "connect-timeout",
        "read-timeout",
        "connect-error",
        "http-500",
        "http-400",
        "not-json",
        "json-list",
        "bad-features",
        "no-coordinates",
        "null-geometry",
        "out-of-range",
        "not-found",
    ],
)
def test_failures_read_as_not_found(ban, handler):
    ban.handler = handler
    assert geocoding.geocode_address(address="8 rue Test", postal_code="86000") is None
    assert len(ban.requests) == 1


def test_disabled_geocoder_sends_nothing(ban, settings):
    settings.TERREAU_GEOCODER_URL = ""
    ban.handler = answer(feature(0.34, 46.58))
    assert geocoding.geocode_address(address="8 rue Test") is None
    assert ban.requests == []


def test_too_short_or_invalid_query_sends_nothing(ban):
    assert geocoding.geocode_address(address="  ") is None
    assert geocoding.geocode_address(address="ab") is None
    assert geocoding.geocode_address(address="--- rue") is None
    assert ban.requests == []


def test_invalid_codes_are_not_sent(ban):
    ban.handler = answer(feature(0.34, 46.58))
    geocoding.geocode_address(address="8 rue Test", postal_code="860", commune_code="x")
    assert ban.params() == {"q": "8 rue Test", "limit": "1"}


@pytest.mark.django_db
def test_organisation_geocoded_at_its_address(ban):
    ban.handler = answer(feature(0.35, 46.59))
    org = OrganisationFactory(address="8 rue Test", postal_code="86000")
    assert geocoding.geocode_organisation(org) is True
    org.refresh_from_db()
    assert (org.latitude, org.longitude) == (46.59, 0.35)
    assert org.geocoded_at is not None
    params = ban.params()
    assert params["citycode"] == "86194" and params["postcode"] == "86000"
    assert "Poitiers" in params["q"] and "8 rue Test" in params["q"]


@pytest.mark.django_db
def test_organisation_falls_back_to_commune_centre(ban):
    ban.handler = answer(feature(0.35, 46.59, score=0.2))
    org = OrganisationFactory(address="lieu-dit inconnu")
    assert geocoding.geocode_organisation(org) is True
    org.refresh_from_db()
    assert (org.latitude, org.longitude) == (46.5802, 0.3404)  # CommuneFactory's centre


@pytest.mark.django_db
def test_commune_centre_is_geocoded_lazily(ban):
    commune = CommuneFactory(code="86066", name="Châtellerault", latitude=None, longitude=None)

    def handler(request):
        if request.url.params.get("type") == "municipality":
            return httpx.Response(200, json={"features": [feature(0.5461, 46.8178, score=0.95)]})
        return httpx.Response(200, json={"features": []})

    ban.handler = handler
    org = OrganisationFactory(commune=commune, address="adresse introuvable")
    assert geocoding.geocode_organisation(org) is True
    assert ban.params(-1) == {"q": "Châtellerault", "citycode": "86066", "type": "municipality", "limit": "1"}
    commune.refresh_from_db()
    org.refresh_from_db()
    assert (commune.latitude, commune.longitude) == (46.8178, 0.5461)
    assert (org.latitude, org.longitude) == (46.8178, 0.5461)


@pytest.mark.django_db
def test_nothing_found_leaves_coordinates_empty(ban):
    ban.handler = lambda request: httpx.Response(503)
    commune = CommuneFactory(code="86066", name="Châtellerault", latitude=None, longitude=None)
    org = OrganisationFactory(commune=commune, address="8 rue Test")
    assert geocoding.geocode_organisation(org) is False
    org.refresh_from_db()
    assert org.latitude is None and org.longitude is None and org.geocoded_at is None


@pytest.mark.django_db
def test_disabled_geocoder_still_uses_known_commune_centre(ban, settings):
    settings.TERREAU_GEOCODER_URL = ""
    org = OrganisationFactory(address="8 rue Test")
    assert geocoding.geocode_organisation(org, save=False) is True
    assert (org.latitude, org.longitude) == (46.5802, 0.3404)
    assert Organisation.objects.get(pk=org.pk).latitude is None  # save=False writes nothing
    assert ban.requests == []


@pytest.mark.django_db
def test_command_geocodes_missing_coordinates_only(ban):
    def handler(request):
        if request.url.params.get("type") == "municipality":
            return httpx.Response(200, json={"features": []})
        return httpx.Response(200, json={"features": [feature(0.35, 46.59)]})

    ban.handler = handler
    done = OrganisationFactory(address="1 rue Faite", latitude=45.0, longitude=1.0)
    todo = OrganisationFactory(address="2 rue A Faire")
    no_address = OrganisationFactory(address="")
    lost = OrganisationFactory(
        address="",
        commune=CommuneFactory(code="79191", name="Niort", department=DepartmentFactory(code="79")),
    )
    Commune.objects.filter(code="79191").update(latitude=None, longitude=None)
    ban_calls_before = len(ban.requests)
    out = _run("geocode-organisations", "--pause", "0")
    assert (
        "3 organisations traitées : 1 placée à l'adresse, 1 au centre de la commune, 1 sans coordonnées."
        in out
    )
    todo.refresh_from_db(), no_address.refresh_from_db(), done.refresh_from_db(), lost.refresh_from_db()
    assert (todo.latitude, todo.longitude) == (46.59, 0.35)
    assert (no_address.latitude, no_address.longitude) == (46.5802, 0.3404)
    assert (done.latitude, done.longitude) == (45.0, 1.0)
    assert lost.latitude is None
    # One address query, then one municipality query for Niort, which is not found.
    assert len(ban.requests) - ban_calls_before == 2


@pytest.mark.django_db
def test_command_limit_and_force(ban):
    ban.handler = answer(feature(0.35, 46.59))
    orgs = [OrganisationFactory(address=f"{n} rue Test", latitude=45.0, longitude=1.0) for n in range(3)]
    out = _run("geocode-organisations", "--pause", "0")
    assert out.startswith("0 organisation")
    out = _run("geocode-organisations", "--force", "--limit", "2", "--pause", "0")
    assert out.startswith("2 organisations traitées : 2 placées à l'adresse")
    latitudes = [Organisation.objects.get(pk=o.pk).latitude for o in orgs]
    assert latitudes == [46.59, 46.59, 45.0]


@pytest.mark.django_db
def test_command_refuses_bad_limit():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--limit"):
        _run("geocode-organisations", "--limit", "0")


def _run(*args: str) -> str:
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()
