"""Tax receipts: eligibility, issue, numbering, amounts in words, cancel and reissue, batch, summary, PDF."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from terreau.contributions import receipt_batch, receipts
from terreau.contributions.models import Contribution
from terreau.contributions.receipt_models import Receipt, ReceiptSequence
from terreau.contributions.receipt_pdf import receipt_pdf
from terreau.core.models import AuditEvent
from terreau.directory.models import Membership
from tests.contributions.factories import ContributionFactory, EligibilityFactory
from tests.factories import BranchFactory, BranchRoleFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<img src="x"/> <b>Gras</b> & <para>'


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def world():
    branch = BranchFactory()
    issuer = OrganisationFactory(
        branch=branch,
        name="Les Geeks d'Argent",
        rna="W862001234",
        address="3 rue des Écoles",
        postal_code="86000",
    )
    donor = OrganisationFactory(branch=branch, company=True, name="Numérik SA", siren="552100554")
    donor.email = "dons@numerik.example"
    donor.save()
    EligibilityFactory(organisation=issuer)
    admin = MembershipFactory(organisation=issuer, role=Membership.Role.ADMIN).user
    return type("W", (), {"branch": branch, "issuer": issuer, "donor": donor, "admin": admin})


def gift(w, **kwargs) -> Contribution:
    values = {"branch": w.branch, "donor": w.donor, "recipient": w.issuer, "received": True}
    values.update(kwargs)
    return ContributionFactory(**values)


def issue(w, *gifts, **kwargs) -> Receipt:
    return receipts.receipt_issue(by=w.admin, issuer=w.issuer, contributions=list(gifts), **kwargs)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("80", "quatre-vingts euros"),
        ("81", "quatre-vingt-un euros"),
        ("91", "quatre-vingt-onze euros"),
        ("200", "deux cents euros"),
        ("1", "un euro"),
        ("1000000", "un million d'euros"),
        ("2000000", "deux millions d'euros"),
        ("80.10", "quatre-vingts euros et dix centimes"),
        ("0.01", "un centime"),
        ("0.80", "quatre-vingts centimes"),
        ("1234.56", "mille deux cent trente-quatre euros et cinquante-six centimes"),
        ("200.80", "deux cents euros et quatre-vingts centimes"),
    ],
)
def test_amount_in_words(amount, words):
    assert receipts.amount_in_words(Decimal(amount)) == words


def test_issue_one_gift_with_snapshots_number_and_audit(world):
    receipt = issue(world, gift(world, amount=Decimal("81.00"), value=Decimal("81.00")))
    assert receipt.number == f"{receipt.year}-00001" and receipt.sequence == 1
    assert receipt.form == Receipt.Form.COMPANY and receipt.nature == Receipt.Nature.CASH
    assert receipt.amount == Decimal("81.00") and receipt.amount_in_words == "quatre-vingt-un euros"
    assert receipt.issuer_snapshot["rna"] == "W862001234"
    assert receipt.issuer_snapshot["purpose"].startswith("Favoriser")
    assert receipt.donor_snapshot == {
        "name": "Numérik SA",
        "legal_form": receipt.donor_snapshot["legal_form"],
        "siren": "552100554",
        "address": receipt.donor_snapshot["address"],
    }
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.RECEIPT_ISSUED, object_id=str(receipt.pk)
    ).exists()
    second = issue(world, gift(world))
    assert second.sequence == 2
    assert ReceiptSequence.objects.get(issuer=world.issuer, year=receipt.year).last_number == 2


def test_ineligible_issuer_is_refused(world):
    world.issuer.receipt_eligibility.delete()
    with pytest.raises(ValidationError, match="habilitation"):
        issue(world, gift(world))
    assert not Receipt.objects.exists()
    assert not ReceiptSequence.objects.filter(last_number__gt=0).exists()


def test_pledge_not_received_is_refused(world):
    pledged = gift(world, received=False)
    with pytest.raises(ValidationError, match="promesse qui n'est pas encore entièrement reçue"):
        issue(world, pledged)
    pledged.state = Contribution.State.PARTLY_RECEIVED
    pledged.save()
    with pytest.raises(ValidationError, match="pas encore entièrement reçue"):
        issue(world, pledged)
    assert not Receipt.objects.exists()


def test_refusals_leave_nothing_written(world):
    other_donor = OrganisationFactory(branch=world.branch, company=True)
    volunteering = gift(world, volunteering=True)
    with pytest.raises(ValidationError, match="ne donne pas droit"):
        issue(world, volunteering)
    with pytest.raises(ValidationError, match="un seul donateur"):
        issue(
            world, gift(world), gift(world, donor=other_donor), period=(date(2026, 1, 1), date(2026, 12, 31))
        )
    with pytest.raises(ValidationError, match="reçus distincts"):
        issue(
            world,
            gift(world),
            gift(world, in_kind_equipment=True),
            period=(date(2026, 1, 1), date(2026, 12, 31)),
        )
    with pytest.raises(ValidationError, match="seul son bénéficiaire"):
        issue(world, gift(world, recipient=OrganisationFactory(branch=world.branch)))
    assert not Receipt.objects.exists()


def test_a_gift_goes_on_one_live_receipt_only(world):
    g = gift(world)
    first = issue(world, g)
    with pytest.raises(ValidationError, match="déjà sur un reçu émis"):
        issue(world, g)
    receipts.receipt_cancel(by=world.admin, receipt=first, reason="Erreur de montant")
    assert issue(world, g).sequence == 2


def test_period_receipt_and_in_kind_description(world):
    year = date.today().year
    a = gift(world, in_kind_equipment=True)
    b = gift(world, in_kind_equipment=True, description="Un vidéoprojecteur", value=Decimal("450.00"))
    receipt = issue(world, a, b, period=(date(year, 1, 1), date(year, 12, 31)))
    assert receipt.nature == Receipt.Nature.IN_KIND
    assert receipt.amount == Decimal("1650.00")
    assert (
        "Dix tablettes" in receipt.in_kind_description and "Un vidéoprojecteur" in receipt.in_kind_description
    )
    assert receipt.period_start == date(year, 1, 1)
    with pytest.raises(ValidationError, match="une seule année"):
        issue(world, gift(world), gift(world), period=(date(year - 1, 6, 1), date(year, 6, 1)))


def test_cancel_then_cancel_again_is_refused_and_reissue_keeps_both(world):
    receipt = issue(world, gift(world))
    with pytest.raises(ValidationError, match="motif"):
        receipts.receipt_cancel(by=world.admin, receipt=receipt, reason="   ")
    new = receipts.receipt_reissue(by=world.admin, receipt=receipt, reason="Mauvais modèle")
    receipt.refresh_from_db()
    assert receipt.state == Receipt.State.CANCELLED and receipt.cancel_reason == "Mauvais modèle"
    assert new.replaces == receipt and new.sequence == 2 and new.state == Receipt.State.ISSUED
    assert list(new.contributions.all()) == list(receipt.contributions.all())
    with pytest.raises(ValidationError, match="déjà annulé"):
        receipts.receipt_cancel(by=world.admin, receipt=receipt, reason="encore")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RECEIPT_CANCELLED).count() == 1


def test_issued_receipt_cannot_be_changed_nor_deleted(world):
    receipt = issue(world, gift(world))
    receipt.amount = Decimal("1.00")
    with pytest.raises(ValidationError):
        receipt.save()
    with pytest.raises(ValidationError):
        receipt.save(update_fields=["amount"])
    with pytest.raises(ValidationError):
        receipt.delete()
    receipt.refresh_from_db()
    assert receipt.amount == Decimal("1000.00")


def test_only_an_admin_of_the_issuer_or_branch_staff_may_act(world):
    member = MembershipFactory(organisation=world.issuer, role=Membership.Role.MEMBER).user
    other_staff = BranchRoleFactory(branch=BranchFactory()).user
    for user in (member, other_staff, MembershipFactory(organisation=world.donor).user):
        with pytest.raises(PermissionDenied):
            receipts.receipt_issue(by=user, issuer=world.issuer, contributions=[gift(world)])
        with pytest.raises(PermissionDenied):
            receipts.eligibility_confirm(
                by=user,
                organisation=world.issuer,
                eligible=True,
                ground="general_interest",
                ground_details="",
                rescrit_reference="",
                purpose="x",
            )
    staff = BranchRoleFactory(branch=world.branch).user
    assert receipts.receipt_issue(by=staff, issuer=world.issuer, contributions=[gift(world)]).sequence == 1


def test_eligibility_confirm_records_who_and_ground(world):
    org = OrganisationFactory(branch=world.branch)
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN).user
    with pytest.raises(ValidationError, match="fondement"):
        receipts.eligibility_confirm(
            by=admin,
            organisation=org,
            eligible=True,
            ground="",
            ground_details="",
            rescrit_reference="",
            purpose="Objet",
        )
    with pytest.raises(ValidationError, match="rescrit"):
        receipts.eligibility_confirm(
            by=admin,
            organisation=org,
            eligible=True,
            ground="rescrit",
            ground_details="",
            rescrit_reference="",
            purpose="Objet",
        )
    record = receipts.eligibility_confirm(
        by=admin,
        organisation=org,
        eligible=True,
        ground="public_utility",
        ground_details="Décret du 1er mars",
        rescrit_reference="",
        purpose="Objet",
    )
    assert record.confirmed_by == admin and record.confirmed_at is not None and receipts.is_eligible(org)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RECEIPT_ELIGIBILITY).exists()


def test_yearly_summary_excludes_cancelled(world):
    first = issue(world, gift(world, amount=Decimal("100.00"), value=Decimal("100.00")))
    issue(world, gift(world, amount=Decimal("250.50"), value=Decimal("250.50")))
    receipts.receipt_cancel(by=world.admin, receipt=first, reason="Doublon")
    summary = receipts.yearly_summary(issuer=world.issuer, year=first.year)
    assert (summary.count, summary.total, summary.cancelled) == (1, Decimal("250.50"), 1)


def test_pdf_carries_the_mentions_escapes_hostile_text_and_marks_cancelled(world):
    world.donor.name = HOSTILE
    world.donor.save()
    receipt = issue(world, gift(world, amount=Decimal("1000000.00"), value=Decimal("1000000.00")))
    text = pdf_text(receipt_pdf(receipt))
    for mention in [
        receipt.number,
        "Les Geeks d'Argent",
        "W862001234",
        "3 rue des Écoles",
        "Favoriser",
        "552100554",
        "un million d'euros",
        "16216",
        "238 bis",
        "certifie sur l'honneur",
        "Signataire",
        "Numéraire",
        "Mode de versement",
        '<img src="x"/>',
        "<b>Gras</b> & <para>",
    ]:
        assert mention in text, mention
    assert "ANNULÉ" not in text
    receipts.receipt_cancel(by=world.admin, receipt=receipt, reason="Montant erroné")
    receipt.refresh_from_db()
    text = pdf_text(receipt_pdf(receipt))
    assert "ANNULÉ" in text and "Montant erroné" in text


def test_individual_receipt_follows_cerfa_11580(world):
    g = gift(
        world,
        donor=None,
        individual_name="Jeanne Martin",
        individual_address="1 place du Marché\n86000 Poitiers",
    )
    receipt = issue(world, g)
    assert receipt.form == Receipt.Form.INDIVIDUAL
    text = pdf_text(receipt_pdf(receipt))
    assert "11580" in text and "Jeanne Martin" in text and "1 place du Marché" in text


def test_year_end_batch_issues_one_receipt_per_donor_and_sends_them(
    world, django_capture_on_commit_callbacks
):
    year = date.today().year
    other = OrganisationFactory(branch=world.branch, company=True, name="Autre SA", email="a@autre.example")
    gift(world), gift(world), gift(world, donor=other), gift(world, in_kind_equipment=True)
    gift(world, received=False)  # a pledge: no receipt
    with django_capture_on_commit_callbacks(execute=True):
        tracked = receipt_batch.receipts_batch_year_end(by=world.admin, issuer=world.issuer, year=year)
    tracked.refresh_from_db()
    assert tracked.state == "done", tracked.error
    assert Receipt.objects.filter(issuer=world.issuer).count() == 3  # donor cash, donor in kind, other cash
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == [1, 2, 3]
    assert Receipt.objects.get(donor=world.donor, nature="cash").amount == Decimal("2000.00")
    assert receipt_batch.pending_gifts(world.issuer, year) == []
    sent = [m for m in mail.outbox if m.attachments]
    assert {tuple(m.to) for m in sent} >= {("dons@numerik.example",), ("a@autre.example",)}
    assert sent[0].attachments[0][2] == "application/pdf"
