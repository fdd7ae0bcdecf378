"""Request-level API permissions. Object-level decisions are made by terreau.core.access (get_for)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from terreau.core.access import Action, Actor

# What each HTTP method does to the object it targets, in terreau.core.access's vocabulary.
ACTION_FOR_METHOD: dict[str, Action] = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "manage",
}


class ReadOrSignedIn(BasePermission):
    """Anybody reads (public rows only when anonymous); writing needs an authenticated, active user."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_active)


def can_read_private_notes(actor: Actor, organisation: Any) -> bool:
    """Branch staff (facilitators, network administrators, superusers) of the organisation's branch.

    Decided from the actor's id sets: no query per row (organisation.branch must be loaded or cheap).
    """
    if actor.is_superuser:
        return True
    return organisation.branch_id is not None and organisation.branch_id in actor.branch_ids
