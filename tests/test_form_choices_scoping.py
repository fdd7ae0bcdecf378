"""Regression (issue 9 family, "every choice list through the access layer"): the pages' forms offered more
than the access layer allows. The mission form of a program listed every active account of the platform as
the volunteer's account, and every visible organisation (other branches' public ones) as the host.

Written as the attack would be made: as branch B's facilitator, on his own program's mission form, GET the
form (no other branch's account or organisation offered) and POST another branch's ids (refused, nothing
created). A valid post with his own branch's choices is the control that the refusals come from the ids."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from terreau.accounts.models import BranchRole
from terreau.activities.models import Mission
from terreau.core.access import accounts_for
from terreau.programs.models import ProgramRole
from tests.factories import BranchFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.programs.test_programs_support import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    program_a, site_a, _site_a2, _kit = make_program(slug="programme-a")
    branch_a = program_a.branch
    staff_a = UserFactory(email="equipe.a@example.org")
    ProgramRole.objects.create(program=program_a, user=staff_a, role="site_staff", site=site_a)
    member_a = UserFactory(email="membre.a@example.org")
    secret_org = OrganisationFactory(branch=branch_a, private=True, name="Structure privée de A")
    public_org_a = OrganisationFactory(branch=branch_a, name="Association publique de A")
    MembershipFactory(user=member_a, organisation=public_org_a)
    stranger = UserFactory(email="inconnu@example.org")  # in no branch at all

    branch_b = BranchFactory(network=branch_a.network)
    program_b, site_b, _site_b2, _kit_b = make_program(branch=branch_b, slug="programme-b")
    facilitator_b = UserFactory(email="animateur.b@example.org")
    BranchRole.objects.create(user=facilitator_b, branch=branch_b)
    host_b = OrganisationFactory(branch=branch_b, name="Mission locale de B")
    volunteer_b = UserFactory(email="volontaire.b@example.org")
    MembershipFactory(user=volunteer_b, organisation=host_b)
    return {
        "foreign_users": [staff_a, member_a, stranger],
        "foreign_orgs": [secret_org, public_org_a],
        "program_b": program_b,
        "site_b": site_b,
        "facilitator_b": facilitator_b,
        "host_b": host_b,
        "volunteer_b": volunteer_b,
    }


def _mission_data(world, **overrides) -> dict:
    data = {
        "first_name": "Léa",
        "last_name": "Martin",
        "birth_date": "2004-05-01",
        "user": world["volunteer_b"].pk,
        "host_organisation": world["host_b"].pk,
        "starts_on": "2026-03-01",
        "ends_on": "2026-10-31",
        "weekly_hours": "24",
        "availability": "",
        "sites": [world["site_b"].pk],
        "training": "",
    }
    data.update(overrides)
    return data


def _url(world) -> str:
    return reverse("activities:mission_add", args=[world["program_b"].slug])


def test_mission_form_offers_only_the_facilitators_accounts_and_organisations(client, world):
    client.force_login(world["facilitator_b"])
    response = client.get(_url(world))
    assert response.status_code == 200
    form = response.context["form"]
    users = form.fields["user"].queryset
    organisations = form.fields["host_organisation"].queryset
    assert world["volunteer_b"] in users
    assert world["host_b"] in organisations
    page = response.content.decode()
    for user in world["foreign_users"]:
        assert user not in users
        assert user.email not in page
    for organisation in world["foreign_orgs"]:
        assert organisation not in organisations
        assert organisation.name not in page


@pytest.mark.parametrize("field", ["user", "host_organisation"])
def test_mission_form_refuses_another_branchs_ids_and_creates_nothing(client, world, field):
    client.force_login(world["facilitator_b"])
    foreign = world["foreign_users"] if field == "user" else world["foreign_orgs"]
    for row in foreign:
        response = client.post(_url(world), _mission_data(world, **{field: row.pk}))
        assert response.status_code == 200
        assert field in response.context["form"].errors
    assert not Mission.objects.exists()
    # The control: the same post with his own branch's choices is saved.
    response = client.post(_url(world), _mission_data(world))
    assert response.status_code == 302
    mission = Mission.objects.get()
    assert (mission.user, mission.host_organisation) == (world["volunteer_b"], world["host_b"])
    assert mission.starts_on == date(2026, 3, 1)


def test_editing_a_mission_keeps_its_current_volunteer_offered(client, world):
    """The mission's current account stays in the list, even when it is no longer in the actor's scope."""
    client.force_login(world["facilitator_b"])
    outsider = world["foreign_users"][2]
    mission = Mission.objects.create(
        program=world["program_b"],
        user=outsider,
        first_name="Léa",
        last_name="Martin",
        birth_date=date(2004, 5, 1),
        host_organisation=world["host_b"],
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 10, 31),
        weekly_hours=24,
    )
    url = reverse("activities:mission_edit", args=[world["program_b"].slug, mission.pk])
    response = client.get(url)
    assert outsider in response.context["form"].fields["user"].queryset
    assert world["foreign_users"][0] not in response.context["form"].fields["user"].queryset


def test_program_coordinator_picks_among_the_program_team(world):
    """A coordinator who is not branch staff picks the teams of the programs they coordinate (and
    themselves), never the accounts of the rest of the platform."""
    coordinator = UserFactory()
    ProgramRole.objects.create(program=world["program_b"], user=coordinator, role="coordinator")
    teammate = UserFactory()
    ProgramRole.objects.create(
        program=world["program_b"], user=teammate, role="volunteer", site=world["site_b"]
    )
    accounts = accounts_for(coordinator)
    assert set(accounts) == {coordinator, teammate}
