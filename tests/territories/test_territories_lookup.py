"""Commune lookup: accents, case, punctuation and ligatures are ignored."""

import pytest
from django.urls import reverse

from terreau.territories.models import Commune
from tests.factories import CommuneFactory, DepartmentFactory, RegionFactory


@pytest.fixture
def lorraine(db):
    meurthe = DepartmentFactory(
        code="54", name="Meurthe-et-Moselle", region=RegionFactory(code="44", name="Grand Est")
    )
    return [
        CommuneFactory(code="54547", name="Vandœuvre-lès-Nancy", department=meurthe, population=29000),
        CommuneFactory(code="54395", name="Nancy", department=meurthe, population=104000),
    ]


def test_vandoeuvre_spelt_without_ligature_finds_vandoeuvre_les_nancy(lorraine):
    assert [c.name for c in Commune.objects.lookup("Vandoeuvre")] == ["Vandœuvre-lès-Nancy"]
    assert [c.name for c in Commune.objects.lookup("vandœuvre les")] == ["Vandœuvre-lès-Nancy"]
    assert [c.code for c in Commune.objects.lookup("nancy")] == ["54395", "54547"]


def test_commune_autocomplete_finds_the_name_with_a_ligature(client, lorraine):
    response = client.get(reverse("territories:commune_lookup"), {"q": "Vandoeuvre"})
    assert response.status_code == 200
    assert [r["code"] for r in response.json()["results"]] == ["54547"]
