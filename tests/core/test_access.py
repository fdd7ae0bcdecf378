"""The access layer on its own: visibility and edit rights per role (the full matrix lives in test_permissions)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from terreau.core.access import actor_for, editable, get_for, visible
from terreau.directory.models import NeedOffer, Organisation
from tests.factories import (
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    NetworkRoleFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_anonymous_sees_public_rows_only():
    public = OrganisationFactory()
    OrganisationFactory(private=True)
    assert list(visible(None, Organisation.objects.all())) == [public]


def test_member_edits_own_organisation_only():
    membership = MembershipFactory()
    other = OrganisationFactory()
    user = membership.user
    assert get_for(user, Organisation.objects.all(), action="change", pk=membership.organisation.pk)
    with pytest.raises(PermissionDenied):
        get_for(user, Organisation.objects.all(), action="change", pk=other.pk)


def test_private_rows_of_another_branch_are_not_found():
    facilitator = BranchRoleFactory().user
    hidden = OrganisationFactory(private=True)
    with pytest.raises(Http404):
        get_for(facilitator, Organisation.objects.all(), pk=hidden.pk)


def test_facilitator_sees_and_manages_private_rows_of_their_branch():
    role = BranchRoleFactory()
    need = NeedOfferFactory(private=True, organisation__branch=role.branch)
    assert list(editable(role.user, NeedOffer.objects.all(), action="manage")) == [need]


def test_network_admin_covers_every_branch_of_the_network():
    role = NetworkRoleFactory()
    org = OrganisationFactory(private=True, branch__network=role.network)
    actor = actor_for(role.user)
    assert org.branch_id in actor.branch_ids
    assert list(visible(role.user, Organisation.objects.filter(pk=org.pk))) == [org]


def test_actor_is_computed_once_per_user_object(django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(4):  # network roles, branch roles, memberships, program roles
        actor_for(user)
        actor_for(user)


def test_program_teams_volunteers_see_their_site_but_only_site_staff_change_it():
    from terreau.programs.models import HostSite
    from tests.programs.test_programs_support import make_program, people

    program, site_a, site_b, _kit_model = make_program()
    users = people(program, site_a)
    sites = HostSite.objects.all()
    assert list(visible(users["volunteer_a"], sites)) == [site_a]
    assert list(editable(users["volunteer_a"], sites)) == []
    assert list(editable(users["staff_a"], sites)) == [site_a]
    assert set(editable(users["coordinator"], sites)) == {site_a, site_b}
    assert set(visible(users["viewer"], sites)) == {site_a, site_b}
    assert list(editable(users["viewer"], sites)) == []
    assert list(visible(users["other"], sites)) == []


def test_sees_beyond_public_is_false_only_where_visible_gives_public_rows():
    """AccessRule.sees_beyond_public lets callers keep a public-only path: it must never say False to an actor
    to whom visible() gives a private row."""
    facilitator = BranchRoleFactory().user
    membership = MembershipFactory()
    private_need = NeedOfferFactory(visibility="branch", organisation=membership.organisation)
    NeedOfferFactory()
    rule = NeedOffer.ACCESS
    actors = {
        "anonymous": None,
        "no role": UserFactory(),
        "facilitator": facilitator,
        "member": membership.user,
    }
    said = {}
    for name, user in actors.items():
        actor = actor_for(user)
        said[name] = rule.sees_beyond_public(actor)
        if not said[name]:
            assert private_need not in visible(actor, NeedOffer.objects.all())
    assert said == {"anonymous": False, "no role": False, "facilitator": True, "member": True}
    assert private_need in visible(membership.user, NeedOffer.objects.all())
