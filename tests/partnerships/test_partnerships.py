from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from terreau.partnerships import services
from terreau.partnerships.models import ContactRequest, Partnership, allowed_stages
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    """An EHPAD needing tablets and a company offering them, each with one member."""
    branch = BranchFactory()
    ehpad = MembershipFactory(organisation__branch=branch, organisation__name="EHPAD Les Tilleuls")
    company = MembershipFactory(organisation__branch=branch, organisation__company=True)
    need = NeedOfferFactory(organisation=ehpad.organisation)
    offer = NeedOfferFactory(organisation=company.organisation, offer=True)
    return ehpad, company, need, offer


def test_proposal_notifies_the_recipient_and_accepting_opens_a_partnership(
    client, pair, django_capture_on_commit_callbacks
):
    ehpad, company, need, offer = pair
    client.force_login(company.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partnerships:propose"),
            {
                "sender": company.organisation.pk,
                "recipient": ehpad.organisation.pk,
                "need": need.pk,
                "offer": offer.pk,
                "message": "Nous renouvelons nos tablettes.",
            },
        )
    assert response.status_code == 302
    request = ContactRequest.objects.get()
    assert request.status == ContactRequest.Status.PENDING
    assert mail.outbox[-1].to == [ehpad.user.email]
    assert "mise en relation" in mail.outbox[-1].subject

    client.force_login(ehpad.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("partnerships:answer", args=[request.pk]),
            {"decision": "accept", "answer": "Avec plaisir"},
        )
    request.refresh_from_db()
    assert request.status == ContactRequest.Status.ACCEPTED
    partnership = Partnership.objects.get()
    assert set(partnership.partners.all()) == {ehpad.organisation, company.organisation}
    assert partnership.stage == Partnership.Stage.CONTACT
    assert list(request.history.values_list("to_state", flat=True)) == ["pending", "accepted"]
    assert {tuple(m.to) for m in mail.outbox[-2:]} == {(ehpad.user.email,), (company.user.email,)}


def test_only_the_recipient_answers_and_only_once(client, pair):
    ehpad, company, need, offer = pair
    request = services.contact_request_create(
        sender=company.organisation, recipient=ehpad.organisation, need=need, offer=offer, by=company.user
    )
    client.force_login(company.user)
    response = client.post(reverse("partnerships:answer", args=[request.pk]), {"decision": "accept"})
    assert response.status_code == 403
    outsider = UserFactory()
    client.force_login(outsider)
    assert (
        client.post(reverse("partnerships:answer", args=[request.pk]), {"decision": "accept"}).status_code
        == 404
    )
    services.contact_request_decline(request=request, by=ehpad.user)
    with pytest.raises(ValidationError):
        services.contact_request_accept(request=request, by=ehpad.user)
    assert not Partnership.objects.exists()


def test_a_member_cannot_propose_on_behalf_of_another_organisation(client, pair):
    ehpad, company, need, offer = pair
    client.force_login(UserFactory())
    response = client.post(
        reverse("partnerships:propose"),
        {"sender": company.organisation.pk, "recipient": ehpad.organisation.pk, "need": need.pk},
    )
    assert response.status_code == 403
    assert not ContactRequest.objects.exists()


def test_duplicate_pending_request_gets_a_french_message(pair):
    ehpad, company, need, offer = pair
    kwargs = {"sender": company.organisation, "recipient": ehpad.organisation, "need": need, "offer": offer}
    services.contact_request_create(**kwargs)
    with pytest.raises(ValidationError, match="déjà en attente"):
        services.contact_request_create(**kwargs)
    assert ContactRequest.objects.count() == 1


def test_unanswered_requests_expire_and_both_sides_are_told(pair, django_capture_on_commit_callbacks):
    ehpad, company, need, offer = pair
    request = services.contact_request_create(
        sender=company.organisation, recipient=ehpad.organisation, need=need, offer=offer
    )
    ContactRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire-contact-requests")
    request.refresh_from_db()
    assert request.status == ContactRequest.Status.EXPIRED
    assert len(mail.outbox) == 2
    assert services.contact_requests_expire() == 0  # nothing left to expire


def test_stage_moves_follow_the_pipeline():
    assert allowed_stages("contact") == ["discussion", "ended"]
    assert allowed_stages("discussion") == ["contact", "agreement", "ended"]
    assert allowed_stages("ended") == ["active"]


def test_facilitator_pipeline_counts_and_scoping(client, pair):
    ehpad, company, need, offer = pair
    request = services.contact_request_create(
        sender=company.organisation, recipient=ehpad.organisation, need=need, offer=offer
    )
    partnership = services.contact_request_accept(request=request)
    services.partnership_set_stage(partnership=partnership, to="discussion")
    facilitator = BranchRoleFactory(branch=partnership.branch).user
    client.force_login(facilitator)
    response = client.get(reverse("partnerships:board"))
    assert response.status_code == 200
    counts = {code: n for code, _label, n in response.context["pipeline"].by_stage}
    assert counts["discussion"] == 1 and counts["contact"] == 0
    csv_body = client.get(reverse("partnerships:board_export")).content.decode("utf-8-sig")
    assert "EHPAD Les Tilleuls" in csv_body

    other = BranchRoleFactory().user
    client.force_login(other)
    response = client.get(reverse("partnerships:board"))
    assert response.context["pipeline"].total == 0
    assert client.get(reverse("partnerships:detail", args=[partnership.pk])).status_code == 404

    # A member follows their own organisation's partnerships (issue 11: no more 403), never the export.
    client.force_login(ehpad.user)
    response = client.get(reverse("partnerships:board"))
    assert response.status_code == 200 and response.context["pipeline"].total == 1
    assert client.get(reverse("partnerships:board_export")).status_code == 403
    assert client.get(reverse("partnerships:detail", args=[partnership.pk])).status_code == 200
    # The partnership's page is read-only; its stage moves through its own form (partnerships:stage).
    assert (
        client.post(reverse("partnerships:detail", args=[partnership.pk]), {"stage": "agreement"}).status_code
        == 405
    )
    assert Partnership.objects.get(pk=partnership.pk).stage == "discussion"


def test_visible_partnerships_are_not_repeated_for_members_of_both_sides():
    from terreau.core.access import visible

    branch = BranchFactory()
    a, b = OrganisationFactory(branch=branch), OrganisationFactory(branch=branch)
    user = UserFactory()
    MembershipFactory(user=user, organisation=a)
    MembershipFactory(user=user, organisation=b)
    p = Partnership.objects.create(branch=branch, title="A × B")
    p.partners.add(a, b)
    assert list(visible(user, Partnership.objects.all())) == [p]
