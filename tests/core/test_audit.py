"""The audit log (issue 12): every sensitive act writes one append-only event, readable in the admin by
superusers and by the staff of the event's branch only; a refused page is recorded once per person, page and
minute."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from terreau.accounts.models import BranchRole
from terreau.accounts.staff import account_set_active, role_grant, role_revoke
from terreau.activities.models import Participant
from terreau.core.audit import Action, audit_record
from terreau.core.models import AuditEvent
from terreau.programs.models import ProgramRole
from terreau.programs.team import team_add, team_remove
from tests.factories import BranchFactory, BranchRoleFactory, NetworkFactory, NetworkRoleFactory, UserFactory
from tests.programs.test_programs_support import make_program, people

pytestmark = pytest.mark.django_db


def only_event(**filters) -> AuditEvent:
    events = list(AuditEvent.objects.filter(**filters))
    assert len(events) == 1, events
    return events[0]


@pytest.fixture
def world():
    network = NetworkFactory()
    a, b = BranchFactory(network=network), BranchFactory(network=network)
    return {
        "a": a,
        "b": b,
        "head_office": NetworkRoleFactory(network=network).user,
        "facilitator_a": BranchRoleFactory(branch=a).user,
        "facilitator_b": BranchRoleFactory(branch=b).user,
    }


def test_facilitator_role_grant_and_revoke_are_audited(world):
    person = BranchRoleFactory(branch=world["a"]).user
    by = world["head_office"]
    role = role_grant(branch=world["b"], person=person, by=by)
    event = only_event(action=Action.ROLE_GRANTED)
    assert (event.actor, event.target, event.branch_id) == (by, person.email, world["b"].pk)
    role_revoke(role=BranchRole.objects.get(pk=role.pk), by=by)
    event = only_event(action=Action.ROLE_REVOKED)
    assert (event.actor, event.target, event.branch_id) == (by, person.email, world["b"].pk)


def test_account_deactivation_and_reactivation_are_audited(world):
    person = BranchRoleFactory(branch=world["a"]).user
    by = world["facilitator_a"]
    account_set_active(person=person, active=False, by=by)
    account_set_active(person=person, active=True, by=by)
    for action in (Action.ACCOUNT_DEACTIVATED, Action.ACCOUNT_REACTIVATED):
        event = only_event(action=action)
        assert (event.actor, event.target, event.branch_id) == (by, person.email, world["a"].pk)


def test_program_role_grant_and_revoke_are_audited():
    program, site_a, _site_b, _kit = make_program()
    users = people(program, site_a)
    AuditEvent.objects.all().delete()
    by = users["facilitator"]
    role = team_add(program=program, email="nouvelle@example.org", role="coordinator", by=by, site_url="")
    event = only_event(action=Action.ROLE_GRANTED)
    assert (
        event.actor == by and "nouvelle@example.org" in event.target and event.branch_id == program.branch_id
    )
    team_remove(role=ProgramRole.objects.get(pk=role.pk), by=by)
    event = only_event(action=Action.ROLE_REVOKED)
    assert event.actor == by and "nouvelle@example.org" in event.target


def test_participant_export_and_erasure_are_audited(client):
    program, site_a, _site_b, _kit = make_program()
    users = people(program, site_a)
    person = Participant.objects.create(
        site=site_a, first_name="Odette", age_band="80_89", consent_on="2026-01-05"
    )
    client.force_login(users["staff_a"])
    args = [program.slug, person.pk]
    assert client.get(reverse("activities:participant_export", args=[*args, "json"])).status_code == 200
    event = only_event(action=Action.PERSONAL_DATA_EXPORTED)
    assert event.actor == users["staff_a"] and event.object_id == str(person.pk)
    assert event.target == f"participant-{person.pk}.json" and event.client_address == "127.0.0.1"
    assert client.post(reverse("activities:participant_erase", args=args)).status_code == 302
    event = only_event(action=Action.PERSONAL_DATA_ERASED)
    assert event.actor == users["staff_a"] and "Odette" not in event.target


def test_exports_are_audited_for_signed_in_people_only(client, world):
    client.get(reverse("directory:export", args=["csv"]))
    assert not AuditEvent.objects.exists()  # the public directory, downloaded anonymously
    client.force_login(world["facilitator_a"])
    assert client.get(reverse("directory:export", args=["csv"])).status_code == 200
    assert client.get(reverse("partnerships:board_export")).status_code == 200
    events = AuditEvent.objects.filter(action=Action.EXPORT_DOWNLOADED, actor=world["facilitator_a"])
    assert sorted(e.target.split("-")[0] for e in events) == ["annuaire", "partenariats.csv"]


def test_a_refused_page_is_audited_once_a_minute(client):
    plain = UserFactory()
    client.force_login(plain)
    url = reverse("partnerships:board_export")
    assert client.get(url).status_code == 403
    assert client.get(url).status_code == 403
    event = only_event(action=Action.ACCESS_DENIED)
    assert (event.actor, event.target, event.branch_id) == (plain, url, None)


def test_anonymous_people_are_not_recorded_as_refused(client):
    client.get(reverse("partnerships:board_export"))
    assert not AuditEvent.objects.filter(action=Action.ACCESS_DENIED).exists()


def _changelist(client, user):
    client.force_login(user)
    return client.get(reverse("admin:core_auditevent_changelist"))


def test_the_admin_is_read_only_and_scoped_to_branches(client, world):
    in_a = audit_record(
        actor=world["head_office"], action=Action.ROLE_GRANTED, target="a", branch_id=world["a"].pk
    )
    in_b = audit_record(
        actor=world["head_office"], action=Action.ROLE_GRANTED, target="b", branch_id=world["b"].pk
    )
    nowhere = audit_record(actor=None, action=Action.ACCESS_DENIED, target="/x/")
    root = get_user_model().objects.create_superuser(email="root@example.org", password="x-T-2026")
    for user in (world["head_office"], world["facilitator_a"]):
        user.is_staff = True
        user.save()
    expected = {
        root: {in_a.pk, in_b.pk, nowhere.pk},
        world["head_office"]: {in_a.pk, in_b.pk},
        world["facilitator_a"]: {in_a.pk},
    }
    for user, pks in expected.items():
        response = _changelist(client, user)
        assert response.status_code == 200
        assert set(response.context["cl"].queryset.values_list("pk", flat=True)) == pks
        model_admin = response.context["cl"].model_admin
        request = response.wsgi_request
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, in_a)
        assert not model_admin.has_delete_permission(request, in_a)
        assert not model_admin.get_actions(request)
    client.force_login(root)
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:core_auditevent_delete", args=[in_a.pk])).status_code == 403
    change = client.post(reverse("admin:core_auditevent_change", args=[in_a.pk]), {"target": "changé"})
    assert change.status_code == 403
    in_a.refresh_from_db()
    assert in_a.target == "a"


def test_other_roles_cannot_read_the_log(client):
    program, site_a, _site_b, _kit = make_program()
    users = people(program, site_a)
    audit_record(actor=None, action=Action.ROLE_GRANTED, target="x", branch_id=program.branch_id)
    for name in ("coordinator", "staff_a", "volunteer_a", "viewer"):
        users[name].is_staff = True  # the flag alone opens nothing
        users[name].save()
        assert _changelist(client, users[name]).status_code in (302, 403), name
    client.logout()
    assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 302
