"""The kit delivery note names the site once, then its street, postal code and commune (text extracted from
the real PDF)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from terreau.programs.kits import kit_assemble, kit_deliver
from terreau.programs.pdf import postal_address
from terreau.territories.models import PostalCode
from tests.programs.test_programs_support import make_items, make_program, people

pytestmark = pytest.mark.django_db


def _note_text(client, program, kit) -> str:
    response = client.get(reverse("programs:delivery_note", args=[program.slug, kit.pk]))
    assert response.status_code == 200
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)


@pytest.fixture
def delivered():
    program, site, _other, kit_model = make_program()
    users = people(program, site)
    kit = kit_assemble(kit_model=kit_model, items=make_items(program), code="K-A", by=users["coordinator"])
    kit_deliver(kit=kit, site=site, by=users["coordinator"])
    return program, site, kit, users


def test_site_named_once_with_its_organisation_street_and_postal_code(client, delivered):
    program, site, kit, users = delivered
    # As in the demo: the site bears its organisation's name and has no street of its own.
    org = site.organisation
    org.name, org.address, org.postal_code = site.name, "12 rue des Glycines", "86000"
    org.commune = site.commune
    org.save()
    client.force_login(users["coordinator"])
    text = _note_text(client, program, kit)
    assert text.count("EHPAD Les Tilleuls") == 1
    assert "Structure d'accueil" not in text
    assert "12 rue des Glycines, 86000 Poitiers" in text


def test_site_own_address_and_distinct_organisation(client, delivered):
    program, site, kit, users = delivered
    site.address = "3 place du Marché"
    site.save()
    PostalCode.objects.create(code="86000", commune=site.commune)
    client.force_login(users["coordinator"])
    text = _note_text(client, program, kit)
    assert text.count("EHPAD Les Tilleuls") == 1
    assert f"Structure d'accueil : {site.organisation.name}" in text
    assert "3 place du Marché, 86000 Poitiers" in text


def test_missing_street_is_said_and_a_full_address_is_not_repeated(delivered):
    _program, site, _kit, _users = delivered
    site.organisation.address = ""
    assert postal_address(site) == "Poitiers (voie non renseignée)"
    site.address = "3 place du Marché 86000 Poitiers"
    assert postal_address(site) == "3 place du Marché 86000 Poitiers"
