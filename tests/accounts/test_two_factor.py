"""Two-factor authentication: staff must pass it on every page (the admin and exports included), others may
enable it, codes are throttled, backup codes work once, and every change is audited."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from terreau.accounts import two_factor
from terreau.core.models import AuditEvent
from tests.accounts.two_factor_support import PASSWORD, totp_code, totp_device, unverify
from tests.factories import BranchRoleFactory, NetworkRoleFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

VERIFY = reverse("accounts:two_factor_verify")
SETUP = reverse("accounts:two_factor_setup")


def staff_user(**kwargs):
    return BranchRoleFactory(user__is_staff=True, **kwargs).user


def sign_in(client, user, next_url=None):
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data)


def path_and_next(response) -> tuple[str, str]:
    url = urlparse(response["Location"])
    return url.path, parse_qs(url.query).get("next", [""])[0]


@pytest.fixture
def pages():
    """A sample of pages a signed-in staff member opens: directory, profile, team, admin, an export."""
    return [
        reverse("directory:search"),
        reverse("accounts:profile"),
        reverse("accounts:team"),
        reverse("admin:index"),
        reverse("admin:directory_organisation_changelist"),
        reverse("directory:export", args=["csv"]),
    ]


# Who is forced ------------------------------------------------------------------------------------------------


def test_the_one_definition_of_staff_is_the_access_layers():
    superuser = get_user_model().objects.create_superuser(email="root@example.org", password=PASSWORD)
    head_office = NetworkRoleFactory(user__is_staff=True).user
    facilitator = staff_user()
    member = UserFactory(is_staff=True)  # the flag alone opens nothing in the admin
    OrganisationFactory().memberships.create(user=member)
    plain = UserFactory()
    assert all(two_factor.requires_two_factor(u) for u in (superuser, head_office, facilitator))
    assert not any(two_factor.requires_two_factor(u) for u in (member, plain))


@pytest.mark.parametrize("role", ["facilitator", "network_admin", "superuser"])
def test_unverified_staff_without_device_are_sent_to_enrolment_everywhere(client, pages, role):
    if role == "facilitator":
        user = staff_user()
    elif role == "network_admin":
        user = NetworkRoleFactory(user__is_staff=True).user
    else:
        user = get_user_model().objects.create_superuser(email="root@example.org", password=PASSWORD)
    client.force_login(user)
    unverify(client)
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302, page
        assert path_and_next(response) == (SETUP, page), page


def test_unverified_staff_with_a_device_are_sent_to_the_code_page_everywhere(client, pages):
    user = staff_user()
    totp_device(user)
    client.force_login(user)
    unverify(client)
    for page in pages:
        response = client.get(page)
        assert path_and_next(response) == (VERIFY, page), page
    # A posted form is held back too, and changes nothing.
    response = client.post(reverse("accounts:branch_create"), {"name": "Nouvelle"})
    assert path_and_next(response)[0] == VERIFY


def test_verified_staff_pass(client, pages):
    user = staff_user()
    client.force_login(user)  # verified, as after a sign-in with a code (tests/conftest.py)
    for page in pages:
        assert client.get(page).status_code in (200, 403), page
    assert client.get(reverse("accounts:team")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_open_pages_stay_open_to_unverified_staff(client):
    user = staff_user()
    client.force_login(user)
    unverify(client)
    for name in ("accounts:two_factor_setup", "core:healthz", "accounts:password_reset"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_non_staff_are_not_forced_but_may_enable_it(client):
    member = UserFactory()
    OrganisationFactory().memberships.create(user=member)
    client.force_login(member)
    unverify(client)
    assert client.get(reverse("accounts:profile")).status_code == 200
    page = client.get(reverse("accounts:two_factor"))
    assert "Activer la double authentification" in page.content.decode()
    # Once enabled, their sign-ins ask for a code too.
    totp_device(member)
    assert path_and_next(client.get(reverse("accounts:profile")))[0] == VERIFY


def test_the_setting_turns_enforcement_off_for_staff_without_device(client, settings):
    settings.TERREAU_STAFF_2FA_REQUIRED = False
    user = staff_user()
    client.force_login(user)
    unverify(client)
    assert client.get(reverse("accounts:team")).status_code == 200
    totp_device(user)  # a person who enabled it still gives their code
    assert path_and_next(client.get(reverse("accounts:team")))[0] == VERIFY


def test_api_tokens_are_separate_credentials_and_an_unverified_session_is_anonymous_there(client):
    from rest_framework.authtoken.models import Token

    user = staff_user()
    totp_device(user)
    token = Token.objects.create(user=user)
    url = reverse("api-token")
    client.force_login(user)
    unverify(client)
    # The session has not passed the second factor: the API serves it as anonymous (no redirect).
    response = client.get("/api/organisations/")
    assert response.status_code == 200
    anonymous = client.get("/api/organisations/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert anonymous.status_code == 200
    # The token page itself (a page, not the API) asks for the code first.
    assert path_and_next(client.get(url))[0] == VERIFY


# Sign-in --------------------------------------------------------------------------------------------------------


def test_sign_in_with_a_code_keeps_next(client):
    user = staff_user()
    device = totp_device(user)
    response = sign_in(client, user, next_url="/comptes/equipe/")
    assert path_and_next(response) == (VERIFY, "/comptes/equipe/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Code de vérification" in page.content.decode()
    response = client.post(VERIFY, {"code": totp_code(device), "next": "/comptes/equipe/"})
    assert response.status_code == 302
    assert response["Location"] == "/comptes/equipe/"
    assert client.get("/comptes/equipe/").status_code == 200


def test_sign_in_without_next_lands_on_the_usual_page(client):
    user = staff_user()
    device = totp_device(user)
    response = sign_in(client, user)
    assert path_and_next(response) == (VERIFY, reverse("directory:search"))
    response = client.post(VERIFY, {"code": totp_code(device), "next": path_and_next(response)[1]})
    assert response["Location"] == reverse("directory:search")


def test_next_to_another_site_is_dropped(client):
    user = staff_user()
    device = totp_device(user)
    sign_in(client, user)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("directory:search")


def test_a_wrong_code_is_refused(client):
    user = staff_user()
    device = totp_device(user)
    sign_in(client, user)
    good = totp_code(device)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "Ce code n’est pas valide" in response.content.decode() or "Ce code n'est pas valide" in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert path_and_next(client.get(reverse("accounts:team")))[0] == VERIFY


def test_a_code_is_accepted_once_only(client):
    user = staff_user()
    device = totp_device(user)
    sign_in(client, user)
    code = totp_code(device)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    sign_in(client, user)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200  # the same code again: refused (replay)


def test_repeated_wrong_codes_are_throttled_with_a_clear_message(client):
    user = staff_user()
    device = totp_device(user)
    sign_in(client, user)
    client.post(VERIFY, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    response = client.post(VERIFY, {"code": totp_code(device)})  # even the right code waits
    assert response.status_code == 429
    assert "Trop de codes erronés" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Backup codes share the wait: no switching devices to get more tries.
    StaticToken.objects.create(
        device=StaticDevice.objects.create(user=user, name="Codes de secours"), token="abcdefgh"
    )
    assert client.post(VERIFY, {"code": "abcdefgh"}).status_code == 429
    # Once the wait is over, the right code passes.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302


def test_a_backup_code_works_once_only(client):
    user = staff_user()
    totp_device(user)
    codes = two_factor.backup_codes_regenerate(user=user)
    sign_in(client, user)
    assert client.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    assert client.get(reverse("accounts:team")).status_code == 200
    client.post(reverse("accounts:logout"))
    sign_in(client, user)
    StaticDevice.objects.filter(user=user).update(throttling_failure_count=0)
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_the_login_still_locks_after_wrong_passwords(client):
    user = staff_user()
    for _i in range(5):
        client.post(reverse("accounts:login"), {"username": user.email, "password": "mauvais"})
    response = sign_in(client, user)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# Enrolment and management -------------------------------------------------------------------------------------


def test_enrolment_end_to_end(client):
    user = staff_user()
    response = sign_in(client, user, next_url="/comptes/equipe/")
    assert path_and_next(response) == (SETUP, "/comptes/equipe/")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', html).group(1)
    assert secret.replace(" ", "") == two_factor.secret_text(device).replace(" ", "")
    # A wrong first code confirms nothing.
    assert client.post(SETUP, {"code": "12345"}).status_code == 200
    assert not two_factor.has_two_factor(user)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(SETUP, {"code": totp_code(device), "next": "/comptes/equipe/"})
    assert path_and_next(response) == (reverse("accounts:two_factor_codes"), "/comptes/equipe/")
    assert two_factor.has_two_factor(user)
    codes_page = client.get(response["Location"]).content.decode()
    codes = [c.token for c in StaticToken.objects.filter(device__user=user)]
    assert len(codes) == 10 and all(c in codes_page for c in codes)
    download = client.get(reverse("accounts:two_factor_codes_download"))
    assert download["Content-Disposition"].startswith("attachment")
    assert all(c in download.content.decode() for c in codes)
    # Saved: they are never shown again, and the person goes on to the page asked for.
    done = client.post(reverse("accounts:two_factor_codes"), {"next": "/comptes/equipe/"})
    assert done["Location"] == "/comptes/equipe/"
    assert client.get(reverse("accounts:two_factor_codes")).status_code == 302
    assert client.get("/comptes/equipe/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_ENABLED, actor=user).count() == 1


def test_an_unverified_session_cannot_enrol_a_second_app(client):
    user = staff_user()
    totp_device(user)
    sign_in(client, user)
    response = client.get(SETUP)
    assert path_and_next(response)[0] == VERIFY
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()


def test_regenerating_backup_codes_asks_a_code_and_is_audited(client):
    user = staff_user()
    device = totp_device(user)
    old = two_factor.backup_codes_regenerate(user=user)
    client.force_login(user)
    change = reverse("accounts:two_factor_change")
    client.post(change, {"act": "codes", "code": "999999" if totp_code(device) != "999999" else "111111"})
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == set(old)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(change, {"act": "codes", "code": totp_code(device)})
    assert response["Location"] == reverse("accounts:two_factor_codes")
    new = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(new) == 10 and not new & set(old)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.BACKUP_CODES_REGENERATED).count() == 2


def test_replacing_the_device(client):
    user = staff_user()
    device = totp_device(user)
    client.force_login(user)
    response = client.post(
        reverse("accounts:two_factor_change"), {"act": "replace", "code": totp_code(device)}
    )
    assert response["Location"] == SETUP
    assert not two_factor.has_two_factor(user)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_REMOVED, actor=user).exists()
    # Staff are held on enrolment until the new app is confirmed.
    assert path_and_next(client.get(reverse("accounts:team")))[0] == SETUP


def test_staff_cannot_remove_it_but_others_can(client):
    user = staff_user()
    device = totp_device(user)
    client.force_login(user)
    client.post(reverse("accounts:two_factor_change"), {"act": "remove", "code": totp_code(device)})
    assert two_factor.has_two_factor(user)
    member = UserFactory()
    device = totp_device(member)
    client.force_login(member)
    client.post(reverse("accounts:two_factor_change"), {"act": "remove", "code": totp_code(device)})
    assert not two_factor.has_two_factor(member)


def test_a_superuser_resets_someones_second_factor_from_the_team_page(client):
    root = get_user_model().objects.create_superuser(email="root@example.org", password=PASSWORD)
    user = staff_user()
    totp_device(user)
    two_factor.backup_codes_regenerate(user=user)
    client.force_login(root)
    team = client.get(reverse("accounts:team")).content.decode()
    assert "double authentification active" in team
    response = client.post(reverse("accounts:two_factor_reset", args=[user.pk]))
    assert response.status_code == 302
    assert not two_factor.has_two_factor(user)
    assert not StaticToken.objects.filter(device__user=user).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.TWO_FACTOR_RESET)
    assert event.actor == root and event.target == user.email


def test_only_superusers_reset(client):
    head_office = NetworkRoleFactory(user__is_staff=True).user
    user = staff_user()
    totp_device(user)
    client.force_login(head_office)
    assert client.post(reverse("accounts:two_factor_reset", args=[user.pk])).status_code == 404
    assert two_factor.has_two_factor(user)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_RESET).exists()


def test_a_superuser_resets_from_the_admin(client):
    root = get_user_model().objects.create_superuser(email="root@example.org", password=PASSWORD)
    user = staff_user()
    totp_device(user)
    client.force_login(root)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "two_factor_reset", "_selected_action": [user.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not two_factor.has_two_factor(user)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_RESET, actor=root).count() == 1
