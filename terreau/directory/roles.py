"""Memberships of organisations, contributed to terreau.core.access's Actor."""

from __future__ import annotations

from typing import Any

from terreau.directory.models import Membership


def membership_roles(user: Any) -> dict[str, frozenset[int]]:
    memberships = list(Membership.objects.filter(user=user).values_list("organisation_id", "role"))
    return {
        "org_ids": frozenset(org for org, _role in memberships),
        "org_admin_ids": frozenset(org for org, role in memberships if role == Membership.Role.ADMIN),
    }
