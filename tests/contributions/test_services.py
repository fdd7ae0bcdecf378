"""The ledger's services: recording, instalments, cancellation, documents and counterparts; bad input refused
in French with nothing half-written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from terreau.contributions import services
from terreau.contributions.models import Contribution, ContributionChange, Instalment, Kind
from tests.contributions.factories import ContributionFactory, EquipmentItemFactory, ProgramFactory
from tests.factories import BranchFactory, BranchRoleFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    branch = BranchFactory()
    staff = BranchRoleFactory(branch=branch).user
    company = OrganisationFactory(company=True, branch=branch)
    association = OrganisationFactory(branch=branch)
    return branch, staff, company, association


def _record(world, **kw):
    branch, staff, company, association = world
    args = {
        "by": staff,
        "branch": branch,
        "donor": company,
        "recipient": association,
        "kind": Kind.GIFT,
        "description": "Don pour les ateliers",
        "pledged_on": timezone.localdate(),
        "amount": "1 000,50",
    }
    args.update(kw)
    return services.contribution_record(**args)


def test_record_a_money_gift_with_a_french_comma_amount(world):
    c = _record(world)
    assert c.amount == Decimal("1000.50")
    assert c.value == Decimal("1000.50")
    assert c.state == Contribution.State.PLEDGED
    assert list(c.history.values_list("to_state", flat=True)) == ["pledged"]


@pytest.mark.parametrize("amount", ["0", "-5", "-0,01", "abc", "1,2,3"])
def test_bad_amounts_are_refused_in_french_and_nothing_is_written(world, amount):
    with pytest.raises(ValidationError) as error:
        _record(world, amount=amount)
    assert "montant" in str(error.value).lower() or "nombre" in str(error.value)
    assert not Contribution.objects.exists()
    assert not ContributionChange.objects.exists()


def test_float_amounts_are_refused(world):
    with pytest.raises(ValidationError):
        _record(world, amount=12.5)


def test_a_gift_dated_in_the_future_is_refused(world):
    with pytest.raises(ValidationError, match="futur"):
        _record(world, pledged_on=timezone.localdate() + timedelta(days=1))
    assert not Contribution.objects.exists()


def test_donor_must_differ_from_recipient(world):
    branch, staff, company, association = world
    with pytest.raises(ValidationError, match="différentes"):
        _record(world, donor=association)


def test_a_donor_is_required(world):
    with pytest.raises(ValidationError, match="donateur"):
        _record(world, donor=None)
    c = _record(world, donor=None, individual_name="Jeanne Dupont", individual_address="1 rue de la Paix")
    assert c.donor_label == "Jeanne Dupont"


def test_one_target_at_most_and_of_the_same_branch(world):
    branch = world[0]
    program = ProgramFactory(branch=branch)
    from terreau.partnerships.models import Partnership

    partnership = Partnership.objects.create(branch=branch, title="A × B")
    with pytest.raises(ValidationError, match="un seul objet"):
        _record(world, program=program, partnership=partnership)
    with pytest.raises(ValidationError, match="antenne"):
        _record(world, program=ProgramFactory())
    assert _record(world, program=program).program == program


def test_equipment_items_must_belong_to_the_program(world):
    branch = world[0]
    program = ProgramFactory(branch=branch)
    mine = EquipmentItemFactory(program=program)
    other = EquipmentItemFactory()
    kw = {"kind": Kind.EQUIPMENT, "amount": None, "quantity": "2", "unit_cost": "150,00", "program": program}
    with pytest.raises(ValidationError, match="programme"):
        _record(world, equipment_items=[mine, other], **kw)
    c = _record(world, equipment_items=[mine], **kw)
    assert list(c.equipment_items.all()) == [mine]


def test_an_outsider_may_not_record(world):
    outsider = BranchRoleFactory().user
    with pytest.raises(PermissionDenied):
        _record(world, by=outsider)
    member = MembershipFactory(organisation=world[2]).user
    assert _record(world, by=member).recorded_by == member


def test_instalments_move_the_state_and_refuse_more_than_the_value(world):
    staff = world[1]
    c = _record(world, amount="1000")
    today = timezone.localdate()
    services.instalment_record(by=staff, contribution=c, amount="400,00", received_on=today)
    c.refresh_from_db()
    assert c.state == Contribution.State.PARTLY_RECEIVED
    with pytest.raises(ValidationError, match="reste à recevoir \\(600,00 €\\)"):
        services.instalment_record(by=staff, contribution=c, amount="600,01", received_on=today)
    services.instalment_record(by=staff, contribution=c, amount="600", received_on=today)
    c.refresh_from_db()
    assert c.state == Contribution.State.RECEIVED
    assert services.received_total(c) == Decimal("1000.00")
    assert list(c.history.values_list("to_state", flat=True)) == ["pledged", "partly_received", "received"]
    with pytest.raises(ValidationError):
        services.instalment_record(by=staff, contribution=c, amount="1", received_on=today)


@pytest.mark.parametrize(
    ("amount", "delta", "message"),
    [("0", 0, "supérieur à zéro"), ("-3", 0, "supérieur à zéro"), ("10", 1, "futur"), ("", 0, "Indiquez")],
)
def test_bad_instalments_write_nothing(world, amount, delta, message):
    c = _record(world)
    with pytest.raises(ValidationError, match=message):
        services.instalment_record(
            by=world[1],
            contribution=c,
            amount=amount,
            received_on=timezone.localdate() + timedelta(days=delta),
        )
    assert not Instalment.objects.exists()
    c.refresh_from_db()
    assert c.state == Contribution.State.PLEDGED


def test_only_the_recipient_side_records_instalments(world):
    c = _record(world)
    donor_member = MembershipFactory(organisation=world[2]).user
    recipient_member = MembershipFactory(organisation=world[3]).user
    with pytest.raises(PermissionDenied):
        services.instalment_record(
            by=donor_member, contribution=c, amount="1", received_on=timezone.localdate()
        )
    services.instalment_record(
        by=recipient_member, contribution=c, amount="1", received_on=timezone.localdate()
    )


def test_cancel_needs_a_reason_and_happens_once(world):
    staff = world[1]
    c = _record(world)
    with pytest.raises(ValidationError, match="motif"):
        services.contribution_cancel(by=staff, contribution=c, reason="  ")
    services.contribution_cancel(by=staff, contribution=c, reason="Projet abandonné")
    c.refresh_from_db()
    assert c.state == Contribution.State.CANCELLED
    assert c.history.last().note == "Projet abandonné"
    with pytest.raises(ValidationError, match="déjà annulée"):
        services.contribution_cancel(by=staff, contribution=c, reason="encore")
    assert c.history.count() == 2


def test_update_only_while_pledged(world):
    staff = world[1]
    c = _record(world)
    services.contribution_update(by=staff, contribution=c, amount="2 000", description="Don revu")
    c.refresh_from_db()
    assert (c.value, c.description) == (Decimal("2000.00"), "Don revu")
    services.instalment_record(by=staff, contribution=c, amount="10", received_on=timezone.localdate())
    with pytest.raises(ValidationError, match="promise"):
        services.contribution_update(by=staff, contribution=c, amount="3000")


def test_counterparts(world):
    staff = world[1]
    c = _record(world, kind=Kind.SPONSORSHIP)
    cp = services.counterpart_add(
        by=staff, contribution=c, kind="visibility", description="Logo", value="250,00"
    )
    assert cp.value == Decimal("250.00")
    with pytest.raises(ValidationError):
        services.counterpart_add(by=staff, contribution=c, kind="visibility", description="Logo", value="-1")
    services.counterpart_remove(by=staff, counterpart=cp)
    assert not c.counterparts.exists()


def test_factories_build_each_trait():
    for trait in ("money_gift", "in_kind_equipment", "skills_sponsorship", "volunteering"):
        c = ContributionFactory(**{trait: True})
        assert c.history.count() == 1
        assert c.value > 0


def test_cancel_is_refused_once_an_issued_receipt_covers_it(world):
    from terreau.contributions.models import Receipt

    branch, staff, company, association = world
    c = _record(world)
    services.instalment_record(by=staff, contribution=c, amount=c.value, received_on=timezone.localdate())
    today = timezone.localdate()
    receipt = Receipt.objects.create(
        branch=branch,
        issuer=association,
        donor=company,
        year=today.year,
        sequence=1,
        number=f"{today.year}-0001",
        form=Receipt.Form.COMPANY,
        nature=Receipt.Nature.CASH,
        period_start=today,
        period_end=today,
        amount=c.value,
        amount_in_words="mille euros et cinquante centimes",
        issued_at=timezone.now(),
    )
    receipt.contributions.add(c)
    with pytest.raises(ValidationError, match="reçu fiscal émis"):
        services.contribution_cancel(by=staff, contribution=c, reason="Erreur")
    c.refresh_from_db()
    assert c.state == Contribution.State.RECEIVED


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"amount": "1e999999"}, "trop élevée"),
        ({"amount": "12,345"}, "deux décimales"),
        (
            {"kind": Kind.GOODS, "amount": None, "quantity": "99999999", "unit_cost": "9999999999"},
            "trop élevée",
        ),
    ],
)
def test_huge_or_too_precise_numbers_are_refused(world, kw, message):
    with pytest.raises(ValidationError, match=message):
        _record(world, **kw)
    assert not Contribution.objects.exists()


def test_in_kind_value_is_rounded_to_the_cent(world):
    c = _record(world, kind=Kind.GOODS, amount=None, quantity="3,33", unit_cost="0,33")
    assert c.value == Decimal("1.10")
