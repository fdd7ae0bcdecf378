"""The Silver Geek demo program: loaded with the demo, reloadable, flagged demo, with its two accounts."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from terreau.core.access import visible
from terreau.programs.equipment import EquipmentItem, Incident, ItemState, Kit, Repair
from terreau.programs.models import HostSite, Program, ProgramPartner, ProgramRole
from terreau.territories.loader import load_territories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _load() -> str:
    out = io.StringIO()
    call_command("load-demo", stdout=out)
    return out.getvalue()


def test_demo_program_loads_twice_with_sites_kits_incidents():
    load_territories(departments={"16", "17", "79", "86", "67", "68"})
    _load()
    output = _load()  # reloading replaces the demo program instead of failing on protected rows
    program = Program.objects.get()
    assert program.is_demo and program.branch.slug == "demo-poitou-charentes"
    sites = HostSite.objects.filter(program=program)
    assert 15 <= sites.count() <= 25 and not sites.filter(is_demo=False).exists()
    assert Kit.objects.filter(program=program, state="delivered").count() == sites.count()
    assert EquipmentItem.objects.filter(is_demo=False).count() == 0
    assert EquipmentItem.objects.filter(state=ItemState.AT_SITE).count() == sites.count() * 8 - 2
    roles = {p.organisation.slug.removesuffix("-demo"): p.roles for p in ProgramPartner.objects.all()}
    assert set(roles["solidatech"]) >= {"kits", "budget", "communication", "fundraising"}
    assert roles["unis-cite-poitiers"] == ["volunteers"] and roles["fondation-macif"] == ["funder"]
    assert Incident.objects.count() == 3 and Repair.objects.filter(returned_on__isnull=True).count() == 1
    coordinator = ProgramRole.objects.get(role="coordinator").user
    staff = ProgramRole.objects.get(role="site_staff")
    assert coordinator.email in output and staff.user.email in output
    assert visible(staff.user, HostSite.objects.all()).get() == staff.site
    assert visible(coordinator, EquipmentItem.objects.all()).count() == EquipmentItem.objects.count()
