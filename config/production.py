"""Production settings: everything of settings.py, plus what an internet-facing deployment must have.

`python -m django check --deploy --settings=config.production` runs in CI with these settings.
"""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings import *  # noqa: F403
from config.settings import _DEV_SECRET, SECRET_KEY, STORAGES

DEBUG = False
if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("TERREAU_SECRET_KEY must be set to a long random value in production.")

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
SECURE_SSL_REDIRECT = env_bool("TERREAU_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("TERREAU_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("TERREAU_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
EMAIL_BACKEND = env_str("TERREAU_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# Preloading HSTS is a one-way commitment for the whole domain: an operator opts in with
# TERREAU_HSTS_PRELOAD=1; until then the check's reminder is acknowledged here.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
