"""Builders shared by the programs and equipment tests (a program with two sites and a kit model)."""

from __future__ import annotations

from decimal import Decimal

from terreau.accounts.models import BranchRole
from terreau.programs.equipment import EquipmentItem, KitModel
from terreau.programs.models import HostSite, Program, ProgramRole
from tests.factories import BranchFactory, CommuneFactory, OrganisationFactory, UserFactory

COMPOSITION = [
    {"type": "tablet", "quantity": 5},
    {"type": "console", "quantity": 2},
    {"type": "projector", "quantity": 1},
]


def make_program(*, branch=None, slug="silver-geek-test", is_public=False):
    branch = branch or BranchFactory()
    program = Program.objects.create(branch=branch, name=f"Programme {slug}", slug=slug, is_public=is_public)
    commune = CommuneFactory()
    site_a = HostSite.objects.create(
        program=program,
        organisation=OrganisationFactory(branch=branch),
        name="EHPAD Les Tilleuls",
        commune=commune,
    )
    site_b = HostSite.objects.create(
        program=program,
        organisation=OrganisationFactory(branch=branch),
        name="Club des Aînés",
        commune=commune,
    )
    kit_model = KitModel.objects.create(program=program, name="Kit Silver Geek", composition=COMPOSITION)
    return program, site_a, site_b, kit_model


def make_items(program, *, prefix="SN", tablets=5, consoles=2, projectors=1):
    items = []
    for kind, n, value in (
        ("tablet", tablets, "229"),
        ("console", consoles, "299"),
        ("projector", projectors, "450"),
    ):
        for i in range(n):
            items.append(
                EquipmentItem.objects.create(
                    program=program,
                    type=kind,
                    make="Marque",
                    model_name="Modèle",
                    serial_number=f"{prefix}-{kind}-{i}",
                    value=Decimal(value),
                )
            )
    return items


def people(program, site_a, *, other_branch=None):
    """One user per role of the permission matrix."""
    users = {
        name: UserFactory()
        for name in ("coordinator", "staff_a", "volunteer_a", "viewer", "facilitator", "other")
    }
    ProgramRole.objects.create(program=program, user=users["coordinator"], role="coordinator")
    ProgramRole.objects.create(program=program, user=users["staff_a"], role="site_staff", site=site_a)
    ProgramRole.objects.create(program=program, user=users["volunteer_a"], role="volunteer", site=site_a)
    ProgramRole.objects.create(program=program, user=users["viewer"], role="partner_viewer")
    BranchRole.objects.create(user=users["facilitator"], branch=program.branch)
    BranchRole.objects.create(user=users["other"], branch=other_branch or BranchFactory())
    return users
