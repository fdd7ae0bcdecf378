"""An import report never names a private organisation of another branch, written as the leak was found: branch A's
facilitator imports a file whose identifiers match branch B's private organisation (web and command line)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from terreau.core.models import TrackedJob
from terreau.directory.importers import import_organisations
from terreau.directory.models import ImportRun, Organisation
from tests.factories import BranchFactory, BranchRoleFactory, CommuneFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HEADER = "nom;sigle;type;siren;siret;rna;adresse;code_postal;code_commune;site_web;courriel;telephone;description;themes"
SECRET = "Fondation Discrète du Haut-Poitou"


@pytest.fixture
def hidden():
    """Branch B's private organisation, with every identifier set."""
    CommuneFactory()  # 86194 Poitiers
    return OrganisationFactory(
        private=True,
        branch=BranchFactory(slug="antenne-b"),
        name=SECRET,
        acronym="FDHP",
        slug="fondation-discrete",
        siren="775672272",
        siret="77567227200017",
        rna="W862000999",
    )


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


ROWS = {
    # Same SIREN: matched on the SIREN.
    "siren": "Ma fondation;;fondation;775672272;;;;;86194;;;;;",
    # Same SIRET: matched on the SIRET.
    "siret": "Mon établissement;;fondation;;77567227200017;;;;86194;;;;;",
    # Same RNA number.
    "rna": "Mon association;;association;;;W862000999;;;86194;;;;;",
    # Same SIREN with another RNA number: contradictory identifiers.
    "conflict": "Ma fondation bis;;fondation;775672272;;W862000111;;;86194;;;;;",
}


def assert_not_named(text: str, hidden_org: Organisation, typed: str) -> None:
    for secret in (SECRET, hidden_org.acronym, hidden_org.slug, hidden_org.get_absolute_url()):
        assert secret not in text
    # Nor its identifiers that the facilitator did not type.
    for identifier in (hidden_org.siren, hidden_org.siret, hidden_org.rna):
        assert identifier in typed or identifier not in text


@pytest.mark.parametrize("kind", list(ROWS))
def test_report_says_the_identifier_is_used_elsewhere_without_naming_it(hidden, kind):
    branch = BranchFactory()
    run = import_organisations(stream=io.BytesIO(csv_bytes(ROWS[kind])), file_name="a.csv", branch=branch)

    reason = run.rejections.get().reason
    assert_not_named(reason, hidden, ROWS[kind])
    assert "déjà utilisé par une organisation d'une autre antenne" in reason
    hidden.refresh_from_db()
    assert hidden.name == SECRET
    assert not Organisation.objects.filter(branch=branch).exists()


def test_a_public_organisation_of_another_branch_may_still_be_named(hidden):
    hidden.visibility = "public"
    hidden.save()
    run = import_organisations(
        stream=io.BytesIO(csv_bytes(ROWS["siren"])), file_name="a.csv", branch=BranchFactory()
    )
    assert SECRET in run.rejections.get().reason


def test_web_report_of_branch_a_facilitator_does_not_name_branch_b_private_organisation(
    client, hidden, django_capture_on_commit_callbacks
):
    role = BranchRoleFactory()
    client.force_login(role.user)
    upload = SimpleUploadedFile("a.csv", csv_bytes(*ROWS.values()), content_type="text/csv")

    # The import runs as a job (inline after the commit here); its progress page links to the report.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("directory:import"), {"file": upload, "branch": role.branch_id})
    response = client.get(TrackedJob.objects.get().result_url)

    html = response.content.decode()
    assert response.status_code == 200
    assert ImportRun.objects.get().rejected_count == len(ROWS)
    assert "déjà utilisé par une organisation d" in html
    assert_not_named(html, hidden, "\n".join(ROWS.values()))


def test_command_line_report_does_not_name_another_branch_private_organisation(hidden, tmp_path, capsys):
    BranchFactory(slug="antenne-a")
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(*ROWS.values()))
    rejects = tmp_path / "rejets.csv"

    call_command("import-organisations", str(path), branch="antenne-a", rejects_csv=str(rejects))

    out = capsys.readouterr().out + rejects.read_text(encoding="utf-8-sig")
    assert f"{len(ROWS)} rejetées" in out
    assert_not_named(out, hidden, "\n".join(ROWS.values()))
