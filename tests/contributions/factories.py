"""Shared factories of the contributions ledger (owned by the ledger part; other parts add their own world in
their test files).

``ContributionFactory`` builds a row directly (value set from the inputs the simple way, no valuation call), for
tests that need a contribution in a given state; tests of the rules go through
terreau.contributions.services.contribution_record.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from terreau.contributions.models import (
    Contribution,
    Instalment,
    Kind,
    ReceiptEligibility,
)
from terreau.core import states
from terreau.programs.equipment import EquipmentItem
from terreau.programs.models import Program
from tests.factories import BranchFactory, OrganisationFactory


class ProgramFactory(DjangoModelFactory):
    class Meta:
        model = Program

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-contrib-{n}")


class EquipmentItemFactory(DjangoModelFactory):
    class Meta:
        model = EquipmentItem

    program = factory.SubFactory(ProgramFactory)
    type = "tablet"
    make = "Lenovo"
    model_name = "Tab M10"
    serial_number = factory.Sequence(lambda n: f"SN-{n:05d}")


class ContributionFactory(DjangoModelFactory):
    """A pledged money gift of 1 000 € from a company to an association of the same branch."""

    class Meta:
        model = Contribution
        skip_postgeneration_save = True

    branch = factory.SubFactory(BranchFactory)
    donor = factory.SubFactory(OrganisationFactory, company=True, branch=factory.SelfAttribute("..branch"))
    recipient = factory.SubFactory(OrganisationFactory, branch=factory.SelfAttribute("..branch"))
    kind = Kind.GIFT
    description = "Don pour les ateliers numériques"
    pledged_on = factory.LazyFunction(lambda: timezone.localdate().replace(month=1, day=2))
    amount = Decimal("1000.00")
    value = factory.LazyAttribute(lambda o: o.amount or Decimal("0.00"))
    value_basis = "Montant du don en numéraire."
    state = Contribution.State.PLEDGED

    class Params:
        money_gift = factory.Trait(kind=Kind.GIFT, amount=Decimal("1000.00"))
        in_kind_equipment = factory.Trait(
            kind=Kind.EQUIPMENT,
            description="Dix tablettes reconditionnées",
            amount=None,
            quantity=Decimal("10"),
            unit_cost=Decimal("120.00"),
            value=Decimal("1200.00"),
            value_basis="Coût de revient : 10 × 120,00 €.",
        )
        skills_sponsorship = factory.Trait(
            kind=Kind.SKILLS_SPONSORSHIP,
            description="Gestion du budget par une salariée",
            amount=None,
            hours=Decimal("35"),
            monthly_gross_salary=Decimal("3000.00"),
            employer_charges_rate=Decimal("45.00"),
            value=Decimal("1003.85"),
            value_basis="Salaire brut et charges patronales au prorata des heures.",
        )
        volunteering = factory.Trait(
            kind=Kind.VOLUNTEERING,
            description="Animation d'ateliers",
            amount=None,
            hours=Decimal("20"),
            hourly_rate=Decimal("11.88"),
            value=Decimal("237.60"),
            value_basis="20 h × 11,88 €.",
        )
        received = factory.Trait(state=Contribution.State.RECEIVED)

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        if create:
            states.begin(self)


class InstalmentFactory(DjangoModelFactory):
    class Meta:
        model = Instalment

    contribution = factory.SubFactory(ContributionFactory)
    received_on = factory.LazyFunction(
        lambda: min(timezone.localdate(), date(timezone.localdate().year, 1, 3))
    )
    amount = Decimal("500.00")


class EligibilityFactory(DjangoModelFactory):
    """The receiving organisation's confirmed right to issue tax receipts."""

    class Meta:
        model = ReceiptEligibility
        django_get_or_create = ("organisation",)

    organisation = factory.SubFactory(OrganisationFactory)
    eligible = True
    ground = ReceiptEligibility.Ground.GENERAL_INTEREST
    purpose = "Favoriser l'inclusion numérique des personnes âgées."
    confirmed_at = factory.LazyFunction(timezone.now)
