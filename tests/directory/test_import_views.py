"""Import pages: staff-only access, upload, size limit before reading, report, template download."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from terreau.core.models import TrackedJob
from terreau.directory.importers import import_organisations, stored
from terreau.directory.models import ImportRun, Organisation
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    CommuneFactory,
    DepartmentFactory,
    MembershipFactory,
    NetworkRoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parents[1] / "data"
IMPORT_URL = reverse("directory:import")


@pytest.fixture
def facilitator():
    CommuneFactory()
    CommuneFactory(
        code="17300", name="La Rochelle", department=DepartmentFactory(code="17", name="Charente-Maritime")
    )
    return BranchRoleFactory()


def upload(client, role, name="generic.csv", *, capture=None, **extra):
    """Post the file; with ``capture`` (django_capture_on_commit_callbacks), the import job runs too."""
    content = (DATA / name).read_bytes()
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "branch": role.branch_id}
    data.update(extra)
    if capture is None:
        return client.post(IMPORT_URL, data)
    with capture(execute=True):
        return client.post(IMPORT_URL, data)


def test_anonymous_users_are_sent_to_the_login_page(client):
    for url in (
        IMPORT_URL,
        reverse("directory:import_report", args=[1]),
        reverse("directory:import_template"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_anonymous_upload_is_not_read_nor_imported(client):
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("a.csv", b"nom;type\nA;association\n")})

    assert response.status_code == 302
    assert not ImportRun.objects.exists()


def test_organisation_members_are_refused(client):
    member = MembershipFactory().user
    client.force_login(member)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(reverse("directory:import_template")).status_code == 403


def test_facilitator_sees_the_form_and_only_their_branches(client, facilitator):
    other = BranchFactory(name="Antenne voisine")
    import_organisations(stream=(DATA / "generic.csv").open("rb"), file_name="voisine.csv", branch=other)
    client.force_login(facilitator.user)

    response = client.get(IMPORT_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Détection automatique" in html
    assert facilitator.branch.name in html
    assert "Antenne voisine" not in html
    assert "voisine.csv" not in html


def test_facilitator_imports_a_file_and_reads_the_report(
    client, facilitator, django_capture_on_commit_callbacks
):
    client.force_login(facilitator.user)

    response = upload(client, facilitator, capture=django_capture_on_commit_callbacks)

    run = ImportRun.objects.get()
    tracked = TrackedJob.objects.get()
    # The request stored the file and started the import job; its progress page links to the report.
    assert response.status_code == 302
    assert response["Location"] == reverse("core:tracked_job", kwargs={"pk": tracked.pk})
    assert tracked.state == TrackedJob.State.DONE and tracked.branch == facilitator.branch
    assert tracked.result_url == reverse("directory:import_report", args=[run.pk])
    assert (tracked.done, tracked.total) == (run.rows_read, run.rows_read)
    assert f"{run.rows_read} lignes lues." in client.get(response["Location"]).content.decode()
    assert run.started_by == facilitator.user
    assert run.branch == facilitator.branch
    assert Organisation.objects.filter(branch=facilitator.branch).count() == 3
    # The stored upload is deleted once read.
    assert default_storage.listdir(f"{stored.ROOT}/{run.pk}") == ([], [])

    report = client.get(tracked.result_url)
    html = report.content.decode()
    assert report.status_code == 200
    assert "Rapport d&#x27;import" in html or "Rapport d'import" in html
    assert (
        "Colonne «\u00a0code_commune\u00a0», valeur «\u00a099999\u00a0»\u00a0: code commune INSEE inconnu."
        in html
    )
    assert "<td>6</td>" in html  # line of that rejected row

    listing = client.get(IMPORT_URL).content.decode()
    assert "generic.csv" in listing


def test_forced_format_and_failure_are_shown_on_the_report(
    client, facilitator, django_capture_on_commit_callbacks
):
    client.force_login(facilitator.user)

    response = upload(client, facilitator, format="sirene_ul", capture=django_capture_on_commit_callbacks)
    progress = client.get(response["Location"]).content.decode()
    report = client.get(TrackedJob.objects.get().result_url).content.decode()

    # The progress page says it failed and why, in French, and links to the report.
    assert "pas abouti" in progress
    assert "colonnes manquantes denominationUniteLegale" in progress

    assert "colonnes manquantes denominationUniteLegale, categorieJuridiqueUniteLegale" in report
    assert "Échoué" in report


def test_report_of_another_branch_is_not_found(client, facilitator):
    other_run = import_organisations(
        stream=(DATA / "generic.csv").open("rb"), file_name="autre.csv", branch=BranchFactory()
    )
    client.force_login(facilitator.user)

    assert client.get(reverse("directory:import_report", args=[other_run.pk])).status_code == 404


def test_network_administrator_sees_reports_of_the_network_branches(client, facilitator):
    admin = NetworkRoleFactory(network=facilitator.branch.network).user
    run = import_organisations(
        stream=(DATA / "generic.csv").open("rb"), file_name="f.csv", branch=facilitator.branch
    )
    client.force_login(admin)

    assert client.get(reverse("directory:import_report", args=[run.pk])).status_code == 200


def test_rejections_are_paginated(client, facilitator):
    rows = "\n".join(f"Ligne {i};;inconnu;;;;;;86194;;;;;" for i in range(60))
    header = (DATA / "generic.csv").read_text(encoding="utf-8").splitlines()[0]
    run = import_organisations(
        stream=__import__("io").BytesIO(f"{header}\n{rows}\n".encode()),
        file_name="f.csv",
        branch=facilitator.branch,
    )
    client.force_login(facilitator.user)
    url = reverse("directory:import_report", args=[run.pk])

    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()

    assert run.rejected_count == 60
    assert "Ligne 0;" in first and "Ligne 59;" not in first
    assert "Ligne 59;" in second
    assert client.get(url, {"page": "abc"}).status_code == 200


def test_file_above_the_limit_is_refused_before_being_read(client, facilitator, settings):
    settings.TERREAU_IMPORT_MAX_UPLOAD_BYTES = 1024
    client.force_login(facilitator.user)
    big = SimpleUploadedFile("gros.csv", b"nom;type\n" + b"Association;association\n" * 5_000)

    response = client.post(IMPORT_URL, {"file": big, "branch": facilitator.branch_id})

    assert response.status_code == 413
    html = response.content.decode()
    assert "dépasse la taille maximale" in html
    assert "terreau import-organisations" in html
    assert not ImportRun.objects.exists()


def test_file_just_above_the_limit_is_stopped_while_streaming(client, facilitator, settings):
    # The request is under limit + multipart margin, so the size handler has to stop the upload.
    settings.TERREAU_IMPORT_MAX_UPLOAD_BYTES = 20_000
    client.force_login(facilitator.user)
    content = b"nom;type\n" + b"Association;association\n" * 1_000  # about 24 kB

    response = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("moyen.csv", content), "branch": facilitator.branch_id}
    )

    assert response.status_code == 413
    assert not ImportRun.objects.exists()


def test_upload_without_csrf_token_is_refused(facilitator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator.user)

    response = upload(client, facilitator)

    assert response.status_code == 403
    assert not ImportRun.objects.exists()


def test_forged_branch_is_refused_with_a_form_error(client, facilitator):
    foreign = BranchFactory()
    client.force_login(facilitator.user)
    content = (DATA / "generic.csv").read_bytes()

    response = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("g.csv", content), "branch": foreign.pk, "format": "xml"}
    )

    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_missing_file_is_a_form_error(client, facilitator):
    client.force_login(facilitator.user)

    response = client.post(IMPORT_URL, {"branch": facilitator.branch_id})

    assert response.status_code == 400
    assert "Ce champ est obligatoire" in response.content.decode()


def test_template_download_has_the_documented_columns_and_an_example(client, facilitator):
    client.force_login(facilitator.user)

    response = client.get(reverse("directory:import_template"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffnom;sigle;type;siren;siret;rna;")
    header, example = text.lstrip("\ufeff").splitlines()[:2]
    assert header.count(";") == example.count(";")
    # The template round-trips through the importer.
    run = import_organisations(
        stream=__import__("io").BytesIO(response.content), file_name="modele.csv", branch=facilitator.branch
    )
    assert (run.created_count, run.rejected_count) == (1, 0), list(run.rejections.values_list("reason"))


def test_superuser_without_branch_role_may_import(client):
    CommuneFactory()
    BranchFactory()
    client.force_login(UserFactory(is_superuser=True))

    assert client.get(IMPORT_URL).status_code == 200
