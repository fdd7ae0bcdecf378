"""Regression (issue 9, finding 3): a facilitator added herself as staff of a site and then read its
participants, although branch staff are kept from beneficiaries' data. Nobody grants themselves a role that
opens participants' data; every grant and revocation records who made it and when, shown on the team page."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from terreau.activities.models import Mission, Participant
from terreau.directory.models import Organisation
from terreau.programs.models import ProgramRole, ProgramRoleChange
from terreau.programs.team import team_add
from tests.factories import UserFactory
from tests.programs.test_programs_support import make_program, people

pytestmark = pytest.mark.django_db

SELF_GRANT = "Vous ne pouvez pas vous attribuer vous-même"


@pytest.fixture
def world():
    program, site_a, site_b, _kit_model = make_program()
    users = people(program, site_a)
    users["facilitator"].is_staff = True
    users["facilitator"].save()
    Participant.objects.create(site=site_b, first_name="Odette", age_band="80_89", consent_on="2026-01-05")
    return {"program": program, "a": site_a, "b": site_b, **users}


def test_the_roles_opening_participants_data_come_from_the_access_rules():
    assert ProgramRole.personal_data_roles() == {"site_staff", "volunteer", "evaluator"}


@pytest.mark.parametrize("who", ["facilitator", "coordinator"])
@pytest.mark.parametrize("role", ["site_staff", "volunteer"])
def test_nobody_adds_themselves_to_a_site_from_the_team_page(client, world, who, role):
    me = world[who]
    client.force_login(me)
    program = world["program"]
    response = client.post(
        reverse("programs:team", args=[program.slug]),
        {"email": me.email, "role": role, "site": world["b"].pk},
    )
    assert response.status_code == 200
    assert SELF_GRANT in response.content.decode()
    assert not ProgramRole.objects.filter(user=me, role=role).exists()
    page = client.get(reverse("activities:participants", args=[program.slug]))
    assert "Odette" not in page.content.decode()


def test_nobody_adds_themselves_to_a_site_from_the_admin(client, world):
    me, program = world["facilitator"], world["program"]
    client.force_login(me)
    response = client.post(
        reverse("admin:programs_programrole_add"),
        {"program": program.pk, "user": me.pk, "role": "site_staff", "site": world["b"].pk, "_save": "1"},
    )
    assert response.status_code == 200
    assert SELF_GRANT in response.content.decode()
    assert not ProgramRole.objects.filter(user=me).exists()


def test_nobody_gives_themselves_a_mission_with_sites(client, world):
    me, program = world["facilitator"], world["program"]
    mission = Mission(
        program=program,
        user=me,
        first_name="Camille",
        last_name="Animatrice",
        birth_date=date(2003, 5, 1),
        host_organisation=Organisation.objects.filter(branch=program.branch).first(),
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 10, 1),
        weekly_hours=24,
    )
    from django.core.exceptions import ValidationError

    from terreau.activities.missions import mission_save

    with pytest.raises(ValidationError, match=SELF_GRANT):
        mission_save(mission=mission, sites=[world["b"]], by=me)
    assert not ProgramRole.objects.filter(user=me).exists()


def test_a_grant_by_another_person_is_recorded_and_shown(client, world):
    coordinator, program = world["coordinator"], world["program"]
    helper = UserFactory(email="aide@example.org", first_name="Aline", last_name="Aide")
    role = team_add(
        program=program,
        email=helper.email,
        role="site_staff",
        site=world["b"],
        by=coordinator,
        site_url="http://testserver",
    )
    assert role.granted_by == coordinator and role.created_at is not None
    granted = ProgramRoleChange.objects.get(member=helper)
    assert (granted.to_state, granted.by, granted.site, granted.role) == (
        "granted",
        coordinator,
        world["b"],
        "site_staff",
    )
    # A facilitator may still make herself coordinator (no access to participants' data).
    team_add(
        program=program,
        email=world["facilitator"].email,
        role="coordinator",
        by=world["facilitator"],
        site_url="",
    )
    client.force_login(coordinator)
    url = reverse("programs:team", args=[program.slug])
    response = client.post(reverse("programs:team_remove", args=[program.slug, role.pk]))
    assert response.status_code == 302
    revoked = ProgramRoleChange.objects.get(member=helper, to_state="revoked")
    assert revoked.by == coordinator
    page = client.get(url).content.decode()
    assert "Historique des rôles" in page
    assert "Rôle attribué" in page and "Rôle retiré" in page and "Aline Aide" in page


def test_a_stranger_cannot_grant_roles(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="pas le droit"):
        team_add(
            program=world["program"],
            email="x@example.org",
            role="partner_viewer",
            by=world["other"],
            site_url="",
        )
    assert not ProgramRole.objects.filter(user__email="x@example.org").exists()


def test_revoking_in_the_admin_is_recorded(client, world):
    facilitator, program = world["facilitator"], world["program"]
    client.force_login(facilitator)
    role = ProgramRole.objects.get(user=world["staff_a"])
    response = client.post(
        reverse("admin:programs_programrole_changelist"),
        {"action": "delete_selected", "_selected_action": [role.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not ProgramRole.objects.filter(pk=role.pk).exists()
    assert ProgramRoleChange.objects.get(member=world["staff_a"]).by == facilitator
    # An admin grant to somebody else is recorded the same way.
    response = client.post(
        reverse("admin:programs_programrole_add"),
        {"program": program.pk, "user": world["volunteer_a"].pk, "role": "site_staff", "site": world["b"].pk},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    again = ProgramRole.objects.get(user=world["volunteer_a"], role="site_staff")
    assert again.granted_by == facilitator
    assert ProgramRoleChange.objects.filter(
        member=world["volunteer_a"], to_state="granted", by=facilitator
    ).exists()
