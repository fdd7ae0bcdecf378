"""The organisers' printable agendas: every participant's agenda in one PDF, one page each (to hand out at
the door). Only the people who run the speed-meeting (its branch's staff and named organisers) get it. The PDF
is rendered by a job (terreau.meetings.tasks.all_agendas_pdf) into private storage; the download view checks
who asks."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from terreau.core.access import get_for
from terreau.core.jobs import start_tracked
from terreau.core.models import TrackedJob
from terreau.meetings import batch_pdfs, services, tasks
from terreau.meetings.views import _managed, _speed_meeting


def agendas_by_participant(sm) -> list[tuple]:
    """[(registration, their meetings by round)] for the participants with at least one meeting (one query
    for the meetings)."""
    meetings = list(
        sm.meetings.select_related("a", "b", "a__organisation", "b__organisation").order_by("round")
    )
    by_person: dict[int, list] = {}
    for m in meetings:
        by_person.setdefault(m.a_id, []).append(m)
        by_person.setdefault(m.b_id, []).append(m)
    return [(r, by_person[r.pk]) for r in services.participants(sm) if r.pk in by_person]


@login_required
@require_POST
def all_agendas_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """Start the job that renders the PDF; its progress page links to the file once ready."""
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None or sm.planned_at is None:
        raise Http404
    tracked = start_tracked(
        tasks.all_agendas_pdf,
        owner=request.user,
        branch=event.branch,
        title=Truncator(
            _("Agendas de tous les participants (PDF) — %(event)s") % {"event": event.title}
        ).chars(200),
        speed_meeting_id=sm.pk,
    )
    return redirect("core:tracked_job", pk=tracked.pk)


@login_required
@require_GET
def all_agendas_file(request: HttpRequest, slug: str, job: UUID) -> HttpResponse:
    """The rendered PDF, for who runs the speed-meeting and may see the job (its owner, its branch's
    staff); 404 for anyone else."""
    event = _managed(request, slug)
    tracked = get_for(request.user, TrackedJob.objects.filter(name=tasks.all_agendas_pdf.name), pk=job)
    filename = tasks.all_agendas_filename(event.slug)
    if tracked.state != TrackedJob.State.DONE:
        raise Http404
    if not batch_pdfs.exists(str(tracked.pk), filename):
        messages.error(request, _("Ce fichier n'est plus disponible : préparez-le à nouveau."))
        return redirect("meetings:planning", slug=event.slug)
    return FileResponse(
        batch_pdfs.open_file(str(tracked.pk), filename), as_attachment=True, filename=filename
    )
