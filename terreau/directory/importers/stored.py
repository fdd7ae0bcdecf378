"""Web imports run as a job: the uploaded file is kept in private storage (never served by its path) while
the job reads it, then deleted; files a job never read are pruned after a few days.

``start_import`` (the web page) stores the file, creates the ImportRun and starts the job
(terreau.directory.tasks.import_file), whose progress page links to the import's report."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from terreau.core.jobs import start_tracked
from terreau.core.models import TrackedJob
from terreau.core.uploads import prune_folder
from terreau.directory.importers.service import new_run
from terreau.directory.models import ImportRun

logger = logging.getLogger(__name__)

ROOT = "imports/uploads"
# A stored file a job never read (no worker for days) is deleted after this long.
KEEP_DAYS = 7
_CHUNK = 1024 * 1024


def start_import(*, upload: Any, format: str | None, branch: Any, by: Any) -> tuple[ImportRun, TrackedJob]:
    """Store ``upload``, create its ImportRun and start the import job; both are committed together."""
    from terreau.directory.tasks import import_file

    with transaction.atomic():
        run = new_run(file_name=upload.name, format=format, branch=branch, by=by)
        path = default_storage.save(f"{ROOT}/{run.pk}/{uuid.uuid4().hex}.csv", upload)
        tracked = start_tracked(
            import_file,
            owner=by,
            branch=branch,
            title=Truncator(_("Import de « %(file)s »") % {"file": run.file_name}).chars(200),
            run_id=run.pk,
            path=path,
        )
    return run, tracked


def count_rows(path: str) -> int:
    """Lines after the header: the progress total (a quoted field spanning lines makes it an upper bound)."""
    lines = 0
    last = b"\n"
    with default_storage.open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def delete(path: str) -> None:
    if default_storage.exists(path):
        default_storage.delete(path)


def prune(*, now=None, keep_days: int = KEEP_DAYS) -> int:
    """Delete stored uploads older than ``keep_days``; returns how many were deleted."""
    return prune_folder(ROOT, keep_days=keep_days, now=now)
