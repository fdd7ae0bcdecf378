"""Uploaded documents: one rule for what is accepted (extension, size, first bytes), with French messages.

Workshop documents (events) and program documents use ``check_document(upload)``, which returns the
content type to store with the file. Files kept for a while in private storage (uploads waiting for their
import job, PDFs rendered by a job) are pruned by ``prune_folder``.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
# First bytes of the binary formats above (OpenDocument and Office Open XML files are zip archives; text
# files have no signature).
_MAGIC = {
    ".pdf": b"%PDF",
    ".png": b"\x89PNG",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".odt": b"PK",
    ".ods": b"PK",
    ".odp": b"PK",
    ".docx": b"PK",
    ".xlsx": b"PK",
    ".pptx": b"PK",
}


def megabytes(size: int) -> str:
    """French size in megabytes: "10", "2,5"."""
    return f"{size / 1024 / 1024:.1f}".replace(".", ",").removesuffix(",0")


def check_document(
    upload: Any, *, types: dict[str, str] = DOCUMENT_TYPES, max_bytes: int = DOCUMENT_MAX_BYTES
) -> str:
    """Refuse (ValidationError) an upload of an unknown type, empty, too big, or whose first bytes do not
    match its extension; return its content type."""
    ext = os.path.splitext(getattr(upload, "name", "") or "")[1].lower()
    if ext not in types:
        raise ValidationError(
            _("Type de fichier refusé. Formats acceptés : %(types)s.")
            % {"types": ", ".join(sorted(t.lstrip(".") for t in types))},
            code="file_type",
        )
    size = getattr(upload, "size", 0) or 0
    if not size:
        raise ValidationError(_("Le fichier est vide."), code="file_empty")
    if size > max_bytes:
        raise ValidationError(
            _("Fichier trop volumineux : %(max)s Mo au maximum.") % {"max": megabytes(max_bytes)},
            code="file_too_big",
        )
    head = upload.read(8)
    upload.seek(0)
    magic = _MAGIC.get(ext)
    if magic and not head.startswith(magic):
        raise ValidationError(
            _("Le contenu du fichier ne correspond pas à son extension."), code="file_content"
        )
    return types[ext]


def prune_folder(root: str, *, keep_days: int, now: datetime | None = None) -> int:
    """Delete the files of ``root/<folder>/`` in the default storage older than ``keep_days``; returns how
    many were deleted."""
    if not default_storage.exists(root):
        return 0
    limit = (now or timezone.now()) - timedelta(days=keep_days)
    deleted = 0
    folders, _files = default_storage.listdir(root)
    for folder in folders:
        _sub, files = default_storage.listdir(f"{root}/{folder}")
        for name in files:
            path = f"{root}/{folder}/{name}"
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
                deleted += 1
    return deleted
