"""The demo tells the genesis of Silver Geek: three working groups, the merge of "Bien vieillir" and "Inclusion
numérique" into the collective, its charter approved by each partner and linked to the demo program (its page
shows the lineage); loading twice gives the same rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terreau.accounts.models import User
from terreau.alliances.charter_models import Charter, CharterApproval
from terreau.alliances.group_models import GroupMember, GroupMerge, WorkingGroup
from terreau.demo.loader import load_demo
from terreau.programs.models import Program
from terreau.territories.loader import load_territories


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_genesis_of_silver_geek(db, client, django_capture_on_commit_callbacks):
    load_territories(departments={"16", "17", "79", "86", "67", "68"})
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    assert WorkingGroup.objects.filter(is_demo=True).count() == 4  # three groups and the collective
    collective = WorkingGroup.objects.get(name="Collectif Silver Geek")
    merged = set(WorkingGroup.objects.filter(merged_into=collective).values_list("name", flat=True))
    assert merged == {"Bien vieillir", "Inclusion numérique"}
    assert GroupMerge.objects.get(result=collective).sources.count() == 2
    assert GroupMember.objects.filter(group=collective, came_from__isnull=False).count() >= 7
    charter = Charter.objects.get(group=collective)
    version = charter.versions.get()
    assert charter.is_demo and version.state == "approved"
    assert CharterApproval.objects.filter(version=version).count() == version.partners.count() == 4
    program = Program.objects.get(is_demo=True, charter=charter)
    facilitator = User.objects.get(email="animatrice.poitou@demo.terreau.example.org")
    client.force_login(facilitator)
    body = client.get(program.get_absolute_url()).content.decode()
    assert "Genèse du projet" in body and "Collectif Silver Geek" in body and "Bien vieillir" in body
    body = client.get(reverse("alliances:group", args=[collective.pk])).content.decode()
    assert "venu de « Inclusion numérique »" in body
    rows = (WorkingGroup.objects.count(), GroupMember.objects.count(), CharterApproval.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    assert (
        WorkingGroup.objects.count(),
        GroupMember.objects.count(),
        CharterApproval.objects.count(),
    ) == rows
