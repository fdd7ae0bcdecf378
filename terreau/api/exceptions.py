"""API errors always answer JSON with a French message, never a 500 page.

DRF already turns its own exceptions, Http404 and PermissionDenied into JSON (with French messages from
its translations). This handler also turns the database and model errors that may escape a serializer
(IntegrityError, ProtectedError, DataError, Django's ValidationError) and oversized requests into 4xx
answers, and replaces DRF's half-English JSON parse error.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            _("Requête trop volumineuse : %(limit)s octets au plus.")
            % {"limit": f"{limit:,}".replace(",", " ")}
        )


def _bad_request(detail: str, extra: dict[str, Any] | None = None) -> Response:
    set_rollback()
    return Response({"detail": detail, **(extra or {})}, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError(_("Le corps de la requête n'est pas un JSON valide."))
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response

    from terreau.directory.services import ServiceError

    if isinstance(exc, ServiceError):
        return _bad_request(exc.message)
    if isinstance(exc, DjangoValidationError):
        errors = as_serializer_error(exc)
        messages = [str(m) for msgs in errors.values() for m in (msgs if isinstance(msgs, list) else [msgs])]
        return _bad_request(" ".join(messages) or _("Données invalides."), {"errors": errors})
    if isinstance(exc, ProtectedError | RestrictedError):
        return _bad_request(_("Suppression impossible : d'autres données dépendent de cet objet."))
    if isinstance(exc, IntegrityError):
        logger.info("API write refused by a database constraint: %s", exc)
        return _bad_request(
            _(
                "Opération refusée : elle contredit une contrainte des données (doublon ou valeur incohérente)."
            )
        )
    if isinstance(exc, DataError):
        logger.info("API write refused by the database: %s", exc)
        return _bad_request(_("Valeur refusée par la base de données (trop longue ou hors limites)."))
    if isinstance(exc, RequestDataTooBig):
        from django.conf import settings

        return drf_exception_handler(RequestTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), context)
    if isinstance(exc, SuspiciousOperation):
        return _bad_request(_("Requête refusée."))
    return None
