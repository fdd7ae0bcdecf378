"""Uploaded files: organisation logos are public and served with DEBUG off (the demo runs so); every other
upload is a private document, never served by its path."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "atelier.png").write_bytes(b"\x89PNG\r\n\x1a\nlogo")
    (tmp_path / "programs" / "documents").mkdir(parents=True)
    (tmp_path / "programs" / "documents" / "convention.pdf").write_bytes(b"%PDF-1.4 private")
    return tmp_path


@override_settings(DEBUG=False)
def test_logos_are_served_with_debug_off(client, media):
    response = client.get("/media/logos/atelier.png")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).endswith(b"logo")


@pytest.mark.parametrize(
    "path",
    [
        "/media/programs/documents/convention.pdf",
        "/media/logos/../programs/documents/convention.pdf",
        "/media/logos/%2e%2e/programs/documents/convention.pdf",
        "/media/logos/",
    ],
)
def test_private_documents_are_never_served_by_path(client, media, path):
    # 404, or 400 when the path tries to climb out of the logos folder (Django's SuspiciousFileOperation).
    assert client.get(path).status_code in (400, 404)
