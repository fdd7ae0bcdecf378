"""'Mon espace': each part under its own heading, contact requests under "Mises en relation", never under the
API heading; only the requests of the person's own organisations."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from terreau.partnerships import services
from terreau.programs.models import Program, ProgramRole
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def sections(html: str) -> dict[str, str]:
    """{h2 heading: the HTML up to the next h2}, in page order."""
    parts = re.split(r"<h2[^>]*>(.*?)</h2>", html)
    return {unescape(parts[i].strip()): unescape(parts[i + 1]) for i in range(1, len(parts) - 1, 2)}


@pytest.fixture
def member_with_requests():
    branch = BranchFactory()
    mine = OrganisationFactory(branch=branch, name="Résidence des Tilleuls")
    member = MembershipFactory(organisation=mine).user
    asking = OrganisationFactory(branch=branch, name="Gym douce solidaire")
    asked = OrganisationFactory(branch=branch, name="Assurances du Marais")
    partner = OrganisationFactory(branch=branch, name="Théâtre des champs")
    elsewhere = OrganisationFactory(branch=branch, name="Structure sans lien")
    services.contact_request_create(sender=asking, recipient=mine, need=None, offer=None, message="Bonjour")
    services.contact_request_create(sender=mine, recipient=asked, need=None, offer=None, message="Bonjour")
    accepted = services.contact_request_create(
        sender=partner, recipient=mine, need=None, offer=None, message="Une saison de théâtre ?"
    )
    partnership = services.contact_request_accept(request=accepted, by=member, answer="Avec plaisir")
    services.contact_request_create(
        sender=elsewhere, recipient=asked, need=None, offer=None, message="Hors sujet"
    )
    return member, partnership


def test_contact_requests_have_their_own_heading_before_the_api(client, member_with_requests):
    member, partnership = member_with_requests
    client.force_login(member)
    html = client.get(reverse("accounts:profile")).content.decode()
    parts = sections(html)
    headings = list(parts)
    assert headings == [
        "Mes structures",
        "Mises en relation et partenariats",
        "Alliances du territoire",
        "Contributions et reçus fiscaux",
        "Sécurité du compte",
        "Accès à l'API",
    ]
    requests = parts["Mises en relation et partenariats"]
    assert "Gym douce solidaire" in requests  # awaiting the member's answer
    assert "Assurances du Marais" in requests  # sent
    assert "En attente de réponse" in requests
    assert reverse("partnerships:detail", args=[partnership.pk]) in requests  # accepted: its space
    assert reverse("partnerships:inbox") in requests
    assert "Structure sans lien" not in html  # a request between other organisations
    api = parts["Accès à l'API"]
    assert reverse("api-token") in api
    assert "relation" not in api and reverse("partnerships:inbox") not in api
    assert "Résidence des Tilleuls" in parts["Mes structures"]


def test_without_organisation_the_page_says_how_requests_work_and_lists_programs(client):
    user = UserFactory()
    branch = BranchFactory()
    program = Program.objects.create(branch=branch, name="Ateliers numériques", slug="ateliers-numeriques")
    ProgramRole.objects.create(program=program, user=user, role=ProgramRole.Role.COORDINATOR)
    client.force_login(user)
    parts = sections(client.get(reverse("accounts:profile")).content.decode())
    assert list(parts) == [
        "Mes structures",
        "Mises en relation et partenariats",
        "Mes programmes",
        "Sécurité du compte",
        "Accès à l'API",
    ]
    assert "au nom d'une structure" in parts["Mises en relation et partenariats"]
    assert program.get_absolute_url() in parts["Mes programmes"]


def test_facilitator_sees_branches_team_and_pipeline_links(client):
    role = BranchRoleFactory()
    client.force_login(role.user)
    parts = sections(client.get(reverse("accounts:profile")).content.decode())
    assert list(parts) == [
        "Mes structures",
        "Mises en relation et partenariats",
        "Alliances du territoire",
        "Antennes que j'anime",
        "Contributions et reçus fiscaux",
        "Sécurité du compte",
        "Accès à l'API",
    ]
    assert reverse("partnerships:board") in parts["Mises en relation et partenariats"]
    assert reverse("accounts:team") in parts["Antennes que j'anime"]
    assert role.branch.name in parts["Antennes que j'anime"]
