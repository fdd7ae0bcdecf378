"""Jobs of territorial diagnoses (run by `terreau worker`): consultation reminders, indicator imports
uploaded through the web page (followed on their progress page), and the upkeep of their stored files."""

from __future__ import annotations

import logging

from terreau.core.jobs import job

logger = logging.getLogger(__name__)


# Daily: consultations past their closing date move to the analysis, then invitees who have not answered
# are reminded (at most consultation.MAX_REMINDERS times, REMINDER_SPACING apart; idempotent).
@job(name="alliances.consultation_reminders", periodic="30 8 * * *", retries=3)
def consultation_reminders() -> None:
    from terreau.alliances.consultation import send_reminders
    from terreau.alliances.services import close_due_consultations

    logger.info("Consultations closed: %d", close_due_consultations())
    logger.info("Consultation reminders sent: %d", send_reminders())


# Not retried: the file is read again from the start by a new import (re-importing replaces the same values).
@job(name="alliances.import_indicator_file", retries=0)
def import_indicator_file(
    *,
    diagnosis_id: int,
    user_id: int,
    path: str,
    file_name: str,
    tracked_id: str,
    default_year: int | None = None,
    default_source: str = "",
) -> None:
    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from terreau.alliances import indicator_jobs
    from terreau.alliances.indicators import import_indicators
    from terreau.alliances.models import Diagnosis
    from terreau.core.jobs import JobError, finish_tracked, tracking
    from terreau.directory.importers.reading import FileRejected
    from terreau.directory.importers.stored import count_rows

    with tracking(tracked_id) as progress:
        try:
            diagnosis = Diagnosis.objects.select_related("branch").filter(pk=diagnosis_id).first()
            if diagnosis is None:
                raise JobError(_("Ce diagnostic n'existe plus."))
            if not default_storage.exists(path):
                raise JobError(_("Le fichier déposé n'est plus disponible : importez-le à nouveau."))
            total = count_rows(path)
            progress(done=0, total=total, message=_("Lecture du fichier."))

            def rows_done(rows: int) -> None:
                progress(done=rows, total=max(total, rows), message=_("Lignes lues et vérifiées."))

            try:
                with default_storage.open(path, "rb") as stream:
                    run = import_indicators(
                        stream,
                        branch=diagnosis.branch,
                        by=get_user_model().objects.filter(pk=user_id).first(),
                        file_name=file_name,
                        default_year=default_year,
                        default_source=default_source,
                        progress=rows_done,
                    )
            except FileRejected as exc:
                raise JobError(str(exc)) from None
        finally:
            indicator_jobs.delete(path)
        finish_tracked(
            tracked_id,
            result_url=reverse("alliances:indicators_report", kwargs={"pk": diagnosis.pk, "item": run.pk}),
            message=ngettext("%(n)s valeur enregistrée.", "%(n)s valeurs enregistrées.", run.values_saved)
            % {"n": run.values_saved},
        )
        progress(done=run.rows_read, total=run.rows_read)


@job(name="alliances.prune_indicator_uploads", periodic="55 3 * * *", retries=0)
def prune_indicator_uploads() -> None:
    from terreau.alliances import indicator_jobs

    logger.info("Stored indicator uploads pruned: %d", indicator_jobs.prune())
