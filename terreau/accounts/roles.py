"""The roles held in networks and branches, contributed to terreau.core.access's Actor."""

from __future__ import annotations

from typing import Any

from terreau.accounts.models import BranchRole, NetworkRole


def network_and_branch_roles(user: Any) -> dict[str, frozenset[int]]:
    return {
        "network_ids": frozenset(NetworkRole.objects.filter(user=user).values_list("network_id", flat=True)),
        "branch_ids": frozenset(BranchRole.objects.filter(user=user).values_list("branch_id", flat=True)),
    }
