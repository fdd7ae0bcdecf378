"""Roles in program teams, contributed to terreau.core.access's Actor."""

from __future__ import annotations

from typing import Any

from terreau.programs.models import ProgramRole


def program_team_roles(user: Any) -> dict[str, frozenset[int]]:
    coordinator, viewer, evaluator, sites, staff_sites = set(), set(), set(), set(), set()
    for program_id, role, site_id in ProgramRole.objects.filter(user=user).values_list(
        "program_id", "role", "site_id"
    ):
        if role == ProgramRole.Role.COORDINATOR:
            coordinator.add(program_id)
        elif role == ProgramRole.Role.PARTNER_VIEWER:
            viewer.add(program_id)
        elif role == ProgramRole.Role.EVALUATOR:
            # Evaluators read the program as its partner viewers do (its sites, sessions and contributions
            # are the evaluation's outputs), and its evaluations' answers through the access layer's
            # ``evaluation`` path, which partner viewers do not have.
            evaluator.add(program_id)
            viewer.add(program_id)
        elif site_id is not None:
            sites.add(site_id)
            if role == ProgramRole.Role.SITE_STAFF:
                staff_sites.add(site_id)
    return {
        "program_ids": frozenset(coordinator),
        "program_viewer_ids": frozenset(viewer),
        "program_evaluator_ids": frozenset(evaluator),
        "site_ids": frozenset(sites),
        "site_staff_ids": frozenset(staff_sites),
    }
