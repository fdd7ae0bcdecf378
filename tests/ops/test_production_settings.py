"""Production settings read everything from the environment, fail loudly when something is missing, log JSON
lines with the request id, and report errors to Sentry only when a DSN is set."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from config.env import env_cache
from terreau.core.observability import JsonFormatter, RequestIdMiddleware, current_request_id
from terreau.core.proxy import client_ip

ROOT = Path(__file__).resolve().parents[2]
BASE_ENV = {"TERREAU_SECRET_KEY": "ci-" + "k3y" * 20, "TERREAU_ALLOWED_HOSTS": "terreau.example.org"}
PROBE = """
import json
import django
from django.conf import settings
django.setup()
import sentry_sdk
print(json.dumps({
    "sentry": sentry_sdk.get_client().is_active(),
    "pii": sentry_sdk.get_client().options.get("send_default_pii"),
    "middleware": settings.MIDDLEWARE[:2],
    "exempt": settings.SECURE_REDIRECT_EXEMPT,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "cache": settings.CACHES["default"]["BACKEND"],
    "formatter": settings.LOGGING["formatters"]["json"]["()"],
}))
"""


def _load(extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERREAU_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.production", **BASE_ENV, **extra})
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings_seen(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_load_without_a_sentry_dsn():
    seen = _settings_seen(_load({}))
    assert seen["sentry"] is False
    assert seen["middleware"] == [
        "terreau.core.health.HealthCheckMiddleware",
        "terreau.core.observability.RequestIdMiddleware",
    ]
    assert seen["exempt"] == [r"^healthz$", r"^readyz$"]
    assert seen["ssl_redirect"] is True
    assert seen["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert seen["formatter"] == "terreau.core.observability.JsonFormatter"


def test_production_settings_report_to_sentry_when_a_dsn_is_set():
    # Initialising the SDK sends nothing; the DSN's host is never reached by this test.
    seen = _settings_seen(_load({"TERREAU_SENTRY_DSN": "https://0123456789abcdef@sentry.example.invalid/42"}))
    assert seen["sentry"] is True
    assert seen["pii"] is False


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"TERREAU_ALLOWED_HOSTS": ""}, "TERREAU_ALLOWED_HOSTS"),
        ({"TERREAU_SECRET_KEY": "short"}, "TERREAU_SECRET_KEY"),
        ({"TERREAU_CACHE_URL": "memcached://x"}, "TERREAU_CACHE_URL"),
        (
            {
                "TERREAU_SENTRY_DSN": "https://key@sentry.example.invalid/1",
                "TERREAU_SENTRY_TRACES_SAMPLE_RATE": "some",
            },
            "TERREAU_SENTRY_TRACES_SAMPLE_RATE",
        ),
    ],
)
def test_production_settings_fail_loudly(extra, message):
    result = _load(extra)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_every_variable_the_settings_read_is_in_the_deployment_guide():
    read = set()
    for module in ("settings.py", "production.py", "gunicorn.py"):
        read |= set(
            re.findall(r'"((?:TERREAU_[A-Z_]+)|DATABASE_URL)"', (ROOT / "config" / module).read_text())
        )
    guide = (ROOT / "docs" / "deployment.md").read_text()
    missing = sorted(name for name in read if f"`{name}`" not in guide)
    assert not missing, f"docs/deployment.md does not list {missing}"


def test_cache_urls():
    os.environ.pop("TERREAU_TEST_CACHE", None)
    assert env_cache("TERREAU_TEST_CACHE", "db://")["LOCATION"] == "terreau_cache"
    assert env_cache("TERREAU_TEST_CACHE", "redis://cache:6379/1") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache:6379/1",
    }
    with pytest.raises(ImproperlyConfigured):
        env_cache("TERREAU_TEST_CACHE", "file:///tmp")


def test_log_lines_are_json_with_the_request_id():
    formatter = JsonFormatter()
    seen = {}

    def view(request):
        record = logging.LogRecord(
            "terreau.test", logging.WARNING, __file__, 1, "Import de %s", ("x.csv",), None
        )
        record.rows = 12
        seen["line"] = json.loads(formatter.format(record))
        return HttpResponse()

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="abcdef0123456789"))
    assert response["X-Request-ID"] == "abcdef0123456789"
    assert seen["line"]["message"] == "Import de x.csv"
    assert seen["line"]["level"] == "WARNING"
    assert seen["line"]["request_id"] == "abcdef0123456789"
    assert seen["line"]["rows"] == 12
    assert current_request_id() == ""  # reset once the request is answered


def test_an_unusable_upstream_request_id_is_replaced():
    response = RequestIdMiddleware(lambda r: HttpResponse())(
        RequestFactory().get("/", HTTP_X_REQUEST_ID='x"\n{injected}')
    )
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_exceptions_are_logged_in_one_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Server error", (), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_the_access_log_line_keeps_no_query_string():
    atoms = {
        "m": "GET",
        "U": "/annuaire/",
        "q": "token=secret",
        "s": "200",
        "B": "512",
        "D": "1500",
        "h": "10.0.0.1",
    }
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s", (), None)
    record.args = atoms
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/annuaire/" and line["status"] == 200 and line["duration_ms"] == 1.5
    assert "secret" not in json.dumps(line)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "127.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # what the client wrote on the left is ignored
        (2, "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "10.0.0.2", "127.0.0.1"),
    ],
)
def test_the_client_address_behind_proxies(settings, proxies, forwarded, expected):
    settings.TERREAU_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == expected
