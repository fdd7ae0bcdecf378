"""A facilitator imports a CSV with bad rows and reads the report (both pages pass axe-core)."""

from pathlib import Path

import pytest

from terreau.directory.models import ImportRun, Organisation
from tests.browser.conftest import assert_accessible, login
from tests.browser.jobs import follow_job
from tests.factories import BranchRoleFactory, CommuneFactory

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "generic.csv"


def test_facilitator_imports_a_csv_with_bad_rows_and_reads_the_report(page):
    CommuneFactory()
    role = BranchRoleFactory()
    login(page, role.user.email)

    page.goto("/importer/")
    assert page.get_by_role("heading", name="Importer des organisations").is_visible()
    assert_accessible(page)

    page.get_by_label("Fichier CSV").set_input_files(str(SAMPLE))
    page.get_by_label("Format", exact=True).select_option("generic")
    page.get_by_label("Antenne", exact=True).select_option(str(role.branch_id))
    page.get_by_role("button", name="Importer le fichier").click()
    # The file is imported by a job: its progress page, then the report.
    follow_job(page, expect_text="lignes lues")
    page.wait_for_url("**/importer/*/")

    assert page.get_by_role("heading", name="Rapport d'import").is_visible()
    rejected = page.get_by_role("region", name="Lignes rejetées")
    assert rejected.get_by_role("row").filter(has_text="SIREN invalide").first.is_visible()
    assert (
        rejected.get_by_role("row")
        .filter(has_text="Commune inconnue")
        .get_by_role("cell")
        .nth(1)
        .inner_text()
        .replace("\xa0", " ")
        == "Colonne « code_commune », valeur « 99999 » : code commune INSEE inconnu."
    )
    assert page.get_by_text("organisations créées").is_visible()
    assert_accessible(page)

    run = ImportRun.objects.get()
    assert run.rejected_count == 7  # the La Rochelle commune is not loaded in this test
    assert Organisation.objects.filter(branch=role.branch).count() == 2

    page.get_by_role("link", name="← Retour aux imports").click()
    assert page.get_by_role("link", name="generic.csv").is_visible()
    assert_accessible(page)
