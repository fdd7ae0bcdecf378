"""The charter's pages: the editor (formsets), submission, approval by each partner through the page (a
non-partner refused), the PDF, the launch button, and the lineage on the program's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terreau.alliances import charter as services
from terreau.alliances.charter_models import Charter, CharterApproval, CharterVersion
from tests.alliances.groups_world import GroupWorld, build_world


@pytest.fixture
def gw(db) -> GroupWorld:
    return build_world()


def editor_post(gw, **extra):
    data = {
        "purpose": "Rompre l'isolement des aînés par le numérique.",
        "publics": ["seniors"],
        "key_issues": [gw.ageing.pk],
        "epcis": "",
        "communes": "",
        "governance": "Comité de pilotage",
        "starts_on": "2026-10-01",
        "partenaires-TOTAL_FORMS": "3",
        "partenaires-INITIAL_FORMS": "0",
        "partenaires-0-organisation": gw.a.pk,
        "partenaires-0-roles": ["pilot", "host"],
        "partenaires-1-organisation": gw.b.pk,
        "partenaires-1-roles": ["kits"],
        "partenaires-2-organisation": "",
        "budget-TOTAL_FORMS": "2",
        "budget-INITIAL_FORMS": "0",
        "budget-0-label": "Tablettes",
        "budget-0-amount": "4 500,00",
        "budget-0-source": "Solidatech",
        "budget-1-label": "",
    }
    data.update(extra)
    return data


def test_the_whole_charter_path_through_the_pages(client, gw, tmp_path):
    client.force_login(gw.member_a)
    response = client.post(
        reverse("alliances:charter_create", args=[gw.g1.pk]), {"title": "Silver Geek Vienne"}, follow=True
    )
    charter = Charter.objects.get(group=gw.g1)
    assert response.redirect_chain[-1][0] == reverse("alliances:charter_version_create", args=[charter.pk])
    assert "Partenaire 1" in response.content.decode()
    # Unknown commune codes: a French message, nothing written.
    response = client.post(
        reverse("alliances:charter_version_create", args=[charter.pk]),
        editor_post(gw, communes="86194 99999"),
    )
    assert response.status_code == 200 and "Codes de commune inconnus : 99999" in response.content.decode()
    assert not CharterVersion.objects.exists()
    # A partner without a role: the service's message.
    response = client.post(
        reverse("alliances:charter_version_create", args=[charter.pk]),
        editor_post(gw, **{"partenaires-1-roles": []}),
        follow=True,
    )
    assert "au moins un rôle" in response.content.decode()
    assert not CharterVersion.objects.exists()
    response = client.post(
        reverse("alliances:charter_version_create", args=[charter.pk]), editor_post(gw), follow=True
    )
    assert "Version 1 enregistrée" in response.content.decode()
    version = CharterVersion.objects.get(charter=charter)
    assert version.budget_lines == [{"label": "Tablettes", "amount": "4500.00", "source": "Solidatech"}]
    assert client.get(reverse("alliances:charter_version_edit", args=[charter.pk, 1])).status_code == 200
    client.post(reverse("alliances:charter_submit", args=[charter.pk, 1]))
    version.refresh_from_db()
    assert version.state == "submitted"
    # Frozen: the editor sends back to the charter.
    response = client.get(reverse("alliances:charter_version_edit", args=[charter.pk, 1]), follow=True)
    assert "ne change plus" in response.content.decode()

    # C is no partner: it does not even see the charter; its member cannot approve in A's name.
    client.force_login(gw.member_c)
    assert client.get(reverse("alliances:charter", args=[charter.pk])).status_code == 404
    client.force_login(gw.member_b)
    response = client.post(
        reverse("alliances:charter_approve", args=[charter.pk, 1]), {"organisation": gw.a.pk}
    )
    assert response.status_code == 403
    assert not CharterApproval.objects.exists()
    body = client.get(reverse("alliances:charter", args=[charter.pk])).content.decode()
    assert "Approuver la version 1 au nom de Bureau Beta" in body
    client.post(reverse("alliances:charter_approve", args=[charter.pk, 1]), {"organisation": gw.b.pk})
    client.force_login(gw.member_a)
    client.post(reverse("alliances:charter_approve", args=[charter.pk, 1]), {"organisation": gw.a.pk})
    version.refresh_from_db()
    assert version.state == "approved"

    pdf = client.get(reverse("alliances:charter_pdf", args=[charter.pk, 1]))
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )

    # Only the branch's staff launch the program; a lead does not.
    assert client.post(reverse("alliances:charter_launch", args=[charter.pk])).status_code == 403
    client.force_login(gw.facilitator)
    body = client.get(reverse("alliances:charter", args=[charter.pk])).content.decode()
    assert "Lancer le programme" in body
    response = client.post(reverse("alliances:charter_launch", args=[charter.pk]), follow=True)
    charter.refresh_from_db()
    assert charter.program is not None
    assert response.redirect_chain[-1][0] == charter.program.get_absolute_url()
    body = response.content.decode()
    assert "Genèse du projet" in body and "Diagnostic de la Vienne" in body and "Bien vieillir" in body
    assert reverse("alliances:charter", args=[charter.pk]) in body
    body = client.get(reverse("alliances:charter", args=[charter.pk])).content.decode()
    assert charter.program.get_absolute_url() in body


def test_a_second_launch_and_bad_approvals_answer_in_french(client, gw):
    charter = services.charter_create(group=gw.g1, title="Silver Geek", by=gw.member_a)
    client.force_login(gw.facilitator)
    response = client.post(reverse("alliances:charter_launch", args=[charter.pk]), follow=True)
    assert "approuvée par tous ses partenaires" in response.content.decode()
    client.force_login(gw.member_a)
    for raw in ("", "abc", "99999999999999999999", str(gw.c.pk)):
        response = client.post(
            reverse("alliances:charter_approve", args=[charter.pk, 1]), {"organisation": raw}
        )
        assert response.status_code in (403, 404)
    assert client.get(reverse("alliances:charter_pdf", args=[charter.pk, 7])).status_code == 404
