"""Speed-meeting jobs: the plan (which may take up to a minute to compute) and every participant's agenda in
one PDF, each followed by its organiser on a progress page (terreau.core.jobs)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from terreau.core.jobs import JobError, finish_tracked, job, tracking

logger = logging.getLogger(__name__)

# A plan whose input changed while it was computed is computed again this many times at most.
PLAN_ATTEMPTS = 2


@job(name="meetings.plan", retries=2)
def plan(
    *, speed_meeting_id: int, user_id: int | None, tracked_id: str, time_limit: float | None = None
) -> None:
    from terreau.accounts.models import User
    from terreau.meetings import plans
    from terreau.meetings.models import SpeedMeeting

    with tracking(tracked_id) as progress:
        sm = SpeedMeeting.objects.select_related("event").filter(pk=speed_meeting_id).first()
        if sm is None:
            raise JobError(_("Ces rendez-vous n'existent plus."))
        by = User.objects.filter(pk=user_id).first() if user_id else None
        try:
            for attempt in range(PLAN_ATTEMPTS):
                progress(done=0, total=3, message=_("Lecture des souhaits et des disponibilités."))
                data = plans.plan_read(sm_id=sm.pk)
                progress(done=1, message=_("Recherche du meilleur planning (jusqu'à une minute)."))
                result = plans.plan_solve(data, time_limit=time_limit)
                progress(done=2, message=_("Enregistrement du planning."))
                try:
                    plans.plan_write(data, result, by=by, tracked_id=tracked_id)
                except plans.PlanChanged:
                    logger.info("Speed-meeting %s changed during planning (attempt %d)", sm.pk, attempt + 1)
                    continue
                break
            else:
                raise JobError(plans.changed_message())
        except ValidationError as exc:
            raise JobError(" ".join(exc.messages)) from None
        progress(done=3)
        finish_tracked(
            tracked_id,
            result_url=reverse("meetings:planning", kwargs={"slug": sm.event.slug}),
            message=plans.plan_computed_message(len(result.meetings), 100 * result.quality),
        )


def all_agendas_filename(slug: str) -> str:
    return f"agendas-{slug}.pdf"


@job(name="meetings.all_agendas_pdf", retries=2)
def all_agendas_pdf(*, speed_meeting_id: int, tracked_id: str) -> None:
    """Every participant's agenda in one PDF, one page each, kept for the progress page's download link."""
    from terreau.meetings import batch_pdfs, pdf
    from terreau.meetings.agenda_views import agendas_by_participant
    from terreau.meetings.models import SpeedMeeting

    with tracking(tracked_id) as progress:
        sm = SpeedMeeting.objects.select_related("event", "event__branch").filter(pk=speed_meeting_id).first()
        if sm is None or sm.planned_at is None:
            raise JobError(_("Il n'y a pas de planning calculé pour ces rendez-vous."))
        agendas = agendas_by_participant(sm)
        progress(done=0, total=len(agendas) or 1, message=_("Mise en page des agendas."))
        body = pdf.all_agendas_pdf(sm, agendas)
        filename = all_agendas_filename(sm.event.slug)
        batch_pdfs.store(tracked_id, filename, body)
        progress(done=len(agendas) or 1)
        finish_tracked(
            tracked_id,
            result_url=reverse(
                "meetings:all_agendas_file", kwargs={"slug": sm.event.slug, "job": tracked_id}
            ),
            message=_("Le PDF des agendas est prêt."),
        )


@job(name="meetings.prune_batch_pdfs", periodic="45 3 * * *", retries=0)
def prune_batch_pdfs() -> None:
    from terreau.meetings import batch_pdfs

    logger.info("Batch PDFs pruned: %d", batch_pdfs.prune())
