"""The demo runs with DEBUG off (scripts/demo.sh): static files come from the application itself (WhiteNoise,
from the files collected into STATIC_ROOT by scripts/setup.sh) and error pages are Terreau's French ones."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import path

from config import urls as config_urls


@pytest.fixture
def collected(tmp_path):
    """Terreau's own static files collected into a temporary STATIC_ROOT, as setup.sh does into var/static."""
    own = [settings.BASE_DIR / "terreau" / "static"]
    with override_settings(STATIC_ROOT=tmp_path, STATICFILES_DIRS=own, DEBUG=False):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield tmp_path


def test_demo_script_runs_with_debug_off():
    script = (settings.BASE_DIR / "scripts" / "demo.sh").read_text()
    assert "TERREAU_DEBUG=${TERREAU_DEBUG:-0}" in script
    setup = (settings.BASE_DIR / "scripts" / "setup.sh").read_text()
    assert "manage.py collectstatic --noinput" in setup


def test_static_files_are_served_by_the_application_with_debug_off(collected, db):
    assert not settings.DEBUG
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    response = Client().get("/static/terreau/terreau.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    body = b"".join(response.streaming_content)
    assert body == (settings.BASE_DIR / "terreau" / "static" / "terreau" / "terreau.css").read_bytes()


def test_a_missing_static_file_is_a_french_404(collected, db):
    response = Client().get("/static/terreau/absent.css")
    assert response.status_code == 404
    assert "Cette page n'existe pas" in response.content.decode()


@override_settings(DEBUG=False)
def test_not_found_page_is_french(db):
    response = Client().get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Erreur" in page and "Cette page n'existe pas ou vous n'y avez pas accès." in page
    assert 'lang="fr"' in page


def _broken_view(request):
    raise RuntimeError("a failure nobody foresaw")


# This module doubles as a URLconf: the project's URLs and handlers plus one view that fails.
urlpatterns = [path("panne/", _broken_view), *config_urls.urlpatterns]
handler500 = config_urls.handler500
handler404 = config_urls.handler404


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_server_error_page_is_french(db):
    response = Client(raise_request_exception=False).get("/panne/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Une erreur est survenue" in page and 'lang="fr"' in page
    assert "Traceback" not in page and "RuntimeError" not in page


def test_project_urls_name_the_french_error_handlers():
    assert config_urls.handler404 == "terreau.core.views.page_not_found"
    assert config_urls.handler500 == "terreau.core.views.server_error"
