"""The audit log: one append-only record per sensitive act (role changes, exports, erasures, receipts,
refused accesses), read by administrators in the admin.

``audit_record`` is the only writer; callers make one call where the act happens. Refused pages are recorded
by ``AuditDeniedAccessMiddleware`` for signed-in people, at most once per person, page and minute (through
the cache), so that a loop cannot flood the table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from terreau.core.models import AuditEvent
from terreau.core.proxy import client_ip

Action = AuditEvent.Action

DENIED_WINDOW_SECONDS = 60


def _actor_of(actor: Any) -> Any:
    """A saved user, or None (anonymous users, Actor objects without a user row)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or getattr(actor, "pk", None) is None:
        return None
    return actor


def _branch_id_of(obj: Model | None) -> int | None:
    if obj is None:
        return None
    value = getattr(obj, "branch_id", None)
    return value if isinstance(value, int) else None


def audit_record(
    *,
    actor: Any,
    action: str,
    target: str = "",
    obj: Model | None = None,
    branch_id: int | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Appends one event. ``obj`` (optional) is referenced by content type and id; the branch is taken from
    ``branch_id`` or else from ``obj.branch_id`` when it has one."""
    from django.contrib.contenttypes.models import ContentType

    content_type = None
    object_id = ""
    if obj is not None and obj.pk is not None:
        content_type = ContentType.objects.get_for_model(type(obj))
        object_id = str(obj.pk)
    return AuditEvent.objects.create(
        actor=_actor_of(actor),
        action=action,
        target=str(target or (obj if obj is not None else ""))[:300],
        content_type=content_type,
        object_id=object_id,
        branch_id=branch_id if branch_id is not None else _branch_id_of(obj),
        client_address=client_ip(request) if request is not None else None,
        details=details or {},
    )


def audit_export(
    request: HttpRequest,
    *,
    target: str,
    obj: Model | None = None,
    branch_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Records a file downloaded by a signed-in person (the public directory's export, downloaded by
    anonymous visitors too, holds public rows only: not recorded)."""
    if not request.user.is_authenticated:
        return None
    return audit_record(
        actor=request.user,
        action=Action.EXPORT_DOWNLOADED,
        target=target,
        obj=obj,
        branch_id=branch_id,
        details={"path": request.path, **request.GET.dict(), **(details or {})},
        request=request,
    )


def audit_denied(request: HttpRequest) -> AuditEvent | None:
    """Records a refused page for a signed-in person, once per person, page and minute."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    digest = hashlib.sha256(f"{user.pk}:{request.path}".encode()).hexdigest()[:32]
    if not cache.add(f"audit:denied:{digest}", 1, DENIED_WINDOW_SECONDS):
        return None
    return audit_record(
        actor=user,
        action=Action.ACCESS_DENIED,
        target=request.path[:300],
        details={"method": request.method},
        request=request,
    )


class AuditDeniedAccessMiddleware:
    """Records every 403 answered to a signed-in person (a PermissionDenied raised by a view, or a 403 it
    returned). Anonymous people are sent to the login page, not refused: nothing to record."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            audit_denied(request)
        return response
