"""Regression (issue 9, finding 1): the admin's forms went around the access layer. A facilitator of branch B
opened /admin/programs/programrole/add/, gave himself a role in branch A's program and then read its
participants; the same add forms listed branch A's private organisations, accounts and host sites.

Written as the attack was made: as branch B's facilitator, through the admin, with the exact requests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terreau.accounts.models import BranchRole
from terreau.activities.models import Mission, Participant
from terreau.directory.models import Organisation
from terreau.programs.equipment import KitModel
from terreau.programs.models import HostSite, ProgramPartner, ProgramRole
from tests.factories import BranchFactory, OrganisationFactory, UserFactory
from tests.programs.test_programs_support import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def attack():
    program_a, site_a, _site_a2, _kit = make_program(slug="programme-a")
    branch_a = program_a.branch
    site_a.name = "Résidence secrète de A"
    site_a.save()
    secret_org = OrganisationFactory(branch=branch_a, private=True, name="Structure privée de A")
    staff_a = UserFactory(email="equipe.a@example.org", last_name="EquipeDeA")
    ProgramRole.objects.create(program=program_a, user=staff_a, role="site_staff", site=site_a)
    Participant.objects.create(site=site_a, first_name="Odette", age_band="80_89", consent_on="2026-01-05")
    branch_b = BranchFactory(network=branch_a.network)
    program_b, site_b, _site_b2, _kit_b = make_program(branch=branch_b, slug="programme-b")
    intruder = UserFactory(is_staff=True, email="animateur.b@example.org")
    BranchRole.objects.create(user=intruder, branch=branch_b)
    return {
        "program_a": program_a,
        "site_a": site_a,
        "secret_org": secret_org,
        "staff_a": staff_a,
        "program_b": program_b,
        "site_b": site_b,
        "intruder": intruder,
    }


def _add(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


FOREIGN_NAMES = (
    "Programme programme-a",
    "Résidence secrète de A",
    "Structure privée de A",
    "equipe.a@example.org",
)


@pytest.mark.parametrize("model", [ProgramRole, ProgramPartner, HostSite, KitModel, Mission])
def test_add_forms_list_no_other_branch_row(client, attack, model):
    client.force_login(attack["intruder"])
    response = client.get(_add(model))
    assert response.status_code == 200
    page = response.content.decode()
    for name in FOREIGN_NAMES:
        assert name not in page, f"{model.__name__} add form shows {name!r}"
    for field in response.context["adminform"].form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and queryset.model is Organisation:
            assert attack["secret_org"] not in queryset


def test_facilitator_cannot_make_himself_coordinator_of_another_branch_program(client, attack):
    client.force_login(attack["intruder"])
    program_a = attack["program_a"]
    for data in (
        {"program": program_a.pk, "user": attack["intruder"].pk, "role": "coordinator"},
        {
            "program": program_a.pk,
            "user": attack["intruder"].pk,
            "role": "site_staff",
            "site": attack["site_a"].pk,
        },
        # His own program, with a site of the other branch's program.
        {
            "program": attack["program_b"].pk,
            "user": attack["intruder"].pk,
            "role": "site_staff",
            "site": attack["site_a"].pk,
        },
    ):
        response = client.post(_add(ProgramRole), {**data, "_save": "Enregistrer"})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors
    assert not ProgramRole.objects.filter(user=attack["intruder"]).exists()
    # And so the participants (and their data in the activity export) stay closed to him.
    response = client.get(reverse("activities:participants", args=[program_a.slug]))
    assert response.status_code in (403, 404) or "Odette" not in response.content.decode()
    response = client.get(reverse("activities:dashboard_xlsx", args=[program_a.slug]))
    assert response.status_code in (403, 404)


def test_foreign_organisation_program_or_site_is_refused_and_nothing_is_created(client, attack):
    client.force_login(attack["intruder"])
    program_b, secret = attack["program_b"], attack["secret_org"]
    partners = ProgramPartner.objects.count()
    response = client.post(
        _add(ProgramPartner), {"program": program_b.pk, "organisation": secret.pk, "roles": "[]", "note": ""}
    )
    assert "organisation" in response.context["adminform"].form.errors
    assert ProgramPartner.objects.count() == partners
    sites = HostSite.objects.count()
    response = client.post(
        _add(HostSite),
        {
            "program": attack["program_a"].pk,
            "organisation": secret.pk,
            "name": "Site pirate",
            "commune": attack["site_a"].commune_id,
            "time_windows": "[]",
        },
    )
    errors = response.context["adminform"].form.errors
    assert "program" in errors and "organisation" in errors
    assert HostSite.objects.count() == sites
    response = client.post(
        _add(KitModel), {"program": attack["program_a"].pk, "name": "Kit pirate", "composition": "[]"}
    )
    assert "program" in response.context["adminform"].form.errors
    assert not KitModel.objects.filter(name="Kit pirate").exists()


def test_foreign_rows_stay_out_of_filters_and_lookups(client, attack):
    client.force_login(attack["intruder"])
    page = client.get(reverse("admin:programs_hostsite_changelist")).content.decode()
    assert "Programme programme-a" not in page
    assert "Programme programme-b" in page
    url = reverse("admin:programs_hostsite_change", args=[attack["site_a"].pk])
    assert client.get(url).status_code in (302, 404)
    # The organisation autocomplete (need/offer form) goes through the organisations' own scoped admin.
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "directory", "model_name": "needoffer", "field_name": "organisation", "term": "privée"},
    )
    assert response.status_code == 200
    assert "Structure privée de A" not in response.content.decode()


def test_superuser_keeps_every_choice(client, attack, django_user_model):
    root = django_user_model.objects.create_superuser(email="root@example.org", password="x-Terreau-2026")
    client.force_login(root)
    page = client.get(_add(ProgramRole)).content.decode()
    assert "Programme programme-a" in page and "Programme programme-b" in page
