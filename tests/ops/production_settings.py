"""config.production as it is, except for static files: the tests run from var/static as collected by
scripts/setup.sh (no manifest; a manifest build compresses every file and takes half a minute)."""

from config.production import *  # noqa: F403
from config.production import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
