"""Every participant's agenda in one PDF for the organisers: rendered by a job (the request only starts it),
one page per participant with meetings, their names escaped, downloaded from the job's progress page by who
may see the job; participants and other branches do not get it; old files are pruned."""

from __future__ import annotations

import os
import time
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from terreau.core.models import TrackedJob
from terreau.meetings import agendas, batch_pdfs, tasks
from terreau.meetings.agenda_views import agendas_by_participant
from tests.factories import BranchFactory, BranchRoleFactory, UserFactory
from tests.meetings.test_speed_meetings import _published, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _prepare(client, sm, capture, *, execute=True):
    with capture(execute=execute):
        response = client.post(reverse("meetings:all_agendas", kwargs={"slug": sm.event.slug}))
    return response


def test_all_agendas_pdf_has_one_page_per_participant_with_meetings(
    world,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    sm = _published(world, final=False)
    # A hostile name is printed as text, never read as markup.
    first = world["assos"][0]
    first.name = "Zoé <b>&</b> Cie"
    first.save(update_fields=["name"])
    with_meetings = [r for r in world["assos"] + world["companies"] if agendas.agenda_of(sm, r)]
    assert with_meetings
    client.force_login(world["organiser"])
    slug = sm.event.slug
    planning = client.get(reverse("meetings:planning", kwargs={"slug": slug})).content.decode()
    assert reverse("meetings:all_agendas", kwargs={"slug": slug}) in planning

    response = _prepare(client, sm, django_capture_on_commit_callbacks)

    tracked = TrackedJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:tracked_job", kwargs={"pk": tracked.pk})
    assert tracked.state == TrackedJob.State.DONE and tracked.branch == sm.event.branch
    assert tracked.done == tracked.total == len(with_meetings)
    progress = client.get(response["Location"]).content.decode()
    assert "Le PDF des agendas est prêt." in progress and tracked.result_url in progress
    download = client.get(tracked.result_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="agendas-{slug}.pdf"'
    reader = PdfReader(BytesIO(b"".join(download.streaming_content)))
    assert len(reader.pages) == len(with_meetings) == len(agendas_by_participant(sm))
    for page, (registration, meetings) in zip(reader.pages, agendas_by_participant(sm), strict=True):
        text = page.extract_text()
        assert "Mes rendez-vous" in text
        assert registration.name in text
        for m in meetings:
            assert m.other(registration).name in text
    assert "Zoé <b>&</b> Cie" in "".join(p.extract_text() for p in reader.pages)
    # Kept in private storage, never under a served URL.
    assert default_storage.exists(batch_pdfs.path_of(str(tracked.pk), f"agendas-{slug}.pdf"))
    assert "/media/" not in tracked.result_url


def test_all_agendas_pdf_is_for_organisers_only(
    world,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    sm = _published(world)
    url = reverse("meetings:all_agendas", kwargs={"slug": sm.event.slug})
    client.force_login(world["organiser"])
    _prepare(client, sm, django_capture_on_commit_callbacks)
    download = TrackedJob.objects.get().result_url
    progress = reverse("core:tracked_job", kwargs={"pk": TrackedJob.objects.get().pk})
    client.force_login(world["users"][0])  # a participant
    assert client.post(url).status_code == 404
    assert client.get(download).status_code == 404
    assert client.get(progress).status_code == 404
    other = UserFactory()
    BranchRoleFactory(user=other, branch=BranchFactory())
    client.force_login(other)
    assert client.post(url).status_code == 404
    assert client.get(download).status_code == 404
    assert client.get(progress).status_code == 404
    # A named organiser runs the event but did not start this job: not theirs to download.
    organiser = UserFactory()
    sm.event.organisers.add(organiser)
    client.force_login(organiser)
    assert client.get(reverse("meetings:planning", kwargs={"slug": sm.event.slug})).status_code == 200
    assert client.get(download).status_code == 404
    assert client.get(progress).status_code == 404
    client.logout()
    assert client.post(url).status_code == 302
    assert TrackedJob.objects.count() == 1


def test_all_agendas_pdf_before_planning_is_404(world, client):  # noqa: F811
    client.force_login(world["organiser"])
    url = reverse("meetings:all_agendas", kwargs={"slug": world["event"].slug})
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405
    assert not TrackedJob.objects.exists()


def test_a_pruned_file_sends_back_to_the_planning_page(
    world,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    sm = _published(world)
    client.force_login(world["organiser"])
    _prepare(client, sm, django_capture_on_commit_callbacks)
    tracked = TrackedJob.objects.get()
    path = batch_pdfs.path_of(str(tracked.pk), f"agendas-{sm.event.slug}.pdf")
    week_ago = time.time() - 8 * 24 * 3600
    os.utime(default_storage.path(path), (week_ago, week_ago))
    fresh = batch_pdfs.store("00000000-0000-0000-0000-000000000000", "agendas-x.pdf", b"%PDF-1.4")

    tasks.prune_batch_pdfs.func()

    assert not default_storage.exists(path) and default_storage.exists(fresh)
    response = client.get(tracked.result_url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("meetings:planning", kwargs={"slug": sm.event.slug})
    assert "Ce fichier n&#x27;est plus disponible" in response.content.decode()


def test_a_job_without_a_plan_fails_in_french(world, client, django_capture_on_commit_callbacks):  # noqa: F811
    sm = _published(world)
    client.force_login(world["organiser"])
    _prepare(client, sm, django_capture_on_commit_callbacks, execute=False)
    type(sm).objects.filter(pk=sm.pk).update(planned_at=None)
    tracked = TrackedJob.objects.get()
    tasks.all_agendas_pdf.func(speed_meeting_id=sm.pk, tracked_id=str(tracked.pk))
    tracked.refresh_from_db()
    assert tracked.state == TrackedJob.State.FAILED
    assert tracked.error == "Il n'y a pas de planning calculé pour ces rendez-vous."
