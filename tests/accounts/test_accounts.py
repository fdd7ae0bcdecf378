import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import BranchFactory, BranchRoleFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "motdepasse-solide-42"


def test_login_with_email_is_case_insensitive(client):
    user = UserFactory(email="camille@example.org")
    response = client.post(
        reverse("accounts:login"), {"username": "Camille@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).context["user"] == user


def test_wrong_password_shows_a_french_message(client):
    UserFactory(email="camille@example.org")
    response = client.post(reverse("accounts:login"), {"username": "camille@example.org", "password": "non"})
    assert response.status_code == 200
    assert "Saisissez" in response.content.decode()


def test_login_is_rate_limited(client):
    UserFactory(email="camille@example.org")
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "camille@example.org", "password": "faux"})
    response = client.post(
        reverse("accounts:login"), {"username": "camille@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "temporairement bloquée" in response.content.decode()


def test_password_reset_sends_an_email_with_a_working_link(client, django_capture_on_commit_callbacks):
    UserFactory(email="camille@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "camille@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "mot de passe" in mail.outbox[0].subject
    link = next(line for line in body.splitlines() if "/comptes/mot-de-passe/nouveau/" in line)
    path = link.split("testserver", 1)[1]
    follow = client.get(path, follow=True)
    assert follow.status_code == 200
    assert "Choisir un nouveau mot de passe" in follow.content.decode()


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "personne@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_facilitator_admin_is_scoped_to_their_branch(client):
    role = BranchRoleFactory()
    mine = OrganisationFactory(branch=role.branch, name="Centre socioculturel des Trois Cités")
    theirs = OrganisationFactory(branch=BranchFactory(), name="Association d'ailleurs")
    client.force_login(role.user)
    response = client.get(reverse("admin:directory_organisation_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert mine.name.replace("'", "&#x27;") in content
    assert "ailleurs" not in content
    assert client.get(reverse("admin:directory_organisation_change", args=[theirs.pk])).status_code in (
        302,
        403,
    )


def test_member_without_staff_role_cannot_enter_admin(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_forged_post_without_csrf_token_gets_a_french_page():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "x@example.org", "password": "y"})
    assert response.status_code == 403
    assert "formulaire n'a pas été enregistré" in response.content.decode().replace("&#x27;", "'")
