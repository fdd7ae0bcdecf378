"""Terreau settings. Everything that differs between machines comes from the environment (config.env)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
NODE_MODULES = BASE_DIR / "node_modules"

DEBUG = env_bool("TERREAU_DEBUG", default=False)
# The default key only serves development and tests; production settings refuse it (see check_production).
_DEV_SECRET = "dev-only-insecure-key-change-me"  # noqa: S105
SECRET_KEY = env_str("TERREAU_SECRET_KEY", _DEV_SECRET)
ALLOWED_HOSTS = env_list("TERREAU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("TERREAU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",  # Django's form and widget templates, for TemplatesSetting below
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "procrastinate.contrib.django",
    "terreau.core",
    "terreau.accounts",
    "terreau.territories",
    "terreau.directory",
    "terreau.matching",
    "terreau.partnerships",
    "terreau.programs",
    "terreau.activities",
    "terreau.meetings",
    "terreau.events",
    "terreau.notifications",
    "terreau.alliances",
    "terreau.contributions",
    "terreau.evaluation",
    "terreau.api",
    "terreau.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "terreau.core.middleware.DropNulFromQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "terreau.accounts.two_factor_middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "terreau.core.audit.AuditDeniedAccessMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Forms render through the project's templates, so that terreau/templates/django/forms/div.html gives every
# `form.as_div` the project's field markup (required marker, errors and help linked to the field).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "terreau" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "terreau.core.context_processors.terreau",
                "terreau.accounts.two_factor.context_processor",
            ],
            # French text filters in every template; its ``date`` replaces Django's to write "1er janvier".
            "builtins": ["terreau.core.templatetags.french"],
        },
    }
]

# SQLite is the zero-configuration default; production runs PostgreSQL (DATABASE_URL=postgres://...).
SILENCED_SYSTEM_CHECKS: list[str] = []
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'terreau.sqlite3'}"),
        conn_max_age=env_int("TERREAU_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["TEST"] = {"NAME": None}
    # The directory's filter table has covering indexes (INCLUDE) for PostgreSQL; SQLite, which never reads that
    # table, builds them without the extra columns, and the demo need not print a warning about it.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_ROUTERS = ["terreau.core.db_routers.QueueOnPostgresOnly"]

# Background jobs (terreau/core/jobs.py): Procrastinate's queue in PostgreSQL, worked by `terreau worker`.
# SQLite has no queue: each job runs in the process that asked for it, right after the commit.
# Statistical confidentiality (docs: ../shared/domain/facts.md): no evaluation figure is published on fewer
# respondents than this; each evaluation may raise it (never below 3).
TERREAU_EVALUATION_MIN_COUNT = env_int("TERREAU_EVALUATION_MIN_COUNT", 5)
# Seconds anonymous visitors share a public total (map counts, API list counts): terreau.core.public_totals.
TERREAU_PUBLIC_TOTALS_SECONDS = env_int("TERREAU_PUBLIC_TOTALS_SECONDS", 0)
TERREAU_JOBS_INLINE = env_bool(
    "TERREAU_JOBS_INLINE", DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
)
TERREAU_JOBS_BACKOFF_SECONDS = env_int("TERREAU_JOBS_BACKOFF_SECONDS", 4)
# Processes that explain and write a full rebuild's suggestions on PostgreSQL (0: one per core; 1: none forked):
# terreau/matching/rebuild_processes.py.
TERREAU_REBUILD_PROCESSES = env_int("TERREAU_REBUILD_PROCESSES", 0)
# Memory of PostgreSQL's sorts building a rebuilt generation's indexes (terreau/matching/partitions.py).
TERREAU_REBUILD_INDEX_MEMORY_MB = env_int("TERREAU_REBUILD_INDEX_MEMORY_MB", 512)
PROCRASTINATE_WORKER_DEFAULTS = {
    # A worker that stops sending heartbeats for this long is taken as dead; its jobs are then retried
    # (terreau/core/tasks.py: retry_stalled_jobs).
    "update_heartbeat_interval": float(env_int("TERREAU_WORKER_HEARTBEAT_SECONDS", 10)),
    "stalled_worker_timeout": float(env_int("TERREAU_WORKER_STALLED_SECONDS", 30)),
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "directory:search"
LOGOUT_REDIRECT_URL = "directory:search"

# Login rate limiting (django-axes, extended in terreau/accounts/throttling.py):
# - a person+address pair is locked after AXES_FAILURE_LIMIT failures; the person is the account the typed
#   e-mail signs in to (spaces, case and Unicode variants are one person), never the string typed;
# - an address failing across many accounts is locked at a second, higher limit;
# - password-reset e-mails are limited per person and requests per address, over the same cool-off.
AXES_FAILURE_LIMIT = env_int("TERREAU_LOGIN_FAILURE_LIMIT", 5)
TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
TERREAU_PASSWORD_RESET_LIMIT = env_int("TERREAU_PASSWORD_RESET_LIMIT", 3)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "terreau.accounts.throttling.AddressLimitedHandler"
AXES_USERNAME_CALLABLE = "terreau.accounts.throttling.axes_identity"
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
# Our login form posts the e-mail address in the "username" field (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLED = env_bool("TERREAU_AXES_ENABLED", True)

# Two-factor authentication (django-otp, terreau/accounts/two_factor.py): staff (superusers, network
# administrators, facilitators) must sign in with a code from an authenticator app; only the demo turns it off.
TERREAU_STAFF_2FA_REQUIRED = env_bool("TERREAU_STAFF_2FA_REQUIRED", True)
OTP_TOTP_ISSUER = "Terreau"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "terreau" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise's middleware serves /static/ from the application, DEBUG on or off: from STATIC_ROOT, filled by
# `collectstatic` in scripts/setup.sh (the demo runs with DEBUG off), and from the finders too when DEBUG is on.
STATIC_ROOT = BASE_DIR / "var" / "static"
# Third-party front-end code comes from npm at set-up time and is served from node_modules (never committed).
STATICFILES_DIRS = [
    BASE_DIR / "terreau" / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/pico", NODE_MODULES / "@picocss" / "pico" / "css"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/markercluster", NODE_MODULES / "leaflet.markercluster" / "dist"),
    ("vendor/france-departments", NODE_MODULES / "@svg-maps" / "france.departments"),
    ("vendor/tom-select", NODE_MODULES / "tom-select" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("TERREAU_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Largest CSV accepted through the web interface; bigger files go through `terreau import-organisations`.
TERREAU_IMPORT_MAX_UPLOAD_BYTES = env_int("TERREAU_IMPORT_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)

EMAIL_BACKEND = env_str("TERREAU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("TERREAU_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("TERREAU_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("TERREAU_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("TERREAU_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TERREAU_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("TERREAU_DEFAULT_FROM_EMAIL", "Terreau <ne-pas-repondre@terreau.localhost>")

# Geocoding through the national address service (Base Adresse Nationale). Empty disables it (offline).
TERREAU_GEOCODER_URL = env_str("TERREAU_GEOCODER_URL", "https://api-adresse.data.gouv.fr/search/")
TERREAU_GEOCODER_TIMEOUT = float(env_int("TERREAU_GEOCODER_TIMEOUT_MS", 3000)) / 1000
# Map tiles: OpenStreetMap by default; empty means no tile layer (offline demo), markers still show.
TERREAU_TILE_URL = env_str("TERREAU_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
TERREAU_TILE_ATTRIBUTION = env_str(
    "TERREAU_TILE_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "terreau.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Terreau",
    "DESCRIPTION": (
        "Annuaire des acteurs d'un territoire : organisations, besoins, ressources, territoires.\n\n"
        "Lecture : sans authentification, seules les données publiques sont renvoyées. "
        "Écriture et données réservées : en-tête `Authorization: Token <jeton>` (jeton à créer sur "
        "la page « Jeton d'API » une fois connecté, ou avec `terreau create-api-token EMAIL`), "
        "ou session du site. Les mêmes règles d'accès que les pages s'appliquent : un objet invisible "
        "répond 404, un objet visible mais non modifiable répond 403."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the drf-spectacular-sidecar package (no CDN: the CSP allows only our origin).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name per choice set shared by several components (creation and reading serializers).
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "terreau.directory.models.OrganisationKind",
        "NeedOfferDirectionEnum": "terreau.directory.models.Direction",
        "ThemeEnum": "terreau.vocabulary.THEMES",
        "ContributionKindEnum": "terreau.contributions.models.Kind",
    },
}

# Content Security Policy (django-csp 4): only our own origin, plus the configured tile server.
_TILE_ORIGIN = "/".join(TERREAU_TILE_URL.split("/")[:3]) if TERREAU_TILE_URL.startswith("http") else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"] + ([_TILE_ORIGIN] if _TILE_ORIGIN else []),
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Django 6 behaviour now: a URL typed without a scheme is taken as https.
FORMS_URLFIELD_ASSUME_HTTPS = True
CSRF_FAILURE_VIEW = "terreau.core.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TERREAU_LOG_LEVEL", "WARNING")},
}

TERREAU_DEMO_BANNER = env_bool("TERREAU_DEMO", False)
# A contact request nobody answered expires after this many days (`terreau expire-contact-requests`, daily).
TERREAU_CONTACT_REQUEST_EXPIRY_DAYS = env_int("TERREAU_CONTACT_REQUEST_EXPIRY_DAYS", 21)
# Public address of the site, used in e-mails sent outside a request (commands run by cron).
TERREAU_SITE_URL = env_str("TERREAU_SITE_URL", "http://127.0.0.1:8000")
# Matching suggestions are computed by jobs and stored (terreau.matching.store); web processes hold no index.
