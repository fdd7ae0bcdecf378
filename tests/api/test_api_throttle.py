"""REST API rate limits: anonymous clients by address, signed-in people by account, each counted once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ORGS = "/api/organisations/"


@pytest.fixture(autouse=True)
def _fresh(settings, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    rates = {"anon": "3/min", "user": "5/min"}
    monkeypatch.setattr(api_settings, "DEFAULT_THROTTLE_RATES", rates, raising=False)
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_anonymous_requests_are_counted_once_by_address():
    client = APIClient(REMOTE_ADDR="192.0.2.7")
    for _ in range(3):
        assert client.get(ORGS).status_code == 200
    assert cache.get("throttle_anon_192.0.2.7") is not None
    assert cache.get("throttle_user_192.0.2.7") is None  # no second counter for the same address
    refused = client.get(ORGS)
    assert refused.status_code == 429
    assert APIClient(REMOTE_ADDR="192.0.2.8").get(ORGS).status_code == 200  # another address is not limited


def test_signed_in_people_are_limited_by_account():
    user = UserFactory()
    client = APIClient(REMOTE_ADDR="192.0.2.9")
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    for _ in range(5):
        assert client.get(ORGS).status_code == 200  # above the anonymous rate
    assert cache.get(f"throttle_user_{user.pk}") is not None
    assert client.get(ORGS).status_code == 429
