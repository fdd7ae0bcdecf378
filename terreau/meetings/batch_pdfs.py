"""PDFs rendered by a job (every participant's agenda in one file): kept in private storage under the
TrackedJob's id, served only by an access-checked view (never by their path), pruned after a few days."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from terreau.core.uploads import prune_folder

logger = logging.getLogger(__name__)

ROOT = "jobs/pdf"
# Rendered files are kept this long (a new one is prepared in seconds).
KEEP_DAYS = 7


def path_of(tracked_id: str, filename: str) -> str:
    return f"{ROOT}/{tracked_id}/{filename}"


def store(tracked_id: str, filename: str, body: bytes) -> str:
    path = path_of(tracked_id, filename)
    if default_storage.exists(path):
        default_storage.delete(path)
    return default_storage.save(path, ContentFile(body))


def exists(tracked_id: str, filename: str) -> bool:
    return default_storage.exists(path_of(tracked_id, filename))


def open_file(tracked_id: str, filename: str):
    return default_storage.open(path_of(tracked_id, filename), "rb")


def prune(*, now=None, keep_days: int = KEEP_DAYS) -> int:
    """Delete the rendered files older than ``keep_days``; returns how many were deleted."""
    return prune_folder(ROOT, keep_days=keep_days, now=now)
