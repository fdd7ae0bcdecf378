"""Production settings: everything of settings.py, plus what an internet-facing deployment must have.

Everything comes from the environment; docs/deployment.md lists every variable.
`python -m django check --deploy --settings=config.production` runs in CI with these settings.
"""

from importlib.metadata import version as _version
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_cache, env_float, env_int, env_list, env_str
from config.settings import *  # noqa: F403
from config.settings import _DEV_SECRET, MIDDLEWARE, SECRET_KEY, SILENCED_SYSTEM_CHECKS, STATIC_ROOT, STORAGES

DEBUG = False
if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("TERREAU_SECRET_KEY must be set to a long random value in production.")
ALLOWED_HOSTS = env_list("TERREAU_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("TERREAU_ALLOWED_HOSTS must list the site's host names in production.")

# Health probes are answered first, before any redirect, host check, session or cookie
# (terreau/core/health.py); then every request gets an id for the logs (terreau/core/observability.py).
MIDDLEWARE = [
    "terreau.core.health.HealthCheckMiddleware",
    "terreau.core.observability.RequestIdMiddleware",
    *MIDDLEWARE,
]

STATIC_ROOT = Path(env_str("TERREAU_STATIC_ROOT", str(STATIC_ROOT)))
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# Shared by every process and machine: the login and password-reset limits count in the cache.
CACHES = {"default": env_cache("TERREAU_CACHE_URL", "db://")}
# Anonymous visitors share the map's and the API lists' totals for a minute (terreau.core.public_totals).
TERREAU_PUBLIC_TOTALS_SECONDS = env_int("TERREAU_PUBLIC_TOTALS_SECONDS", 60)

SECURE_SSL_REDIRECT = env_bool("TERREAU_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("TERREAU_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("TERREAU_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Number of reverse proxies in front of the application that append to X-Forwarded-For (nginx: 1); the
# login limits then count per client address instead of per proxy (terreau/core/proxy.py).
TERREAU_TRUSTED_PROXIES = env_int("TERREAU_TRUSTED_PROXIES", 1)
AXES_CLIENT_IP_CALLABLE = "terreau.core.proxy.client_ip"

EMAIL_BACKEND = env_str("TERREAU_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_USE_SSL = env_bool("TERREAU_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("TERREAU_EMAIL_TIMEOUT", 20)
SERVER_EMAIL = env_str("TERREAU_SERVER_EMAIL", DEFAULT_FROM_EMAIL)  # noqa: F405

# One JSON object per line on standard output (terreau/core/observability.py); the service manager or the
# container runtime collects it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "terreau.core.observability.JsonFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
    },
    "root": {"handlers": ["stdout"], "level": env_str("TERREAU_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (mail to admins, console with DEBUG) are replaced: errors go to the root.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
    },
}

# Errors are reported to Sentry (or a service speaking its protocol) when a DSN is set; never personal data.
TERREAU_SENTRY_DSN = env_str("TERREAU_SENTRY_DSN", "")
if TERREAU_SENTRY_DSN:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError:
        raise ImproperlyConfigured(
            "TERREAU_SENTRY_DSN is set but sentry-sdk is missing: pip install 'terreau[sentry]'."
        ) from None
    sentry_sdk.init(
        dsn=TERREAU_SENTRY_DSN,
        integrations=[DjangoIntegration()],
        environment=env_str("TERREAU_SENTRY_ENVIRONMENT", "production"),
        release=f"terreau@{_version('terreau')}",
        traces_sample_rate=env_float("TERREAU_SENTRY_TRACES_SAMPLE_RATE", 0.0),
        send_default_pii=False,
    )

# Preloading HSTS is a one-way commitment for the whole domain: an operator opts in with
# TERREAU_HSTS_PRELOAD=1; until then the check's reminder is acknowledged here.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
