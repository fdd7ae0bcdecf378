"""Exports of the filtered directory as CSV and XLSX: content, filters and access."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from terreau.directory.models import OrganisationKind
from tests.factories import BranchRoleFactory, NeedOfferFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for French Excel
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response) -> list[list]:
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def directory():
    public = OrganisationFactory(
        name="Solidatech",
        kind=OrganisationKind.COMPANY,
        siren="732829320",
        address="1 rue de la Paix",
        postal_code="86000",
        website="https://www.solidatech.fr",
        private_notes="Contact privilégié : Nadia",
    )
    public.themes.add("inclusion-numerique")
    NeedOfferFactory(organisation=public, offer=True)
    NeedOfferFactory(organisation=public)
    NeedOfferFactory(organisation=public, private=True)
    hidden = OrganisationFactory(name="Collectif discret", private=True, private_notes="Secret")
    formula = OrganisationFactory(name='=HYPERLINK("http://evil")', description="Rien")
    return {"public": public, "hidden": hidden, "formula": formula}


def test_csv_export_has_the_public_columns_of_visible_rows(client, directory):
    response = client.get(reverse("directory:export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="annuaire-terreau-' in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == [
        "Nom",
        "Sigle",
        "Type de structure",
        "SIREN",
        "SIRET",
        "RNA",
        "Commune",
        "Département",
        "Adresse",
        "Site web",
        "Thèmes",
        "Besoins ouverts",
        "Ressources ouvertes",
        "Antenne",
    ]
    by_name = {row[0]: row for row in rows}
    assert "Collectif discret" not in by_name
    solidatech = by_name["Solidatech"]
    assert solidatech[2:4] == ["Entreprise", "732829320"]
    assert solidatech[6:13] == [
        "Poitiers",
        "Vienne (86)",
        "1 rue de la Paix 86000",
        "https://www.solidatech.fr",
        "Inclusion numérique",
        "1",
        "1",
    ]
    assert '\'=HYPERLINK("http://evil")' in by_name  # never run as a formula
    assert b"Nadia" not in b"".join(client.get(reverse("directory:export", args=["csv"])).streaming_content)


def test_export_follows_the_search_filters(client, directory):
    response = client.get(reverse("directory:export", args=["csv"]), {"q": "solidatech", "kind": "company"})
    assert [row[0] for row in csv_rows(response)[1:]] == ["Solidatech"]
    response = client.get(reverse("directory:export", args=["csv"]), {"kind": "foundation"})
    assert csv_rows(response)[1:] == []


def test_xlsx_export(client, directory):
    response = client.get(reverse("directory:export", args=["xlsx"]), {"q": "solidatech"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *rows = xlsx_rows(response)
    assert header[0] == "Nom" and len(header) == 14
    assert rows[0][0] == "Solidatech" and rows[0][11:13] == [1, 1]


def test_branch_staff_get_their_internal_notes_only(client, directory):
    staff = BranchRoleFactory(branch=directory["public"].branch).user
    client.force_login(staff)
    header, *rows = csv_rows(client.get(reverse("directory:export", args=["csv"])))
    assert header[-1] == "Notes internes de l'antenne"
    by_name = {row[0]: row for row in rows}
    assert by_name["Solidatech"][-1] == "Contact privilégié : Nadia"
    # Another branch's private organisation stays invisible, and its notes with it.
    assert "Collectif discret" not in by_name
    # The count of open needs includes the branch-only need for the branch's staff.
    assert by_name["Solidatech"][11] == "2"


def test_members_and_other_users_never_get_internal_notes(client, directory):
    client.force_login(UserFactory())
    response = client.get(reverse("directory:export", args=["xlsx"]))
    header, *rows = xlsx_rows(response)
    assert "Notes internes de l'antenne" not in header
    assert all("Nadia" not in str(cell) for row in rows for cell in row)


def test_unknown_format_is_not_found(client):
    assert client.get("/export.pdf").status_code == 404
    assert client.post(reverse("directory:export", args=["csv"])).status_code == 405
