"""The API keeps the promises of its OpenAPI document (Schemathesis, in process through the WSGI app).

For every operation of /api/schema/, a bounded, deterministic set of requests generated from the document
(valid ones, and invalid ones: wrong types, missing required fields, values out of their enums or ranges)
is sent with a facilitator's token, on a database with an organisation, needs, offers, a partnership and
territories. Every answer must: not be a server error, have a documented status code and content type,
match the documented schema, accept the valid requests and refuse the invalid ones.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from rest_framework import throttling
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from terreau.partnerships.models import Partnership
from tests.factories import BranchRoleFactory, CommuneFactory, NeedOfferFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

CHECK_DIGIT_IDENTIFIERS = {"siren": "732829320", "siret": "73282932000074"}
MAX_EXAMPLES = 12  # per operation and generation mode: the whole file runs in about a minute

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,  # derandomised: the same requests on every run
            "no-shrink": True,
            "mode": "all",
            "allow-x00": False,
        },
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    }
)


@pytest.fixture
def api_world(settings, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Hundreds of requests a minute from one token: throttling is tested elsewhere (test_api.py).
    monkeypatch.setattr(throttling.SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})
    cache.clear()
    role = BranchRoleFactory(branch__slug="vienne")
    commune = CommuneFactory()
    org = OrganisationFactory(branch=role.branch, commune=commune, slug="atelier-tricot")
    OrganisationFactory(branch=role.branch, commune=commune, private=True)
    NeedOfferFactory(organisation=org)
    NeedOfferFactory(organisation=org, offer=True)
    partnership = Partnership.objects.create(branch=role.branch, title="Tablettes pour les aînés")
    partnership.partners.add(org)
    token, _created = Token.objects.get_or_create(user=role.user)
    yield {
        "token": token.key,
        "branch": role.branch.slug,
        "commune": commune.code,
        "department": commune.department_id,
        "region": commune.department.region_id,
        "organisation": org.slug,
    }
    cache.clear()


def _only(schema: dict, values: list) -> dict:
    """``schema`` narrowed to ``values`` (and null where it is nullable)."""
    nullable = schema.get("nullable", False)
    kept = {k: v for k, v in schema.items() if k in ("description", "nullable", "readOnly", "writeOnly")}
    return {**kept, "type": "string", "enum": values + ([None] if nullable else [])}


def _narrow_to_test_data(document: dict, world: dict) -> dict:
    """References to rows (a branch, a commune, an organisation, a region or department filter) can only
    be described by the document as strings: here they name the rows of the test database, so that a
    valid request is really valid. Everything else is generated from the document as served."""
    components = document["components"]["schemas"]
    references = {
        "branch": world["branch"],
        "commune": world["commune"],
        "organisation": world["organisation"],
    }
    for component in components.values():
        for name, value in references.items():
            prop = component.get("properties", {}).get(name)
            if prop is not None and not prop.get("readOnly"):
                component["properties"][name] = _only(prop, [value])
    for component in components.values():
        props = component.get("properties", {})
        for name, valid in CHECK_DIGIT_IDENTIFIERS.items():
            # The document gives their shape; their check digit is beyond a pattern.
            if name in props and not props[name].get("readOnly"):
                props[name] = _only(props[name], ["", valid])
    filters = {
        "/api/communes/": ("department", world["department"]),
        "/api/departments/": ("region", world["region"]),
    }
    for path, (name, value) in filters.items():
        for parameter in document["paths"][path]["get"]["parameters"]:
            if parameter["name"] == name:
                parameter["schema"] = _only(parameter["schema"], [value])
    return document


@pytest.fixture
def api_schema(api_world):
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    document = _narrow_to_test_data(response.json(), api_world)
    schema = schemathesis.openapi.from_dict(document, config=CONFIG)
    schema.app = application
    schema.config.headers = {"Authorization": f"Token {api_world['token']}"}

    @schema.hook("map_body")
    def dates_in_order(context, body):
        # "ends_on not before starts_on" spans two fields: beyond what the document can say.
        dates = [body.get(k) for k in ("starts_on", "ends_on")] if isinstance(body, dict) else []
        if all(isinstance(d, str) for d in dates) and dates and dates[1] < dates[0]:
            body["starts_on"], body["ends_on"] = dates[1], dates[0]
        return body

    # The WSGI app is called directly, not through Django's test client (which reconnects these handlers
    # after each of its own requests, hence here, after the Client call above): its request handlers would
    # close the database connection, and with it the test's transaction on PostgreSQL.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


# Recording a contribution follows rules the document cannot state (an existing donor and recipient, two
# different ones, no date in the future, the inputs its kind needs): a schema-valid request may be refused with
# a French 400 there; every other check still applies.
BUSINESS_RULES = {("POST", "/api/contributions/")}


@schema.parametrize()
def test_api_keeps_its_openapi_promises(case):
    checks = CHECKS
    if (case.method.upper(), case.path) in BUSINESS_RULES:
        checks = [check for check in CHECKS if check is not positive_data_acceptance]
    case.call_and_validate(checks=checks)
