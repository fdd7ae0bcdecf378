"""Inter-communal bodies (EPCI) from the official geography, each commune linked to its own."""

from __future__ import annotations

import pytest

from terreau.territories.loader import load_territories
from terreau.territories.models import Commune, Epci

pytestmark = pytest.mark.django_db


def test_epcis_load_with_their_member_communes():
    result = load_territories(departments={"86"})
    poitiers = Commune.objects.select_related("epci").get(code="86194")
    assert poitiers.epci.name == "CU du Grand Poitiers"
    assert poitiers.epci.get_kind_display() == "Communauté urbaine"
    assert poitiers.epci.communes.count() == 40
    # Only bodies with a loaded member: no EPCI of Bas-Rhin when only Vienne is loaded.
    assert not Epci.objects.filter(communes__department="67").exists()
    assert result.epcis == Epci.objects.count() > 0
    # Every commune of Vienne belongs to one (only four island communes in France belong to none).
    assert not Commune.objects.filter(department="86", epci__isnull=True).exists()


def test_reloading_keeps_one_row_per_epci():
    load_territories(departments={"86"})
    count = Epci.objects.count()
    load_territories(departments={"86"})
    assert Epci.objects.count() == count
