"""A working-group world shared by the groups and charter tests: a branch with its facilitator, a diagnosis
with three key issues, four organisations (A, B, C of the branch, D of another branch) with one member each,
and two groups: "Bien vieillir" (lead A, member B) and "Inclusion numérique" (lead C, member B)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from terreau.alliances import groups
from terreau.alliances.models import Diagnosis, KeyIssue
from tests.factories import BranchFactory, BranchRoleFactory, MembershipFactory, OrganisationFactory


@dataclass
class GroupWorld:
    branch: Any
    other_branch: Any
    facilitator: Any
    other_facilitator: Any
    a: Any
    b: Any
    c: Any
    d: Any
    member_a: Any
    member_b: Any
    member_c: Any
    member_d: Any
    diagnosis: Diagnosis
    ageing: KeyIssue
    digital: KeyIssue
    youth: KeyIssue
    g1: Any
    g2: Any


def build_world() -> GroupWorld:
    branch, other = BranchFactory(name="Antenne Vienne"), BranchFactory(name="Antenne Gironde")
    facilitator = BranchRoleFactory(branch=branch).user
    other_facilitator = BranchRoleFactory(branch=other).user
    a = OrganisationFactory(name="Atelier Alpha", branch=branch)
    b = OrganisationFactory(name="Bureau Beta", branch=branch)
    c = OrganisationFactory(name="Collectif Gamma", branch=branch)
    d = OrganisationFactory(name="Domaine Delta", branch=other, private=True)
    members = [MembershipFactory(organisation=o).user for o in (a, b, c, d)]
    diagnosis = Diagnosis.objects.create(
        branch=branch,
        title="Diagnostic de la Vienne",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
    )
    ageing, digital, youth = (
        KeyIssue.objects.create(diagnosis=diagnosis, title=t, state=KeyIssue.State.CHOSEN)
        for t in ("Bien vieillir", "Inclusion numérique", "Emploi des jeunes")
    )
    g1 = groups.group_create(branch=branch, name="Bien vieillir", key_issues=[ageing], lead=a, by=facilitator)
    groups.member_add(group=g1, organisation=b, by=facilitator)
    g2 = groups.group_create(
        branch=branch, name="Inclusion numérique", key_issues=[digital], lead=c, by=facilitator
    )
    groups.member_add(group=g2, organisation=b, by=facilitator)
    return GroupWorld(
        branch,
        other,
        facilitator,
        other_facilitator,
        a,
        b,
        c,
        d,
        *members,
        diagnosis,
        ageing,
        digital,
        youth,
        g1,
        g2,
    )
