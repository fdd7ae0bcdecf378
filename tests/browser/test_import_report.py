"""The import report lists every error of a row and gives back the rejected rows to correct and import
again (CSV download), at 1280 and 768 px; pages pass axe-core. Screenshots go to /tmp/shots/E/ when that
folder exists (looked at by hand, never committed)."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from terreau.directory.models import ImportRun
from tests.browser.conftest import assert_accessible, login
from tests.browser.jobs import follow_job
from tests.factories import BranchRoleFactory, CommuneFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/E")
HEADER = "nom;type;siret;code_postal;code_commune;telephone;description"
ROWS = [
    ";association;12345678901234;8600;99999;+33 5 49 00 00 00;<b>Ateliers</b> =1+1",
    "Centre des Trois Cités;association;;86000;86194;;Ateliers numériques",
    "Type inconnu;coopérative;;86000;86194;;",
]


def shot(page, name: str) -> None:
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.mark.parametrize("width", [1280, 768])
def test_report_lists_every_error_and_downloads_the_rejected_rows(page, tmp_path, width):
    CommuneFactory()
    role = BranchRoleFactory()
    source = tmp_path / "associations.csv"
    source.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    page.set_viewport_size({"width": width, "height": 900})
    login(page, role.user.email)

    page.goto("/importer/")
    page.get_by_label("Fichier CSV").set_input_files(str(source))
    page.get_by_label("Antenne", exact=True).select_option(str(role.branch_id))
    page.get_by_role("button", name="Importer le fichier").click()
    follow_job(page)  # the import job's progress page, then the report
    page.wait_for_url("**/importer/*/")

    expect(page.get_by_role("heading", name="Rapport d'import")).to_be_visible()
    rejected = page.get_by_role("region", name="Lignes rejetées")
    multi = rejected.get_by_role("row").filter(has_text="Colonne « nom », vide")
    errors = multi.get_by_role("listitem")
    expect(errors).to_have_count(4)
    expect(errors.nth(0)).to_have_text("Colonne « nom », vide : le nom est obligatoire.")
    expect(errors.nth(1)).to_contain_text(
        "Colonne « siret », valeur « 12345678901234 » : numéro SIRET invalide"
    )
    expect(errors.nth(2)).to_have_text(
        "Colonne « code_postal », valeur « 8600 » : code postal invalide (5 chiffres attendus)."
    )
    expect(errors.nth(3)).to_have_text(
        "Colonne « code_commune », valeur « 99999 » : code commune INSEE inconnu."
    )
    expect(rejected.get_by_role("cell").filter(has_text="type de structure inconnu")).to_be_visible()
    expect(page.locator("b", has_text="Ateliers")).to_have_count(0)  # the raw line is shown as text
    download_link = page.get_by_role("button", name="Télécharger les lignes refusées (CSV)")
    expect(download_link).to_be_visible()
    expect(page.get_by_role("button", name="Format Excel (XLSX)")).to_be_visible()
    assert_accessible(page)
    shot(page, f"import-report-{width}.png")

    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == "associations-lignes-refusees.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0] == [*HEADER.split(";"), "erreurs"]
    assert [r[0] for r in rows[1:]] == ["", "Type inconnu"]
    assert rows[1][5] == "'+33 5 49 00 00 00"  # neutralised for spreadsheets, read back as it was
    assert rows[1][6] == "<b>Ateliers</b> =1+1"
    assert len(rows[1][7].split(" | ")) == 4

    # Corrected and imported again: the rows go in, the phone number unchanged.
    rows[1][:5] = ["Aidants 86", "association", "", "86000", "86194"]
    rows[2][1] = "association"
    fixed = tmp_path / "corrige.csv"
    with fixed.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=";").writerows(rows)
    page.goto("/importer/")
    page.get_by_label("Fichier CSV").set_input_files(str(fixed))
    page.get_by_label("Antenne", exact=True).select_option(str(role.branch_id))
    page.get_by_role("button", name="Importer le fichier").click()
    follow_job(page)  # the import job's progress page, then the report
    page.wait_for_url("**/importer/*/")
    expect(page.get_by_text("Aucune ligne rejetée.")).to_be_visible()
    assert_accessible(page)
    shot(page, f"import-report-corrected-{width}.png")
    latest = ImportRun.objects.latest("pk")
    assert (latest.created_count, latest.rejected_count) == (2, 0)
