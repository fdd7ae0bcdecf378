"""The indicator import as a job: the file is stored, the job reads it with progress, the progress page
leads to the row-by-row report, the stored file is deleted; files that cannot be imported are refused on the
form at once; the branch's staff only (another branch's facilitator: 404)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from terreau.alliances import indicator_jobs
from terreau.alliances.models import IndicatorImport, IndicatorValue
from terreau.core.models import TrackedJob
from tests.factories import BranchRoleFactory

GOOD = "code;niveau;indicateur;annee;valeur;source\n86;departement;part_75_plus;2021;11,1;Insee\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _post(client, dw, text: str, **data):
    upload = SimpleUploadedFile("indicateurs.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(
        reverse("alliances:indicators_upload", args=[dw.diagnosis.pk]),
        {"file": upload, "default_year": "", "default_source": "", **data},
    )


def test_the_upload_starts_a_job_whose_progress_page_leads_to_the_report(
    client, dw, django_capture_on_commit_callbacks
):
    client.force_login(dw.facilitator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(client, dw, GOOD + "99;departement;part_75_plus;2021;3;Insee\n")
    tracked = TrackedJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "core:tracked_job", args=[tracked.pk]
    )
    assert tracked.state == TrackedJob.State.QUEUED and tracked.branch == dw.branch
    assert not IndicatorImport.objects.exists()
    stored = default_storage.listdir(indicator_jobs.ROOT)[0]
    assert stored  # the file waits in private storage for the job
    assert "file d'attente" in client.get(response["Location"]).content.decode()
    for callback in callbacks:
        callback()
    tracked.refresh_from_db()
    run = IndicatorImport.objects.get()
    assert tracked.state == TrackedJob.State.DONE and (tracked.done, tracked.total) == (2, 2)
    assert tracked.result_url == reverse("alliances:indicators_report", args=[dw.diagnosis.pk, run.pk])
    assert "1 valeur enregistrée" in tracked.message
    page = client.get(response["Location"]).content.decode()
    assert tracked.result_url in page and "Voir le résultat" in page
    report = client.get(tracked.result_url).content.decode()
    assert "2 lignes lues" in report and "1 ligne refusée" in report and "« 99 » inconnu" in report
    assert IndicatorValue.objects.count() == 1
    _folders, files = default_storage.listdir(f"{indicator_jobs.ROOT}/{dw.branch.pk}")
    assert files == []  # the stored file is deleted once read


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "vide"),
        ("nom;valeur\nx;1\n", "Aucune colonne de code officiel"),
        ("code;bidule\n86;3\n", "indicateur reconnue"),
        ("\x00\x01PK\x03\x04", ""),
    ],
    ids=["empty", "no-code", "no-indicator", "binary"],
)
def test_a_file_that_cannot_be_imported_is_refused_on_the_form(client, dw, text, message):
    client.force_login(dw.facilitator)
    response = _post(client, dw, text)
    body = response.content.decode()
    assert response.status_code == 200 and 'class="errorlist' in body and message in body
    assert not TrackedJob.objects.exists() and not IndicatorImport.objects.exists()


def test_bad_form_values_are_answered_in_french(client, dw):
    client.force_login(dw.facilitator)
    response = _post(client, dw, GOOD, default_year="99999", default_source="x" * 301)
    body = response.content.decode()
    assert response.status_code == 200 and "inférieure ou égale à 2100" in body
    assert not TrackedJob.objects.exists()


def test_a_file_gone_before_the_job_fails_with_a_french_message(dw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tracked = indicator_jobs.start_import(
            upload=SimpleUploadedFile("i.csv", GOOD.encode()),
            diagnosis=dw.diagnosis,
            by=dw.facilitator,
            default_year=None,
            default_source="",
        )
    for folder in default_storage.listdir(indicator_jobs.ROOT)[0]:
        for name in default_storage.listdir(f"{indicator_jobs.ROOT}/{folder}")[1]:
            default_storage.delete(f"{indicator_jobs.ROOT}/{folder}/{name}")
    for callback in callbacks:
        callback()
    tracked.refresh_from_db()
    assert tracked.state == TrackedJob.State.FAILED and "plus disponible" in tracked.error


def test_only_the_branch_staff_imports_and_follows(client, dw, django_capture_on_commit_callbacks):
    other = BranchRoleFactory().user
    client.force_login(other)
    assert client.get(reverse("alliances:indicators_upload", args=[dw.diagnosis.pk])).status_code == 404
    assert _post(client, dw, GOOD).status_code == 404
    client.force_login(dw.member_a)
    assert _post(client, dw, GOOD).status_code in (403, 404)
    assert not TrackedJob.objects.exists()
    client.force_login(dw.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, dw, GOOD)
    tracked = TrackedJob.objects.get()
    client.force_login(other)
    assert client.get(response["Location"]).status_code == 404
    assert client.get(tracked.result_url).status_code == 404


def test_prune_deletes_old_stored_files(dw):
    from datetime import timedelta

    from django.utils import timezone

    default_storage.save(f"{indicator_jobs.ROOT}/1/old.csv", SimpleUploadedFile("x.csv", b"code\n"))
    assert indicator_jobs.prune(now=timezone.now() + timedelta(days=8)) == 1
    assert indicator_jobs.prune() == 0
