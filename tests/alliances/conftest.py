"""A small diagnosis world: a branch of the Vienne with its facilitator, three organisations of the
directory (two invited, one member each), a diagnosis over the department."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from terreau.alliances import services
from terreau.alliances.models import Diagnosis
from terreau.territories.models import Department
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    CommuneFactory,
    MembershipFactory,
    OrganisationFactory,
)


@dataclass
class DiagWorld:
    branch: Any
    facilitator: Any
    a: Any
    b: Any
    c: Any
    member_a: Any
    member_b: Any
    diagnosis: Diagnosis


def make_diagnosis(branch, by, *, title="Diagnostic de la Vienne", **extra) -> Diagnosis:
    diagnosis = Diagnosis(
        branch=branch,
        title=title,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        **extra,
    )
    return services.diagnosis_save(
        diagnosis=diagnosis, by=by, departments=[Department.objects.get(code="86")]
    )


@pytest.fixture
def dw(db) -> DiagWorld:
    CommuneFactory()  # Poitiers, Vienne, Nouvelle-Aquitaine
    branch = BranchFactory(name="Antenne Vienne")
    facilitator = BranchRoleFactory(branch=branch).user
    a = OrganisationFactory(name="Atelier Alpha", branch=branch, email="alpha@example.org")
    b = OrganisationFactory(name="Bureau Beta", branch=branch, email="beta@example.org")
    c = OrganisationFactory(name="Collectif Gamma", branch=branch, email="")
    member_a = MembershipFactory(organisation=a).user
    member_b = MembershipFactory(organisation=b).user
    diagnosis = make_diagnosis(branch, facilitator)
    return DiagWorld(branch, facilitator, a, b, c, member_a, member_b, diagnosis)


ANSWER = {
    "respondent_name": "Dominique Durand",
    "respondent_email": "dominique@example.org",
    "themes": ["bien-vieillir", "inclusion-numerique"],
    "issues": "Beaucoup de personnes âgées isolées, loin des services numériques.",
    "publics": ["seniors", "isolated"],
    "can_bring": ["skills", "premises"],
    "can_bring_details": "Une salle le mardi.",
}
