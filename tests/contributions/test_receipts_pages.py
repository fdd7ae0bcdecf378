"""Receipts through the pages, the API and the admin: issue, cancel, reissue, batch, summary export, donor's
list and PDF; an issued receipt changes through none of them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from terreau.contributions import receipt_batch, receipts
from terreau.contributions.receipt_models import Receipt, ReceiptEligibility
from terreau.directory.models import Membership
from terreau.notifications.models import EmailDelivery
from tests.contributions.factories import ContributionFactory, EligibilityFactory
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    branch = BranchFactory()
    issuer = OrganisationFactory(branch=branch, name="Les Geeks d'Argent")
    donor = OrganisationFactory(branch=branch, company=True, name="Numérik SA", email="dons@numerik.example")
    EligibilityFactory(organisation=issuer)
    admin = MembershipFactory(organisation=issuer, role=Membership.Role.ADMIN).user
    donor_member = MembershipFactory(organisation=donor).user
    gift = ContributionFactory(branch=branch, donor=donor, recipient=issuer, received=True)
    return type("W", (), locals())


def logged(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_issue_cancel_reissue_through_the_pages(world):
    page = logged(world.admin)
    listing = page.get(reverse("contributions:receipts", args=[world.issuer.slug]))
    assert listing.status_code == 200 and "Émettre le reçu" in listing.content.decode()
    url = reverse("contributions:receipt_issue", args=[world.issuer.slug, world.gift.pk])
    assert page.get(url).status_code == 200
    response = page.post(url, {"form": "company", "payment_method": "Virement"})
    receipt = Receipt.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "contributions:receipt", args=[receipt.pk]
    )
    assert receipt.payment_method == "Virement"
    sent = EmailDelivery.objects.get(kind="contributions.receipt")  # leaves after the commit (a job)
    assert sent.attachments[0]["filename"] == f"recu-{receipt.number}.pdf"
    # Issued twice: a French message, nothing written.
    response = page.post(url, {"form": "company"}, follow=True)
    assert "déjà sur un reçu émis" in response.content.decode() and Receipt.objects.count() == 1
    # Cancel without a reason: refused.
    response = page.post(
        reverse("contributions:receipt_cancel", args=[receipt.pk]), {"reason": ""}, follow=True
    )
    assert "motif" in response.content.decode()
    response = page.post(
        reverse("contributions:receipt_reissue", args=[receipt.pk]), {"reason": "Erreur de SIREN"}
    )
    new = Receipt.objects.get(replaces=receipt)
    assert response["Location"] == reverse("contributions:receipt", args=[new.pk])
    detail = page.get(reverse("contributions:receipt", args=[receipt.pk])).content.decode()
    assert "ANNULÉ" in detail and new.number in detail
    response = page.post(
        reverse("contributions:receipt_cancel", args=[receipt.pk]), {"reason": "x"}, follow=True
    )
    assert "déjà annulé" in response.content.decode()


def test_pledge_and_ineligible_refused_with_french_messages(world):
    page = logged(world.admin)
    pledge = ContributionFactory(branch=world.branch, donor=world.donor, recipient=world.issuer)
    url = reverse("contributions:receipt_issue", args=[world.issuer.slug, pledge.pk])
    assert "pas encore entièrement reçue" in page.post(url, {"form": "company"}, follow=True).content.decode()
    ReceiptEligibility.objects.filter(organisation=world.issuer).update(eligible=False)
    url = reverse("contributions:receipt_issue", args=[world.issuer.slug, world.gift.pk])
    assert "habilitation" in page.post(url, {"form": "company"}, follow=True).content.decode()
    assert not Receipt.objects.exists()


def test_period_eligibility_batch_and_summary_pages(world, django_capture_on_commit_callbacks):
    page = logged(world.admin)
    year = world.gift.pledged_on.year
    second = ContributionFactory(
        branch=world.branch, donor=world.donor, recipient=world.issuer, received=True
    )
    url = reverse("contributions:receipt_issue_period", args=[world.issuer.slug]) + f"?annee={year}"
    assert page.get(url).status_code == 200
    response = page.post(
        url,
        {
            "gifts": [world.gift.pk, second.pk],
            "start": f"{year}-01-01",
            "end": f"{year}-12-31",
            "form": "company",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Receipt.objects.get().amount == Decimal("2000.00")
    eligibility = reverse("contributions:receipt_eligibility", args=[world.issuer.slug])
    assert page.get(eligibility).status_code == 200
    response = page.post(
        eligibility, {"eligible": "on", "ground": "rescrit", "purpose": "Objet", "rescrit_reference": ""}
    )
    assert response.status_code == 200 and "référence du rescrit" in response.content.decode()
    assert ReceiptEligibility.objects.get(organisation=world.issuer).ground == "general_interest"  # unchanged
    ContributionFactory(branch=world.branch, donor=world.donor, recipient=world.issuer, received=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(reverse("contributions:receipt_batch", args=[world.issuer.slug]), {"year": year})
    assert response.status_code == 302 and response["Location"].startswith("/traitements/")
    assert Receipt.objects.count() == 2
    summary = reverse("contributions:receipt_summary", args=[world.issuer.slug])
    assert "3000" in page.get(summary, {"annee": year}).content.decode().replace("\u202f", "").replace(
        " ", ""
    )
    csv = page.get(summary, {"annee": year, "format": "csv"}).content.decode("utf-8-sig")
    assert "Total" in csv and "3000.00" in csv
    xlsx = load_workbook(io.BytesIO(page.get(summary, {"annee": year, "format": "xlsx"}).content))
    assert xlsx.active.max_row == 4  # header, two receipts, total


def test_donor_sees_and_downloads_own_receipts_only(world):
    receipt = receipts.receipt_issue(by=world.admin, issuer=world.issuer, contributions=[world.gift])
    stranger = MembershipFactory(organisation=OrganisationFactory(branch=world.branch, company=True)).user
    page = logged(world.donor_member)
    assert receipt.number in page.get(reverse("contributions:my_receipts")).content.decode()
    pdf = page.get(reverse("contributions:receipt_pdf", args=[receipt.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert receipt.number in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    # The donor reads, never acts.
    assert (
        page.post(reverse("contributions:receipt_cancel", args=[receipt.pk]), {"reason": "x"}).status_code
        == 403
    )
    assert page.get(reverse("contributions:receipts", args=[world.issuer.slug])).status_code == 403
    other = logged(stranger)
    assert receipt.number not in other.get(reverse("contributions:my_receipts")).content.decode()
    assert other.get(reverse("contributions:receipt_pdf", args=[receipt.pk])).status_code == 404


def test_api_is_read_only_with_pdf_and_documented(world):
    receipt = receipts.receipt_issue(by=world.admin, issuer=world.issuer, contributions=[world.gift])
    client = api(world.admin)
    listed = client.get("/api/receipts/").json()
    assert [r["number"] for r in listed["results"]] == [receipt.number]
    assert client.get(f"/api/receipts/{receipt.pk}/").json()["amount_in_words"] == "mille euros"
    pdf = client.get(f"/api/receipts/{receipt.pk}/pdf/")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    for method in ("put", "patch", "delete", "post"):
        url = f"/api/receipts/{receipt.pk}/" if method != "post" else "/api/receipts/"
        assert getattr(client, method)(url, {"amount": "1.00"}, format="json").status_code == 405
    receipt.refresh_from_db()
    assert receipt.amount == Decimal("1000.00")
    stranger = api(BranchRoleFactory(branch=BranchFactory()).user)
    for accept in ("*/*", "application/pdf", "application/json"):
        refused = stranger.get(f"/api/receipts/{receipt.pk}/pdf/", HTTP_ACCEPT=accept)
        assert refused.status_code == 404 and b"%PDF" not in refused.content
    assert APIClient().get(f"/api/receipts/{receipt.pk}/pdf/").status_code in (401, 404)
    assert stranger.get("/api/receipts/999999/pdf.json").status_code == 404  # the router's format suffix
    assert client.get(f"/api/receipts/{receipt.pk}/pdf.pdf").content.startswith(b"%PDF")
    assert api(world.donor_member).get(f"/api/receipts/{receipt.pk}/").status_code == 200
    assert (
        api(BranchRoleFactory(branch=BranchFactory()).user).get(f"/api/receipts/{receipt.pk}/").status_code
        == 404
    )
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content.decode()
    assert "/api/receipts/{id}/pdf/" in schema and "application/pdf" in schema


def test_admin_cannot_change_nor_delete_a_receipt(world):
    import terreau.contributions.receipt_admin  # noqa: F401 (registered even before the app's admin.py imports it)

    receipt = receipts.receipt_issue(by=world.admin, issuer=world.issuer, contributions=[world.gift])
    superuser = UserFactory(is_superuser=True, is_staff=True)
    page = logged(superuser)
    change = reverse("admin:contributions_receipt_change", args=[receipt.pk])
    response = page.get(change)
    assert response.status_code == 200 and 'name="amount"' not in response.content.decode()
    page.post(change, {"amount": "1.00", "number": "FORGED"})
    assert (
        page.post(
            reverse("admin:contributions_receipt_delete", args=[receipt.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    receipt.refresh_from_db()
    assert receipt.amount == Decimal("1000.00") and receipt.number != "FORGED"
    assert page.get(reverse("admin:contributions_receipt_add")).status_code == 403


def test_hostile_text_through_the_pdf_view_the_api_and_the_email(world):
    """Markup, long words and emoji in every field a user types reach the receipt as text (listed among the
    PDFs covered by tests/test_pdf_hostile_text.py)."""
    from tests.test_pdf_hostile_text import LONG_WORD, MARKUP, assert_literal

    world.issuer.name, world.issuer.address = MARKUP, LONG_WORD
    world.issuer.save()
    world.donor.name = MARKUP
    world.donor.save()
    receipts.eligibility_confirm(
        by=world.admin,
        organisation=world.issuer,
        eligible=True,
        ground="rescrit",
        ground_details=MARKUP,
        rescrit_reference=MARKUP[:100],
        purpose=f"{MARKUP} {LONG_WORD}",
    )
    gift = ContributionFactory(
        branch=world.branch,
        donor=world.donor,
        recipient=world.issuer,
        received=True,
        in_kind_equipment=True,
        description=f"{MARKUP} {LONG_WORD}",
    )
    receipt = receipts.receipt_issue(
        by=world.admin, issuer=world.issuer, contributions=[gift], payment_method=MARKUP[:100]
    )
    receipts.receipt_cancel(by=world.admin, receipt=receipt, reason=MARKUP)
    page = logged(world.donor_member)
    assert_literal(page.get(reverse("contributions:receipt_pdf", args=[receipt.pk])), MARKUP, LONG_WORD)
    assert_literal(api(world.donor_member).get(f"/api/receipts/{receipt.pk}/pdf/"), MARKUP, LONG_WORD)
    assert receipt_batch.receipt_send(receipt=receipt) == 1  # the donor's address: the PDF attached


def test_period_form_refuses_a_reversed_or_straddling_period_in_french(world):
    page = logged(world.admin)
    year = world.gift.pledged_on.year
    url = reverse("contributions:receipt_issue_period", args=[world.issuer.slug]) + f"?annee={year}"
    for start, end, message in [
        (f"{year}-06-30", f"{year}-01-01", "ne peut pas précéder son début"),
        (f"{year - 1}-12-01", f"{year}-01-31", "une seule année civile"),
        ("2024-02-31", "abc", "Saisissez une date valide"),
    ]:
        data = {"gifts": [world.gift.pk], "start": start, "end": end, "form": "company"}
        response = page.post(url, data)
        assert response.status_code == 200 and message in response.content.decode()
    assert not Receipt.objects.exists()
