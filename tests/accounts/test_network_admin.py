"""The team page (terreau.accounts.team_views, services in terreau.accounts.staff): the head office creates
branches and invites facilitators; facilitators manage their own branch; every act is logged and shown;
nobody acts outside their scope, on themselves or on the head office."""

from __future__ import annotations

import html

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from terreau.accounts.models import AccountChange, BranchRole, User
from terreau.core.models import Branch
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    NetworkFactory,
    NetworkRoleFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

TEAM = reverse("accounts:team")


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def network():
    return NetworkFactory(name="Réseau des labos")


@pytest.fixture
def branch_a(network):
    return BranchFactory(network=network, name="Labo Vienne")


@pytest.fixture
def branch_b(network):
    return BranchFactory(network=network, name="Labo Gironde")


@pytest.fixture
def head_office(network):
    return NetworkRoleFactory(network=network).user


@pytest.fixture
def facilitator_a(branch_a):
    return BranchRoleFactory(branch=branch_a).user


@pytest.fixture
def facilitator_b(branch_b):
    return BranchRoleFactory(branch=branch_b).user


def member_of(branch):
    return MembershipFactory(organisation=OrganisationFactory(branch=branch)).user


def test_head_office_creates_a_branch_and_invites_its_facilitator(
    client, network, branch_a, head_office, django_capture_on_commit_callbacks
):
    client.force_login(head_office)
    page = client.get(TEAM)
    assert page.status_code == 200
    assert "Créer une antenne" in text(page)

    response = client.post(
        reverse("accounts:branch_create"),
        {"network": network.pk, "name": "Labo Charente", "contact_email": "labo@example.org"},
        follow=True,
    )
    assert "Antenne « Labo Charente » créée." in text(response)
    branch = Branch.objects.get(name="Labo Charente")
    assert branch.network == network and branch.slug == "labo-charente"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invite"),
            {
                "email": "Nouvelle.Animatrice@example.org",
                "first_name": "Léa",
                "last_name": "Roux",
                "branch": branch.pk,
            },
            follow=True,
        )
    assert "anime désormais l'antenne « Labo Charente »" in text(response)
    invited = User.objects.get(email="nouvelle.animatrice@example.org")
    assert not invited.has_usable_password()
    assert BranchRole.objects.filter(user=invited, branch=branch).exists()
    assert len(mail.outbox) == 1
    assert "/comptes/mot-de-passe/nouveau/" in mail.outbox[0].body
    assert "Labo Charente" in mail.outbox[0].subject

    acts = list(AccountChange.objects.filter(branch=branch).values_list("act", "by", "email"))
    assert (AccountChange.Act.BRANCH_CREATED, head_office.pk, "") in acts
    assert (AccountChange.Act.INVITED, head_office.pk, invited.email) in acts
    assert (AccountChange.Act.ROLE_GRANTED, head_office.pk, invited.email) in acts
    journal = text(client.get(TEAM))
    assert "Invitation envoyée" in journal and "Antenne créée" in journal and invited.email in journal


def test_head_office_moves_a_facilitator_and_deactivates_an_account(
    client, branch_a, branch_b, head_office, facilitator_a
):
    client.force_login(head_office)
    client.post(reverse("accounts:role_grant", args=[facilitator_a.pk]), {"branch": branch_b.pk})
    role_a = BranchRole.objects.get(user=facilitator_a, branch=branch_a)
    client.post(reverse("accounts:role_revoke", args=[role_a.pk]))
    assert list(BranchRole.objects.filter(user=facilitator_a).values_list("branch", flat=True)) == [
        branch_b.pk
    ]

    response = client.post(reverse("accounts:deactivate", args=[facilitator_a.pk]), follow=True)
    assert "est désactivé" in text(response)
    facilitator_a.refresh_from_db()
    assert not facilitator_a.is_active
    client.post(reverse("accounts:reactivate", args=[facilitator_a.pk]))
    facilitator_a.refresh_from_db()
    assert facilitator_a.is_active
    acts = set(AccountChange.objects.filter(person=facilitator_a).values_list("act", flat=True))
    assert acts == {"role_granted", "role_revoked", "deactivated", "reactivated"}


def test_a_deactivated_account_can_no_longer_sign_in(client, branch_a, facilitator_a):
    person = member_of(branch_a)
    their_session = Client()
    their_session.force_login(person)
    assert their_session.get(reverse("accounts:profile")).status_code == 200
    client.force_login(facilitator_a)
    client.post(reverse("accounts:deactivate", args=[person.pk]))
    person.refresh_from_db()
    assert not person.is_active
    assert their_session.get(reverse("accounts:profile")).status_code == 302  # their session has ended
    login = Client().post(
        reverse("accounts:login"), {"username": person.email, "password": "motdepasse-solide-42"}
    )
    assert login.status_code == 200 and "_auth_user_id" not in login.wsgi_request.session
    assert AccountChange.objects.get(person=person).branch == branch_a


def test_facilitator_invites_into_their_own_branch_only(client, branch_a, branch_b, facilitator_a):
    client.force_login(facilitator_a)
    page = text(client.get(TEAM))
    assert "Créer une antenne" not in page
    assert "Labo Gironde" not in page

    client.post(reverse("accounts:invite"), {"email": "collegue@example.org", "branch": branch_a.pk})
    assert BranchRole.objects.filter(user__email="collegue@example.org", branch=branch_a).exists()

    response = client.post(
        reverse("accounts:invite"), {"email": "ailleurs@example.org", "branch": branch_b.pk}, follow=True
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="ailleurs@example.org").exists()
    assert "Sélectionnez un choix valide" in text(response)


def test_facilitator_cannot_create_a_branch(client, network, facilitator_a):
    client.force_login(facilitator_a)
    response = client.post(reverse("accounts:branch_create"), {"network": network.pk, "name": "Labo pirate"})
    assert response.status_code == 302
    assert not Branch.objects.filter(name="Labo pirate").exists()
    assert not AccountChange.objects.exists()


def test_facilitator_cannot_deactivate_another_branchs_user(client, branch_b, facilitator_a, facilitator_b):
    client.force_login(facilitator_a)
    outsider = member_of(branch_b)
    for person in (outsider, facilitator_b):
        assert client.post(reverse("accounts:deactivate", args=[person.pk])).status_code == 404
        person.refresh_from_db()
        assert person.is_active
    role_b = BranchRole.objects.get(user=facilitator_b)
    assert client.post(reverse("accounts:role_revoke", args=[role_b.pk])).status_code == 404
    assert not AccountChange.objects.exists()


def test_facilitator_cannot_promote_nor_deactivate_themselves(client, branch_a, branch_b, facilitator_a):
    client.force_login(facilitator_a)
    assert (
        client.post(
            reverse("accounts:role_grant", args=[facilitator_a.pk]), {"branch": branch_b.pk}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("accounts:role_grant", args=[facilitator_a.pk]), {"branch": branch_a.pk}
        ).status_code
        == 404
    )
    assert client.post(reverse("accounts:deactivate", args=[facilitator_a.pk])).status_code == 404
    own_role = BranchRole.objects.get(user=facilitator_a)
    response = client.post(reverse("accounts:role_revoke", args=[own_role.pk]))
    assert response.status_code == 404
    assert list(BranchRole.objects.filter(user=facilitator_a)) == [own_role]
    facilitator_a.refresh_from_db()
    assert facilitator_a.is_active


def test_nobody_acts_on_the_head_office(client, branch_a, head_office, facilitator_a, network):
    other_admin = NetworkRoleFactory(network=network).user
    client.force_login(facilitator_a)
    assert client.post(reverse("accounts:deactivate", args=[head_office.pk])).status_code == 404
    client.force_login(head_office)
    assert client.post(reverse("accounts:deactivate", args=[other_admin.pk])).status_code == 404
    for admin in (head_office, other_admin):
        admin.refresh_from_db()
        assert admin.is_active


def test_facilitator_cannot_promote_an_account_of_another_branch_through_invite(
    client, branch_a, facilitator_a, facilitator_b
):
    """Inviting by the e-mail of a person already facilitating elsewhere: allowed (they gain this branch)."""
    client.force_login(facilitator_a)
    client.post(reverse("accounts:invite"), {"email": facilitator_b.email, "branch": branch_a.pk})
    assert BranchRole.objects.filter(user=facilitator_b, branch=branch_a).exists()
    assert not AccountChange.objects.filter(act=AccountChange.Act.INVITED).exists()


def test_journal_shows_only_the_acts_of_ones_branches(
    client, branch_a, branch_b, facilitator_a, facilitator_b
):
    client.force_login(facilitator_b)
    client.post(
        reverse("accounts:invite"), {"email": "gironde@example.org", "branch": branch_b.pk}, follow=True
    )
    assert "gironde@example.org" in text(client.get(TEAM))
    client.force_login(facilitator_a)
    page = text(client.get(TEAM))
    assert "gironde@example.org" not in page
    assert "Aucun acte enregistré." in page


def test_the_team_page_does_not_exist_for_others(client, branch_a):
    assert client.get(TEAM).status_code == 302  # to the login page
    client.force_login(member_of(branch_a))
    assert client.get(TEAM).status_code == 404
    assert (
        client.post(reverse("accounts:invite"), {"email": "x@example.org", "branch": branch_a.pk}).status_code
        == 404
    )
    assert client.get(reverse("accounts:invite")).status_code == 405


def test_search_finds_members_of_the_branch_not_of_others(client, branch_a, branch_b, facilitator_a):
    mine = member_of(branch_a)
    theirs = member_of(branch_b)
    client.force_login(facilitator_a)
    page = text(client.get(TEAM, {"q": "example.org"}))
    assert mine.email in page and theirs.email not in page


def test_another_branchs_program_is_no_empty_shell_with_management_links(client, branch_a, facilitator_b):
    """A facilitator of another branch does not see a private program, and sees a public one read-only: its
    general information, without the partners, sites and team hidden from them nor the links to manage them."""
    from tests.programs.test_programs_support import make_program

    private, *_ = make_program(branch=branch_a, slug="prive")
    public, *_ = make_program(branch=branch_a, slug="public", is_public=True)
    client.force_login(facilitator_b)
    listing = text(client.get(reverse("programs:list")))
    assert "Programme prive" not in listing and "Programme public" in listing
    assert client.get(reverse("programs:detail", args=[private.slug])).status_code == 404

    page = text(client.get(reverse("programs:detail", args=[public.slug])))
    assert "seules ses informations générales sont affichées" in page
    for hidden in ("Gérer les partenaires", "Voir l'équipe", "Aucun site.", "Personne pour le moment."):
        assert hidden not in page
    assert reverse("programs:partners", args=[public.slug]) not in page

    client.force_login(BranchRoleFactory(branch=branch_a).user)
    own = text(client.get(reverse("programs:detail", args=[public.slug])))
    assert "Gérer les partenaires" in own and "EHPAD Les Tilleuls" in own
    assert "seules ses informations générales" not in own


def test_facilitator_cannot_deactivate_a_person_who_also_works_for_another_branch(
    client, branch_a, branch_b, facilitator_a
):
    person = member_of(branch_a)
    MembershipFactory(user=person, organisation=OrganisationFactory(branch=branch_b))
    client.force_login(facilitator_a)
    assert client.post(reverse("accounts:deactivate", args=[person.pk])).status_code == 404
    person.refresh_from_db()
    assert person.is_active
