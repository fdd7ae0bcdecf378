import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by tests there are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Hashing passwords for real costs seconds per test; the hasher itself is Django's concern.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TERREAU_GEOCODER_URL = ""  # tests never reach the network; geocoding tests mock it
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
