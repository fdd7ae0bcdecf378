"""Liveness (/healthz) and readiness (/readyz): JSON, no secret, 503 when a dependency fails, never redirected."""

import json

import pytest
from django.db import OperationalError, connections
from django.db.migrations.executor import MigrationExecutor

from terreau.core import health

SECRET = "password=s3cret host=db.internal"


@pytest.fixture(autouse=True)
def _fresh_migration_check(monkeypatch):
    monkeypatch.setattr(health, "_migrations_ok_at", None)


def _production_like(settings):
    """The production middleware order and HTTPS redirect (config/production.py)."""
    settings.MIDDLEWARE = [
        "terreau.core.health.HealthCheckMiddleware",
        "terreau.core.observability.RequestIdMiddleware",
        *settings.MIDDLEWARE,
    ]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]


def test_liveness_answers_without_touching_the_database(client):
    # No django_db mark: any database access would fail this test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readiness_reports_every_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok", "media": "ok"},
    }


@pytest.mark.django_db
def test_a_database_outage_answers_503_without_its_message(client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError(f"could not connect to server: {SECRET}")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "fail"
    assert body["checks"]["migrations"] == "fail"
    assert "s3cret" not in response.content.decode()
    # The detail is in the log, for the operator.
    assert any("database" in r.getMessage() for r in caplog.records if r.name == "terreau.health")
    # Liveness does not depend on the database: the process is not restarted for an outage elsewhere.
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_unapplied_migrations_make_the_process_not_ready(client, monkeypatch):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("a migration", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "fail", "cache": "ok", "media": "ok"}


@pytest.mark.django_db
def test_a_cache_that_loses_values_makes_the_process_not_ready(client, monkeypatch):
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "fail"


@pytest.mark.django_db
def test_an_unwritable_media_directory_makes_the_process_not_ready(client, settings, tmp_path):
    not_a_directory = tmp_path / "media-file"
    not_a_directory.write_text("x")
    settings.MEDIA_ROOT = not_a_directory
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["media"] == "fail"
    assert str(tmp_path) not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_not_redirected_to_https_nor_host_checked(client, settings, path):
    _production_like(settings)
    settings.ALLOWED_HOSTS = ["terreau.example.org"]
    # A load balancer calls the machine by its address, over plain HTTP.
    response = client.get(path, HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "ok"
    assert not response.cookies
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_other_pages_are_still_redirected_and_host_checked(client, settings):
    _production_like(settings)
    settings.ALLOWED_HOSTS = ["terreau.example.org"]
    redirected = client.get("/", HTTP_HOST="terreau.example.org")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://terreau.example.org/")
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400


@pytest.mark.django_db
def test_the_redirect_exemption_covers_the_probes_without_the_middleware(client, settings):
    # Base settings' middleware (no HealthCheckMiddleware): the URL views answer, exempt from the redirect.
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 301
