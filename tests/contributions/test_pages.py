"""The ledger's pages: list (filters, pagination, query count), recording with French comma decimals, the
contribution's page, instalments, documents, counterparts and cancellation; who sees what."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from terreau.contributions.models import Contribution, Counterpart, Instalment
from tests.contributions.factories import ContributionFactory, InstalmentFactory, ProgramFactory
from tests.factories import BranchFactory, BranchRoleFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
LEDGER = reverse("contributions:ledger")
CREATE = reverse("contributions:contribution_create")


@pytest.fixture
def world():
    branch = BranchFactory()
    staff = BranchRoleFactory(branch=branch).user
    company = OrganisationFactory(company=True, branch=branch)
    association = OrganisationFactory(branch=branch)
    contribution = ContributionFactory(branch=branch, donor=company, recipient=association)
    return {
        "branch": branch,
        "staff": staff,
        "company": company,
        "association": association,
        "c": contribution,
    }


def _url(name, c, *args):
    return reverse(f"contributions:{name}", args=[c.pk, *args])


def test_ledger_lists_filters_and_ignores_bad_values(client, world, django_assert_max_num_queries):
    branch = world["branch"]
    program = ProgramFactory(branch=branch)
    for i in range(12):
        c = ContributionFactory(
            branch=branch, recipient=world["association"], program=program if i % 2 else None
        )
        InstalmentFactory(contribution=c, amount=Decimal("100.00"))
    client.force_login(world["staff"])
    with django_assert_max_num_queries(16):
        response = client.get(LEDGER)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 13
    with django_assert_max_num_queries(16):
        client.get(LEDGER, {"year": "2026"})
    response = client.get(LEDGER, {"program": program.pk, "kind": "gift", "state": "pledged"})
    assert response.context["page"].paginator.count == 6
    response = client.get(LEDGER, {"donor": world["company"].pk})
    assert response.context["page"].paginator.count == 1
    for bad in (
        {"year": "abc"},
        {"kind": "<script>"},
        {"state": "x"},
        {"program": "-1"},
        {"page": "zz"},
        {"donor": "1e9"},
        {"recipient": "'; drop"},
        {"year": "99999999999999999999"},
    ):
        response = client.get(LEDGER, bad)
        assert response.status_code == 200, bad


def test_ledger_is_paginated(client, world):
    ContributionFactory.create_batch(55, branch=world["branch"], recipient=world["association"])
    client.force_login(world["staff"])
    response = client.get(LEDGER, {"kind": "gift"})
    assert len(response.context["page"].object_list) == 50
    assert "kind=gift&amp;page=2" in response.content.decode()
    assert client.get(LEDGER, {"page": 2}).context["page"].number == 2


def test_parties_see_their_contributions_and_another_branch_nothing(client, world):
    other = ContributionFactory()  # another branch, other parties
    c = world["c"]
    donor_member = MembershipFactory(organisation=world["company"]).user
    recipient_member = MembershipFactory(organisation=world["association"]).user
    outsider_staff = BranchRoleFactory().user
    stranger = MembershipFactory().user
    cases = [(donor_member, True), (recipient_member, True), (outsider_staff, False), (stranger, False)]
    for user, sees in cases:
        client.force_login(user)
        listed = set(client.get(LEDGER).context["page"].paginator.object_list.values_list("pk", flat=True))
        assert (c.pk in listed) is sees
        assert other.pk not in listed
        assert client.get(_url("contribution", c)).status_code == (200 if sees else 404)


def test_record_a_contribution_with_comma_decimals(client, world):
    client.force_login(world["staff"])
    assert client.get(CREATE).status_code == 200
    response = client.post(
        CREATE,
        {
            "kind": "equipment",
            "donor": world["company"].pk,
            "recipient": world["association"].pk,
            "description": "Tablettes",
            "pledged_on": timezone.localdate().isoformat(),
            "quantity": "4",
            "unit_cost": "1 250,75",
        },
    )
    c = Contribution.objects.get(description="Tablettes")
    assert response.status_code == 302 and response["Location"] == _url("contribution", c)
    assert c.value == Decimal("5003.00")
    assert c.branch == world["branch"]
    page = client.get(_url("contribution", c)).content.decode()
    assert re.search(r"<strong>5\s003,00 €</strong>", page)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "-10"}, "supérieur à zéro"),
        ({"amount": "0"}, "supérieur à zéro"),
        ({"amount": "douze"}, "nombre"),
        ({"pledged_on": "2999-01-01"}, "futur"),
        ({"donor": "", "individual_name": ""}, "donateur"),
        ({"amount": ""}, "montant"),
    ],
)
def test_bad_input_answers_the_form_with_a_french_message(client, world, changes, message):
    client.force_login(world["staff"])
    data = {
        "kind": "gift",
        "donor": world["company"].pk,
        "recipient": world["association"].pk,
        "description": "Don",
        "pledged_on": timezone.localdate().isoformat(),
        "amount": "100",
    }
    data.update(changes)
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Contribution.objects.count() == 1


def test_instalments_from_the_page(client, world):
    c = world["c"]
    recipient_member = MembershipFactory(organisation=world["association"]).user
    client.force_login(recipient_member)
    page = client.get(_url("contribution", c)).content.decode()
    assert "Enregistrer un versement" in page
    today = timezone.localdate().isoformat()
    client.post(_url("instalment_add", c), {"amount": "250,50", "received_on": today})
    c.refresh_from_db()
    assert c.state == Contribution.State.PARTLY_RECEIVED
    response = client.post(_url("instalment_add", c), {"amount": "5000", "received_on": today}, follow=True)
    assert "reste à recevoir (749,50 €)" in response.content.decode()
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(_url("instalment_add", c), {"amount": "1", "received_on": future}, follow=True)
    assert "futur" in response.content.decode()
    assert Instalment.objects.count() == 1
    donor_member = MembershipFactory(organisation=world["company"]).user
    client.force_login(donor_member)
    assert "Enregistrer un versement" not in client.get(_url("contribution", c)).content.decode()
    assert client.post(_url("instalment_add", c), {"amount": "1", "received_on": today}).status_code == 403


def test_cancel_with_a_reason_and_not_twice(client, world):
    c = world["c"]
    client.force_login(world["staff"])
    response = client.post(_url("contribution_cancel", c), {"reason": ""})
    assert response.status_code == 200
    client.post(_url("contribution_cancel", c), {"reason": "Partenaire retiré"})
    c.refresh_from_db()
    assert c.state == Contribution.State.CANCELLED
    response = client.post(_url("contribution_cancel", c), {"reason": "encore"})
    assert response.status_code == 200
    assert "déjà annulée" in response.content.decode()
    assert c.history.count() == 2
    assert "Partenaire retiré" in client.get(_url("contribution", c)).content.decode()


def test_documents_and_counterparts(client, world):
    c = world["c"]
    client.force_login(world["staff"])
    pdf = SimpleUploadedFile("convention.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    client.post(_url("document_upload", c), {"kind": "agreement", "title": "Convention", "upload": pdf})
    document = c.documents.get()
    assert client.get(_url("document_download", c, document.pk)).status_code == 200
    fake = SimpleUploadedFile("virus.pdf", b"MZ....", content_type="application/pdf")
    response = client.post(_url("document_upload", c), {"kind": "other", "upload": fake}, follow=True)
    assert "ne correspond pas" in response.content.decode()
    client.post(_url("counterpart_add", c), {"kind": "visibility", "description": "Logo", "value": "400,00"})
    page = client.get(_url("contribution", c)).content.decode()
    assert "Contreparties disproportionnées" in page or "tolérance" in page
    cp = Counterpart.objects.get()
    client.post(_url("counterpart_remove", c, cp.pk))
    assert not Counterpart.objects.exists()
    stranger = MembershipFactory().user
    client.force_login(stranger)
    assert client.get(_url("document_download", c, document.pk)).status_code == 404


def test_the_form_offers_the_organisations_of_the_users_branches_only(client, world):
    elsewhere = OrganisationFactory(name="Structure publique ailleurs")  # public, another branch
    client.force_login(world["staff"])
    form = client.get(CREATE).context["form"]
    offered = set(form.fields["recipient"].queryset.values_list("pk", flat=True))
    assert {world["company"].pk, world["association"].pk} <= offered
    assert elsewhere.pk not in offered
    member = MembershipFactory(organisation=world["company"]).user
    client.force_login(member)
    offered = set(
        client.get(CREATE).context["form"].fields["recipient"].queryset.values_list("pk", flat=True)
    )
    assert world["association"].pk in offered and elsewhere.pk not in offered
