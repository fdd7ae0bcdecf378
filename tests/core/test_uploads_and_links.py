"""Toolkits for uploaded documents (terreau.core.uploads) and absolute URLs (terreau.core.links)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from terreau.core.links import absolute_url, invite_url, site_root
from terreau.core.uploads import DOCUMENT_MAX_BYTES, check_document


def test_accepted_documents_give_their_content_type():
    assert check_document(SimpleUploadedFile("compte-rendu.PDF", b"%PDF-1.7 ...")) == "application/pdf"
    assert check_document(SimpleUploadedFile("liste.csv", b"nom;ville\n")) == "text/csv"
    assert check_document(SimpleUploadedFile("diapos.odp", b"PK\x03\x04...")).endswith("presentation")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("script.exe", b"MZ", "Type de fichier refusé. Formats acceptés : csv, docx"),
        ("sans-extension", b"%PDF", "Type de fichier refusé"),
        ("vide.pdf", b"", "Le fichier est vide."),
        ("faux.pdf", b"<html>", "Le contenu du fichier ne correspond pas à son extension."),
        ("faux.docx", b"%PDF", "Le contenu du fichier ne correspond pas à son extension."),
    ],
)
def test_refused_documents_say_why_in_french(name, content, message):
    with pytest.raises(ValidationError) as refused:
        check_document(SimpleUploadedFile(name, content))
    assert refused.value.messages[0].startswith(message)


def test_too_big_documents_are_refused_before_reading_them():
    upload = SimpleUploadedFile("gros.pdf", b"%PDF")
    upload.size = DOCUMENT_MAX_BYTES + 1
    with pytest.raises(ValidationError, match="Fichier trop volumineux : 10 Mo au maximum."):
        check_document(upload)


def test_absolute_urls_use_the_request_or_the_configured_site(settings):
    settings.ALLOWED_HOSTS = ["labo.example.org"]
    settings.TERREAU_SITE_URL = "https://terreau.example.org/"
    assert absolute_url("/evenements/") == "https://terreau.example.org/evenements/"
    request = RequestFactory().get("/", HTTP_HOST="labo.example.org", secure=True)
    assert site_root(request) == "https://labo.example.org"
    assert absolute_url("/a/", request) == "https://labo.example.org/a/"
    assert absolute_url("/a/", root="http://testserver/") == "http://testserver/a/"


@pytest.mark.django_db
def test_invite_url_opens_the_password_choice(client):
    from tests.factories import UserFactory

    user = UserFactory()
    link = invite_url(user, root="http://testserver")
    assert link.startswith("http://testserver/comptes/mot-de-passe/nouveau/")
    response = client.get(link.removeprefix("http://testserver"), follow=True)
    assert 'name="new_password1"' in response.content.decode()
