"""Login throttling, written as the attacks were made: the lock must follow the person, not the string typed,
and one address must not try password after password across many accounts."""

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "motdepasse-solide-42"
ATTACKER = "203.0.113.7"


def login(client, username, password, address=ATTACKER, path=None):
    return client.post(
        path or reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_changing_case_or_spaces_gives_no_new_tries_and_the_lock_holds_in_any_case(client):
    UserFactory(email="alice@example.org")
    variants = [
        " Alice@Example.org ",
        "ALICE@EXAMPLE.ORG",
        "alice@example.org ",
        "Alice@example.ORG",
        " aLiCe@ExAmPlE.oRg",
    ]
    for variant in variants:
        login(client, variant, "mauvais")
    response = login(client, "ALICE@Example.Org", PASSWORD)
    assert response.status_code == 429
    assert "temporairement bloquée" in response.content.decode()
    assert not signed_in(client)


def test_unicode_compatibility_forms_are_the_same_person(client):
    """Full-width letters sign in to the same account (the login reads NFKC), so they count for it too."""
    UserFactory(email="alice@example.org")
    for variant in [
        "ＡＬＩＣＥ@example.org",
        "Ａlice@example.org",
        "alice＠example.org",
        "ａｌｉｃｅ@example.org",
    ]:
        login(client, variant, "mauvais")
    login(client, "alice@example.org", "mauvais")
    response = login(client, "ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｏｒｇ", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_also_closes_the_admin_login_for_that_person(client):
    UserFactory(email="alice@example.org", is_staff=True)
    for variant in [
        " Alice@Example.org ",
        "ALICE@example.org",
        "alice@EXAMPLE.org",
        "Alice@Example.ORG",
        "alice@example.org",
    ]:
        login(client, variant, "mauvais")
    response = login(client, " alice@example.ORG ", PASSWORD, path=reverse("admin:login"))
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_is_for_one_address_and_the_person_still_signs_in_from_elsewhere(client):
    UserFactory(email="alice@example.org")
    for variant in [
        " Alice@Example.org ",
        "ALICE@example.org",
        "alice@EXAMPLE.org",
        "Alice@Example.ORG",
        "alice@example.org",
    ]:
        login(client, variant, "mauvais")
    response = login(client, "Alice@Example.org", PASSWORD, address="198.51.100.20")
    assert response.status_code == 302
    assert signed_in(client)


def test_many_usernames_from_one_address_are_blocked(client):
    UserFactory(email="alice@example.org")
    limit = django_settings.TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit > django_settings.AXES_FAILURE_LIMIT
    for number in range(limit):
        response = login(client, f"personne{number}@example.org", "mauvais")
    assert response.status_code == 429
    # The address is blocked for every account, even with the right password...
    response = login(client, "alice@example.org", PASSWORD)
    assert response.status_code == 429
    assert "temporairement bloquée" in response.content.decode()
    assert not signed_in(client)
    # ...while another address is not.
    response = login(client, "alice@example.org", PASSWORD, address="198.51.100.20")
    assert response.status_code == 302


def test_a_few_failures_over_several_accounts_do_not_block_an_address(client):
    """A shared address (a town hall, a third place) keeps working below the per-address limit."""
    UserFactory(email="alice@example.org")
    for number in range(django_settings.AXES_FAILURE_LIMIT + 2):
        login(client, f"personne{number}@example.org", "mauvais")
    assert login(client, "alice@example.org", PASSWORD).status_code == 302


def test_password_reset_normalises_the_address_like_the_login(client, django_capture_on_commit_callbacks):
    UserFactory(email="alice@example.org")
    # The e-mail leaves after the commit, through the notification layer's job (inline in tests).
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": " Alice@Example.ORG "})
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]


def test_password_reset_mails_to_one_person_are_limited(client, django_capture_on_commit_callbacks):
    UserFactory(email="alice@example.org")
    limit = django_settings.TERREAU_PASSWORD_RESET_LIMIT
    for number in range(limit + 3):
        variant = "Alice@Example.org" if number % 2 else " alice@EXAMPLE.org "
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("accounts:password_reset"), {"email": variant}, REMOTE_ADDR=f"198.51.100.{number}"
            )
        # The page never tells whether the address exists or was limited.
        assert response.status_code == 302
    assert len(mail.outbox) == limit


def test_password_reset_requests_from_one_address_are_limited(client):
    limit = django_settings.TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT
    for number in range(limit):
        client.post(
            reverse("accounts:password_reset"),
            {"email": f"personne{number}@example.org"},
            REMOTE_ADDR=ATTACKER,
        )
    UserFactory(email="alice@example.org")
    response = client.post(
        reverse("accounts:password_reset"), {"email": "alice@example.org"}, REMOTE_ADDR=ATTACKER
    )
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert mail.outbox == []


def test_the_api_accepts_no_password_so_the_lock_cannot_be_bypassed(client):
    """The token page (/api/jeton/) is reached through the login page only; no Basic authentication."""
    import base64

    UserFactory(email="alice@example.org")
    basic = base64.b64encode(f"alice@example.org:{PASSWORD}".encode()).decode()
    response = client.get(reverse("api-token"), HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    response = client.get(reverse("api-organisation-list"), HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.wsgi_request.user.is_anonymous
