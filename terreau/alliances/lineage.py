"""The lineage of a collective program: diagnosis → key issues → working group(s) → charter → program, as far
as the user may see each step (terreau.core.access). Shown on the charter's page, on the group's page and, through
the panel registered in terreau.alliances.apps, on the program's page (programs never import alliances)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string

from terreau.alliances.charter_models import Charter
from terreau.alliances.group_models import WorkingGroup
from terreau.alliances.models import Diagnosis, KeyIssue
from terreau.core.access import visible
from terreau.programs.models import Program


def _ancestors(group: WorkingGroup) -> list[WorkingGroup]:
    """The group and every group merged into it, directly or through earlier merges."""
    found, todo = [], [group]
    while todo:
        current = todo.pop(0)
        if current.pk in {g.pk for g in found}:
            continue
        found.append(current)
        todo.extend(current.merged_from.all())
    return found


def lineage_of_charter(user: Any, charter: Charter) -> dict[str, Any]:
    groups = _ancestors(charter.group)
    ids = [g.pk for g in groups]
    seen_groups = set(visible(user, WorkingGroup.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    # The key issues of the groups the user sees (through the group), and the published ones of the others.
    issues = (
        (
            KeyIssue.objects.filter(working_groups__in=seen_groups)
            | visible(user, KeyIssue.objects.filter(working_groups__in=ids))
        )
        .distinct()
        .select_related("diagnosis")
    )
    diagnosis_ids = {g.diagnosis_id for g in groups if g.diagnosis_id} | {i.diagnosis_id for i in issues}
    program = charter.program
    return {
        "diagnoses": visible(user, Diagnosis.objects.filter(pk__in=diagnosis_ids)),
        "key_issues": issues,
        "groups": [(g, g.pk in seen_groups) for g in groups],
        "charter": charter,
        "program": program
        if program is not None and visible(user, Program.objects.filter(pk=program.pk)).exists()
        else None,
    }


def program_panel(request: HttpRequest, program: Program) -> str:
    """The lineage on the program's page, when the program came from a charter the user may see."""
    charter = visible(request.user, Charter.objects.filter(program=program)).select_related("group").first()
    if charter is None:
        return ""
    return render_to_string(
        "alliances/_lineage.html", {"lineage": lineage_of_charter(request.user, charter)}, request=request
    )


def lineage_of_diagnosis(user: Any, diagnosis: Diagnosis) -> dict[str, Any]:
    """The groups (merged ones leading to their result) formed around the diagnosis's key issues, and the
    charters and programs that came out of them, as far as the user may see each."""
    groups = (
        visible(
            user,
            WorkingGroup.objects.filter(Q(diagnosis=diagnosis) | Q(key_issues__diagnosis=diagnosis)),
        )
        .select_related("merged_into")
        .distinct()
    )
    charters = visible(
        user, Charter.objects.filter(group__in=[g.final().pk for g in groups]).select_related("program")
    )
    programs = visible(user, Program.objects.filter(charter__in=charters))
    return {"groups": groups, "charters": charters, "programs": programs}
