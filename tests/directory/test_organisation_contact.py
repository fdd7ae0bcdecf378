"""The organisation page's contact action: members of another organisation propose a contact; the
organisation's own members don't see it; anonymous visitors are invited to sign in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terreau.partnerships.models import ContactRequest
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient():
    return OrganisationFactory(name="Centre des Trois Cités")


def page(client, organisation) -> str:
    response = client.get(organisation.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_member_of_another_organisation_proposes_a_contact(client, recipient):
    sender = MembershipFactory(organisation=OrganisationFactory(branch=recipient.branch, name="Silver Geek"))
    client.force_login(sender.user)

    html = page(client, recipient)

    assert "Proposer une mise en relation" in html
    assert reverse("partnerships:propose") in html
    assert f'name="sender" value="{sender.organisation.pk}"' in html
    assert f'name="recipient" value="{recipient.pk}"' in html
    assert "Se connecter pour contacter" not in html

    response = client.post(
        reverse("partnerships:propose"),
        {
            "sender": sender.organisation.pk,
            "recipient": recipient.pk,
            "message": "Bonjour",
            "next": recipient.get_absolute_url(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == recipient.get_absolute_url()
    contact = ContactRequest.objects.get()
    assert (contact.sender, contact.recipient, contact.message) == (sender.organisation, recipient, "Bonjour")


def test_member_of_several_organisations_chooses_on_whose_behalf(client, recipient):
    user = UserFactory()
    first = MembershipFactory(user=user, organisation=OrganisationFactory(name="Aidants 86"))
    second = MembershipFactory(user=user, organisation=OrganisationFactory(name="Bel Âge"))
    client.force_login(user)

    html = page(client, recipient)

    assert '<select id="contact-sender" name="sender">' in html
    assert f'<option value="{first.organisation.pk}">Aidants 86</option>' in html
    assert f'<option value="{second.organisation.pk}">Bel Âge</option>' in html


def test_own_members_do_not_see_the_contact_action(client, recipient):
    user = UserFactory()
    MembershipFactory(user=user, organisation=recipient)
    MembershipFactory(user=user, organisation=OrganisationFactory())
    client.force_login(user)

    html = page(client, recipient)

    assert "Proposer une mise en relation" not in html
    assert "Se connecter pour contacter" not in html


def test_anonymous_visitors_are_invited_to_sign_in(client, recipient):
    html = page(client, recipient)

    assert "Proposer une mise en relation" not in html
    assert "Se connecter pour contacter" in html
    assert f"{reverse('accounts:login')}?next={recipient.get_absolute_url()}" in html


def test_signed_in_user_without_organisation_sees_no_contact_form(client, recipient):
    client.force_login(UserFactory())

    html = page(client, recipient)

    assert "Proposer une mise en relation" not in html
    assert "Se connecter pour contacter" not in html
