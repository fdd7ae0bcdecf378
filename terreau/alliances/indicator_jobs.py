"""Indicator imports run as a job: the uploaded CSV is kept in private storage (never served by its path)
while the job reads it, then deleted; files a job never read are pruned after a few days
(terreau.core.uploads.prune_folder, daily job alliances.prune_indicator_uploads).

``start_import`` (the upload page) stores the file and starts the job (terreau.alliances.tasks
.import_indicator_file), whose progress page leads to the import's row-by-row report."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from terreau.core.jobs import start_tracked
from terreau.core.models import TrackedJob
from terreau.core.uploads import prune_folder

ROOT = "alliances/indicator-uploads"
KEEP_DAYS = 7


def start_import(
    *, upload: Any, diagnosis: Any, by: Any, default_year: int | None, default_source: str
) -> TrackedJob:
    """Store ``upload`` and start the import job for ``diagnosis``'s branch; both committed together."""
    from terreau.alliances.tasks import import_indicator_file

    file_name = (getattr(upload, "name", "") or "indicateurs.csv")[:200]
    with transaction.atomic():
        path = default_storage.save(f"{ROOT}/{diagnosis.branch_id}/{uuid.uuid4().hex}.csv", upload)
        return start_tracked(
            import_indicator_file,
            owner=by,
            branch=diagnosis.branch,
            title=Truncator(_("Import d'indicateurs « %(file)s »") % {"file": file_name}).chars(200),
            diagnosis_id=diagnosis.pk,
            user_id=by.pk,
            path=path,
            file_name=file_name,
            default_year=default_year,
            default_source=default_source,
        )


def delete(path: str) -> None:
    if default_storage.exists(path):
        default_storage.delete(path)


def prune(*, now=None, keep_days: int = KEEP_DAYS) -> int:
    """Delete stored indicator uploads older than ``keep_days``; returns how many were deleted."""
    return prune_folder(ROOT, keep_days=keep_days, now=now)
