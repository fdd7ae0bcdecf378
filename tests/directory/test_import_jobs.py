"""A web import runs as a job: the request stores the upload (private storage) and creates the ImportRun; the
job reads and writes the rows batch by batch with progress (rows done out of the file's rows); its report and
rejected-rows file are those of the synchronous import (the command line's)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from terreau.core.models import TrackedJob
from terreau.directory import tasks
from terreau.directory.importers import batch, import_organisations, service, stored
from terreau.directory.models import ImportRun, Organisation
from tests.factories import BranchFactory, BranchRoleFactory, CommuneFactory, DepartmentFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parents[1] / "data"
GENERIC = (DATA / "generic.csv").read_bytes()


@pytest.fixture
def role():
    CommuneFactory()
    CommuneFactory(
        code="17300", name="La Rochelle", department=DepartmentFactory(code="17", name="Charente-Maritime")
    )
    return BranchRoleFactory()


def _post(client, role, content=GENERIC, name="generic.csv"):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse("directory:import"), {"file": upload, "branch": role.branch_id})


def _rejects_csv(client, run) -> bytes:
    response = client.get(reverse("directory:import_rejects", args=[run.pk, "csv"]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_request_stores_the_file_and_the_job_imports_it(client, role, django_capture_on_commit_callbacks):
    client.force_login(role.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(client, role)

    run, tracked = ImportRun.objects.get(), TrackedJob.objects.get()
    assert response["Location"] == reverse("core:tracked_job", kwargs={"pk": tracked.pk})
    # Nothing imported yet: the run waits, the file is in private storage (not under a served URL).
    assert run.status == ImportRun.Status.RUNNING and run.rows_read == 0
    assert run.file_name == "generic.csv" and run.started_by == role.user
    (name,) = default_storage.listdir(f"{stored.ROOT}/{run.pk}")[1]
    path = f"{stored.ROOT}/{run.pk}/{name}"
    assert default_storage.open(path).read() == GENERIC
    assert client.get(f"/media/{path}").status_code == 404
    report = client.get(reverse("directory:import_report", args=[run.pk])).content.decode()
    assert "En cours" in report and "se mettent à jour" in report and "every 2s" in report

    for callback in callbacks:
        callback()

    run.refresh_from_db()
    tracked.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.rows_read == 9
    assert tracked.state == TrackedJob.State.DONE and (tracked.done, tracked.total) == (9, 9)
    assert not default_storage.exists(path)
    report = client.get(reverse("directory:import_report", args=[run.pk])).content.decode()
    assert "every 2s" not in report and "Terminé" in report


def test_progress_counts_rows_batch_by_batch(role, monkeypatch):
    tracked = TrackedJob.objects.create(name="directory.import_file", title="Import", owner=role.user)
    run = service.new_run(file_name="generic.csv", branch=role.branch, by=role.user)
    path = default_storage.save(f"{stored.ROOT}/{run.pk}/f.csv", io.BytesIO(GENERIC))
    seen = []
    write = batch.write_batch

    def watching(rows, **kwargs):
        job = TrackedJob.objects.get(pk=tracked.pk)
        seen.append((job.state, job.done, job.total))
        return write(rows, **kwargs)

    monkeypatch.setattr(service, "write_batch", watching)
    tasks.import_file.func(run_id=run.pk, path=path, tracked_id=str(tracked.pk), batch_size=4)

    assert seen == [("running", 0, 9), ("running", 4, 9), ("running", 8, 9)]
    tracked.refresh_from_db()
    assert (tracked.state, tracked.done, tracked.total) == ("done", 9, 9)


def test_the_report_and_rejected_rows_are_those_of_the_synchronous_import(
    client, role, django_capture_on_commit_callbacks
):
    client.force_login(role.user)
    synchronous = import_organisations(
        stream=io.BytesIO(GENERIC), file_name="generic.csv", branch=role.branch
    )
    fields = ("status", "format", "encoding", "header", "rows_read", "created_count", "updated_count")
    expected = [getattr(synchronous, f) for f in fields] + [synchronous.rejected_count]
    expected_rejections = list(synchronous.rejections.values_list("line", "reason", "raw", "fields"))
    expected_file = _rejects_csv(client, synchronous)
    assert synchronous.rejected_count > 0
    # The same file into the same, empty directory, through the web page and its job.
    Organisation.objects.filter(branch=role.branch).delete()
    synchronous.delete()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, role)
    job_run = ImportRun.objects.get()

    assert [getattr(job_run, f) for f in fields] + [job_run.rejected_count] == expected
    assert list(job_run.rejections.values_list("line", "reason", "raw", "fields")) == expected_rejections
    assert _rejects_csv(client, job_run) == expected_file


def test_another_users_import_job_is_not_found(client, role, django_capture_on_commit_callbacks):
    client.force_login(role.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, role)
    stranger = BranchRoleFactory(branch=BranchFactory())
    client.force_login(stranger.user)
    assert client.get(response["Location"]).status_code == 404
    assert client.get(TrackedJob.objects.get().result_url).status_code == 404
    colleague = BranchRoleFactory(branch=role.branch)
    client.force_login(colleague.user)
    assert client.get(response["Location"]).status_code == 200


def test_a_job_run_again_after_its_worker_stopped_starts_the_report_over(role):
    tracked = TrackedJob.objects.create(name="directory.import_file", title="Import", owner=role.user)
    run = service.new_run(file_name="generic.csv", branch=role.branch, by=role.user)
    path = default_storage.save(f"{stored.ROOT}/{run.pk}/f.csv", io.BytesIO(GENERIC))
    # What a first attempt killed after its first batch left behind.
    run.rows_read = run.rejected_count = 1
    run.save()
    run.rejections.create(line=6, reason="motif", raw="x")

    tasks.import_file.func(run_id=run.pk, path=path, tracked_id=str(tracked.pk))

    run.refresh_from_db()
    assert (run.status, run.rows_read, run.created_count) == (ImportRun.Status.DONE, 9, 3)
    assert not run.rejections.filter(reason="motif").exists()
    assert run.rejections.count() == run.rejected_count > 0


def test_a_missing_upload_fails_in_french(client, role):
    tracked = TrackedJob.objects.create(name="directory.import_file", title="Import", owner=role.user)
    run = service.new_run(file_name="generic.csv", branch=role.branch, by=role.user)

    tasks.import_file.func(run_id=run.pk, path=f"{stored.ROOT}/{run.pk}/gone.csv", tracked_id=str(tracked.pk))

    run.refresh_from_db()
    tracked.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert tracked.state == TrackedJob.State.FAILED
    assert tracked.error == "Le fichier déposé n'est plus disponible : importez-le à nouveau."
    assert tracked.result_url == reverse("directory:import_report", args=[run.pk])
    client.force_login(role.user)
    page = client.get(reverse("core:tracked_job", kwargs={"pk": tracked.pk})).content.decode()
    assert "importez-le à nouveau" in page and tracked.result_url in page


def test_old_stored_uploads_are_pruned(role):
    old = default_storage.save(f"{stored.ROOT}/1/old.csv", io.BytesIO(b"x"))
    new = default_storage.save(f"{stored.ROOT}/2/new.csv", io.BytesIO(b"x"))
    week_ago = time.time() - (stored.KEEP_DAYS + 1) * 24 * 3600
    os.utime(default_storage.path(old), (week_ago, week_ago))

    tasks.prune_import_uploads.func()

    assert not default_storage.exists(old) and default_storage.exists(new)


def test_a_long_file_name_fits_the_progress_page_title(client, role, django_capture_on_commit_callbacks):
    client.force_login(role.user)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, role, name="a" * 250 + ".csv")
    tracked = TrackedJob.objects.get()
    assert len(tracked.title) <= TrackedJob._meta.get_field("title").max_length
    assert tracked.title.startswith("Import de « aaa") and tracked.state == TrackedJob.State.DONE
