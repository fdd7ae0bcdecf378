"""Every error of a rejected row, and the rejected rows given back as a file to correct and import again."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from terreau.directory.importers import import_organisations, staging
from terreau.directory.importers.rejects import rejects_filename
from terreau.directory.models import ImportRun, Organisation
from tests.factories import BranchFactory, BranchRoleFactory, CommuneFactory

pytestmark = pytest.mark.django_db

HEADER = "Nom;Type;SIRET;Code_Postal;code_commune;telephone;courriel"
BAD_ROW = ";association;12345678901234;8600;99999;+33 5 49 00 00 00;pas-un-courriel"
GOOD_ROW = "Bonne ligne;association;;86000;86194;;"


@pytest.fixture(autouse=True)
def _copy_paths(monkeypatch):
    """On PostgreSQL, small test files go through the COPY paths too (SQLite keeps bulk_create)."""
    monkeypatch.setattr(staging, "COPY_THRESHOLD", 1)


@pytest.fixture
def role():
    CommuneFactory()  # 86194 Poitiers
    return BranchRoleFactory()


def run(text: str, branch, name="associations.csv") -> ImportRun:
    return import_organisations(stream=io.BytesIO(text.encode()), file_name=name, branch=branch)


def test_a_row_lists_all_its_errors_with_column_and_value(role):
    result = run(f"{HEADER}\n{BAD_ROW}\n{GOOD_ROW}\n", role.branch)

    assert (result.created_count, result.rejected_count) == (1, 1)
    rejection = result.rejections.get()
    assert rejection.reasons == [
        "Colonne « nom », vide : le nom est obligatoire.",
        "Colonne « siret », valeur « 12345678901234 » : numéro SIRET invalide : 14 chiffres avec une clé "
        "de contrôle correcte.",
        "Colonne « courriel », valeur « pas-un-courriel » : adresse de courriel invalide.",
        "Colonne « code_postal », valeur « 8600 » : code postal invalide (5 chiffres attendus).",
        "Colonne « code_commune », valeur « 99999 » : code commune INSEE inconnu.",
    ]
    assert rejection.fields == BAD_ROW.split(";")
    assert result.header == HEADER.split(";")


def test_database_checks_add_to_each_other(role):
    other = BranchFactory()
    Organisation.objects.create(
        branch=other, name="Ailleurs", slug="ailleurs", kind="association", rna="W862000123"
    )
    result = run("nom;type;rna;code_commune\nAilleurs;association;W862000123;99999\n", role.branch)

    reasons = result.rejections.get().reasons
    assert len(reasons) == 2
    assert "code commune INSEE inconnu" in reasons[0]
    assert "autre antenne" in reasons[1]


def test_rna_rows_list_all_their_errors(role):
    header = "id;titre;objet;position;date_disso;adrs_codeinsee;adrs_codepostal;siret"
    result = run(f"{header}\nX12;;Objet;A;;8A;86000;123\n", role.branch)

    reasons = result.rejections.get().reasons
    assert [r.split(",")[0] for r in reasons] == [
        "Colonne « siret »",
        "Colonne « id »",
        "Colonne « titre »",
        "Colonne « adrs_codeinsee »",
    ]


def download(client, result, fmt="csv"):
    return client.get(reverse("directory:import_rejects", args=[result.pk, fmt]))


def test_rejected_rows_download_keeps_the_uploaded_columns(client, role):
    result = run(f"{HEADER}\n{BAD_ROW}\n{GOOD_ROW}\n", role.branch)
    client.force_login(role.user)

    response = download(client, result)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="associations-lignes-refusees.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [*HEADER.split(";"), "erreurs"]
    assert len(rows) == 2
    assert rows[1][:7] == [
        "",
        "association",
        "12345678901234",
        "8600",
        "99999",
        "'+33 5 49 00 00 00",
        "pas-un-courriel",
    ]
    assert rows[1][7].split(" | ")[0] == "Colonne « nom », vide : le nom est obligatoire."


def test_rejected_rows_download_as_xlsx(client, role):
    result = run(f"{HEADER}\n{BAD_ROW}\n", role.branch)
    client.force_login(role.user)

    response = download(client, result, "xlsx")

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "erreurs"
    assert rows[1][2] == "12345678901234"
    assert "code postal invalide" in rows[1][-1]


def test_corrected_file_imports_again_without_a_second_errors_column(client, role):
    result = run(f"{HEADER}\n{BAD_ROW}\n", role.branch)
    client.force_login(role.user)
    rows = list(
        csv.reader(
            io.StringIO(b"".join(download(client, result).streaming_content).decode("utf-8-sig")),
            delimiter=";",
        )
    )

    rows[1][:5] = ["Corrigée", "association", "", "86000", "86194"]
    rows[1][6] = ""
    again = run("\n".join(";".join(r) for r in rows) + "\n", role.branch)

    assert again.rejected_count == 0
    assert Organisation.objects.get(name="Corrigée").phone == "+33 5 49 00 00 00"

    # Rejected a second time: the "erreurs" column is replaced, not repeated.
    rows[1][0] = ""
    third = run("\n".join(";".join(r) for r in rows) + "\n", role.branch)
    header = list(
        csv.reader(
            io.StringIO(b"".join(download(client, third).streaming_content).decode("utf-8-sig")),
            delimiter=";",
        )
    )[0]
    assert header == [*HEADER.split(";"), "erreurs"]


def test_hostile_text_is_neutralised_and_never_breaks_the_download(client, role):
    hostile = '=HYPERLINK("http://x","clic")'
    name = 'nul\x01"\r\n; <script>.csv'
    result = run(f"nom;type;description\n{hostile};coopérative;@SUM(1)\x07\n", role.branch, name=name)
    client.force_login(role.user)

    csv_response = download(client, result)
    xlsx_response = download(client, result, "xlsx")

    assert csv_response.status_code == xlsx_response.status_code == 200
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text), delimiter=";"))[1]
    assert row[0] == "'" + hostile
    assert row[2].startswith("'@SUM")
    assert "\r" not in csv_response["Content-Disposition"] and "\n" not in csv_response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(xlsx_response.streaming_content))).active
    assert next(sheet.iter_rows(min_row=2, values_only=True))[0] == "'" + hostile
    report = client.get(reverse("directory:import_report", args=[result.pk]))
    assert report.status_code == 200
    assert "<script>" not in report.content.decode()


def test_only_the_branch_that_ran_the_import_downloads_its_rejected_rows(client, role):
    result = run(f"{HEADER}\n{BAD_ROW}\n", role.branch)

    assert download(client, result).status_code == 302  # anonymous: to the login page
    client.force_login(BranchRoleFactory().user)  # staff of another branch
    assert download(client, result).status_code == 404
    client.force_login(role.user)
    assert download(client, result, "pdf").status_code == 404


def test_the_report_lists_every_error_and_offers_the_download(client, role):
    result = run(f"{HEADER}\n{BAD_ROW}\n", role.branch)
    client.force_login(role.user)

    html = client.get(reverse("directory:import_report", args=[result.pk])).content.decode()

    assert html.count("<li>Colonne «\u00a0") == 5  # no line break inside « » on the page
    assert "Télécharger les lignes refusées (CSV)" in html
    assert reverse("directory:import_rejects", args=[result.pk, "xlsx"]) in html


def test_download_name_is_safe():
    assert rejects_filename(ImportRun(file_name='a"b\r\n.csv'), "csv") == "ab-lignes-refusees.csv"
    assert rejects_filename(ImportRun(file_name=".csv"), "xlsx") == "import-lignes-refusees.xlsx"
