"""The admin's permission matrix, beside the pages' one (tests/test_permissions.py).

For every model registered in the admin (a new one is covered automatically) and every role, what the change
list shows, whether the add and change forms open, that every choice list (each relation field of the form
and of its inlines, each relation filter of the change list) holds only rows the role may choose, and that
actions receive only the rows the role may manage.

World: network 1 has branches A and B, network 2 has branch C; each branch has a program with two sites,
a kit, team roles, a private organisation with a member, a need, an event with a registration. Roles: superuser,
network 1's administrator (A and B), facilitators of A and of B, an organisation member (flagged staff: the
flag alone opens nothing), a plain user, anonymous. Built once for the module, rolled back at its end.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from terreau.accounts.models import BranchRole, NetworkRole
from terreau.core.access import AccessRule
from terreau.core.admin_scoping import BranchScopedAdmin, ReadOnlyForFacilitatorsAdmin
from terreau.core.models import Branch, Network
from terreau.directory.models import ImportRun, Membership
from terreau.events.models import Registration
from terreau.programs.kits import kit_assemble, kit_deliver
from terreau.programs.models import ProgramPartner
from terreau.programs.team import team_add
from tests.contributions.factories import ContributionFactory, InstalmentFactory
from tests.factories import (
    BranchFactory,
    EventFactory,
    NeedOfferFactory,
    NetworkFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.programs.test_programs_support import make_items, make_program

ROLES = ["superuser", "network_admin", "facilitator_a", "facilitator_b", "org_member", "plain", "anonymous"]
REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _branch_world(branch, tag):
    program, site_1, site_2, kit_model = make_program(branch=branch, slug=f"programme-{tag}")
    facilitator = UserFactory(is_staff=True, email=f"animation.{tag}@example.org")
    BranchRole.objects.create(user=facilitator, branch=branch)
    org = OrganisationFactory(branch=branch, private=True, name=f"Structure privée {tag}")
    member = UserFactory(is_staff=True, email=f"membre.{tag}@example.org")
    Membership.objects.create(user=member, organisation=org)
    NeedOfferFactory(organisation=org, private=True)
    ProgramPartner.objects.create(program=program, organisation=org, roles=["kits"])
    helper = UserFactory(email=f"equipe.{tag}@example.org")
    for role, site in (("coordinator", None), ("site_staff", site_1)):
        team_add(program=program, email=helper.email, role=role, site=site, by=facilitator, site_url="")
    kit = kit_assemble(
        kit_model=kit_model, items=make_items(program, prefix=tag), code=f"K-{tag}", by=facilitator
    )
    kit_deliver(kit=kit, site=site_1, by=facilitator)
    ImportRun.objects.create(branch=branch, file_name=f"{tag}.csv", format="generic")
    event = EventFactory(branch=branch, title=f"Rencontre {tag}", is_published=False)
    Registration.objects.create(event=event, name=f"Inscrit {tag}", email=f"inscrit.{tag}@example.org")
    # A company's gift to the organisation, with an instalment (the ledger's admin and its inlines).
    company = OrganisationFactory(branch=branch, company=True, name=f"Entreprise {tag}")
    gift = ContributionFactory(branch=branch, donor=company, recipient=org, program=program)
    InstalmentFactory(contribution=gift)
    return {"facilitator": facilitator, "member": member}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            network_1, network_2 = NetworkFactory(), NetworkFactory()
            a, b = BranchFactory(network=network_1), BranchFactory(network=network_1)
            c = BranchFactory(network=network_2)
            in_a, in_b, _in_c = _branch_world(a, "a"), _branch_world(b, "b"), _branch_world(c, "c")
            head_office = UserFactory(is_staff=True, email="siege@example.org")
            NetworkRole.objects.create(user=head_office, network=network_1)
            users = {
                "superuser": get_user_model().objects.create_superuser(
                    email="root@example.org", password="x-T-2026"
                ),
                "network_admin": head_office,
                "facilitator_a": in_a["facilitator"],
                "facilitator_b": in_b["facilitator"],
                "org_member": in_a["member"],
                "plain": UserFactory(email="quidam@example.org"),
                "anonymous": None,
            }
            branches = {
                "superuser": {a.pk, b.pk, c.pk},
                "network_admin": {a.pk, b.pk},
                "facilitator_a": {a.pk},
                "facilitator_b": {b.pk},
            }
            yield {"users": users, "branches": branches, "networks": {"network_admin": {network_1.pk}}}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _branches_of(model, pks) -> dict[int, set[int]]:
    """Each row's branches, read along its ACCESS rule's branch paths (independently of the admin)."""
    rule = model.ACCESS
    found: dict[int, set[int]] = {pk: set() for pk in pks}
    for path in AccessRule._paths(rule.branch):
        lookup = f"{path}__id" if path else "id"
        for pk, branch_id in model._base_manager.filter(pk__in=pks).values_list("pk", lookup):
            if branch_id is not None:
                found[pk].add(branch_id)
    return found


def _allowed(world, role, model, pks) -> set:
    """The rows among ``pks`` that ``role`` may choose or manage."""
    pks = set(pks)
    if role == "superuser":
        return pks
    branches = world["branches"].get(role, set())
    if model is Branch:
        return pks & branches
    if model is Network:
        return pks & world["networks"].get(role, set())
    if model is get_user_model():
        users = get_user_model().objects.filter(pk__in=pks)
        mine = (
            users.filter(branch_roles__branch_id__in=branches)
            | users.filter(memberships__organisation__branch_id__in=branches)
            | users.filter(program_roles__program__branch_id__in=branches)
            | users.filter(network_roles__network_id__in=world["networks"].get(role, set()))
            | users.filter(pk=world["users"][role].pk)
        )
        return set(mine.values_list("pk", flat=True))
    rule = getattr(model, "ACCESS", None)
    if isinstance(rule, AccessRule):
        if not rule.branch_staff:
            return set()
        return {pk for pk, reached in _branches_of(model, pks).items() if reached & branches}
    if model._meta.app_label in {"auth", "admin", "contenttypes", "sessions"}:
        return set()
    return pks  # reference data


def _expected_status(role, model_admin) -> int:
    if role == "superuser":
        return 200
    if role in ("anonymous", "plain"):
        return 302  # the admin site sends people without the staff flag to its login page
    if isinstance(model_admin, ReadOnlyForFacilitatorsAdmin):
        return 200
    if isinstance(model_admin, BranchScopedAdmin) and role != "org_member":
        return 200
    return 403


def _check_form(world, role, form, where):
    for name, field in form.fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is None:
            continue
        pks = set(queryset.values_list("pk", flat=True))
        extra = pks - _allowed(world, role, queryset.model, pks)
        assert not extra, (
            f"{where}: field {name!r} offers {queryset.model.__name__} {sorted(extra)} to {role}"
        )


def _check_forms(world, role, response, where):
    _check_form(world, role, response.context["adminform"].form, where)
    for inline in response.context["inline_admin_formsets"]:
        for form in [*inline.formset.forms, inline.formset.empty_form]:
            _check_form(world, role, form, f"{where} inline {inline.formset.model.__name__}")


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=[m._meta.label for m, _a in REGISTRY])
def test_admin_permission_matrix(client, world, model, model_admin):
    info = (model._meta.app_label, model._meta.model_name)
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    every_pk = set(model._base_manager.values_list("pk", flat=True))
    for role in ROLES:
        client.logout()
        if world["users"][role] is not None:
            client.force_login(world["users"][role])
        response = client.get(changelist)
        expected = _expected_status(role, model_admin)
        assert response.status_code == expected, f"{model.__name__} change list, {role}"
        if expected != 200:
            continue
        cl = response.context["cl"]
        shown = set(cl.queryset.values_list("pk", flat=True))
        if isinstance(model_admin, BranchScopedAdmin):
            assert shown == _allowed(world, role, model, every_pk), f"{model.__name__} rows shown to {role}"
        # Relation filters list only rows the role may choose.
        for spec in cl.filter_specs:
            field = getattr(spec, "field", None)
            if field is not None and field.is_relation and hasattr(spec, "lookup_choices"):
                pks = {pk for pk, _label in spec.lookup_choices}
                extra = pks - _allowed(world, role, field.related_model, pks)
                assert not extra, f"{model.__name__} filter {field.name} lists {sorted(extra)} to {role}"
        # Actions act on the change list's rows only: the deletion confirmation lists the allowed ones.
        if "delete_selected" in (cl.model_admin.get_actions(response.wsgi_request) or {}) and every_pk:
            confirm = client.post(
                changelist, {"action": "delete_selected", "_selected_action": sorted(every_pk)}
            )
            if confirm.status_code == 200 and confirm.context and "queryset" in confirm.context:
                acted = set(confirm.context["queryset"].values_list("pk", flat=True))
                assert acted <= shown, f"{model.__name__} action on {sorted(acted - shown)} for {role}"
        # The add form and the change form of a row the role manages: every choice list is allowed.
        request = response.wsgi_request
        if model_admin.has_add_permission(request):
            add = client.get(reverse("admin:{}_{}_add".format(*info)))
            assert add.status_code == 200, f"{model.__name__} add form, {role}"
            _check_forms(world, role, add, f"{model.__name__} add form")
        first = min(shown) if shown else None
        if first is not None:
            change = client.get(reverse("admin:{}_{}_change".format(*info), args=[first]))
            assert change.status_code == 200, f"{model.__name__} change form, {role}"
            if "adminform" in change.context:
                _check_forms(world, role, change, f"{model.__name__} change form")
        # A row out of reach does not open.
        foreign = sorted(every_pk - shown)
        if foreign and role != "superuser":
            denied = client.get(reverse("admin:{}_{}_change".format(*info), args=[foreign[0]]))
            assert denied.status_code in (302, 403, 404), f"{model.__name__} foreign row opened for {role}"
