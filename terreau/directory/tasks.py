"""Directory jobs: a CSV import uploaded through the web page, followed on its progress page (rows read out
of the file's rows), and the upkeep of the stored uploads."""

from __future__ import annotations

import logging

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.core.jobs import JobError, finish_tracked, job, tracking
from terreau.directory.importers.service import BATCH_SIZE

logger = logging.getLogger(__name__)


# Not retried by the queue: a failed batch is reported on the import's report ("relancez l'import"), and an
# import started again reads the whole file again (re-importing creates nothing twice).
@job(name="directory.import_file", retries=0)
def import_file(*, run_id: int, path: str, tracked_id: str, batch_size: int = BATCH_SIZE) -> None:
    from django.core.files.storage import default_storage

    from terreau.directory.importers import stored
    from terreau.directory.importers.service import import_organisations
    from terreau.directory.models import ImportRun

    with tracking(tracked_id) as progress:
        run = ImportRun.objects.select_related("branch").filter(pk=run_id).first()
        if run is None:
            raise JobError(_("Cet import n'existe plus."))
        report = reverse("directory:import_report", args=[run.pk])
        if run.status != ImportRun.Status.RUNNING:
            # Already finished (the job was run again after its worker stopped).
            finish_tracked(tracked_id, result_url=report)
            return
        if not default_storage.exists(path):
            _fail(run, _("Le fichier déposé n'est plus disponible : importez-le à nouveau."))
            finish_tracked(tracked_id, result_url=report)
            raise JobError(run.error)
        _start_over(run)
        total = stored.count_rows(path)
        progress(done=0, total=total, message=_("Lecture du fichier."))

        def rows_done(rows_read: int) -> None:
            progress(done=rows_read, total=max(total, rows_read), message=_("Lignes lues et enregistrées."))

        try:
            with default_storage.open(path, "rb") as stream:
                run = import_organisations(stream=stream, run=run, batch_size=batch_size, progress=rows_done)
        except Exception:
            logger.exception("Import %s failed", run.pk)
            _fail(
                run,
                _(
                    "Erreur inattendue pendant l'import : les lots déjà enregistrés sont conservés ; relancez "
                    "l'import pour la suite, les lignes déjà importées ne seront pas dupliquées."
                ),
            )
            finish_tracked(tracked_id, result_url=report)
            raise
        finally:
            stored.delete(path)
        finish_tracked(
            tracked_id,
            result_url=report,
            message=ngettext("%(n)s ligne lue.", "%(n)s lignes lues.", run.rows_read) % {"n": run.rows_read},
        )
        progress(done=run.rows_read, total=run.rows_read)
        if run.status == ImportRun.Status.FAILED:
            raise JobError(run.error)


def _start_over(run) -> None:
    """A previous attempt stopped with its worker: its report is started again from the first line."""
    if run.rows_read or run.rejections.exists():
        run.rejections.all().delete()
        run.rows_read = run.created_count = run.updated_count = run.rejected_count = 0
        run.save(
            update_fields=["rows_read", "created_count", "updated_count", "rejected_count", "updated_at"]
        )


def _fail(run, error: str) -> None:
    run.status = run.Status.FAILED
    run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "updated_at"])


@job(name="directory.prune_import_uploads", periodic="50 3 * * *", retries=0)
def prune_import_uploads() -> None:
    from terreau.directory.importers import stored

    logger.info("Stored import uploads pruned: %d", stored.prune())
