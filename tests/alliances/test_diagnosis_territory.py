"""The diagnosis form's territory: communes and EPCIs of the official geography typed one a line (names,
postal or INSEE codes, SIRENs) or added one at a time through the fields with suggestions; every entry that
names no place, or several, is answered in French and nothing is written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terreau.alliances.models import Diagnosis
from terreau.alliances.territory_fields import resolve_epci, split_entries
from terreau.territories.models import Commune, Epci, PostalCode
from tests.factories import BranchRoleFactory


@pytest.fixture
def places(dw):
    poitiers = Commune.objects.get(code="86194")
    grand_poitiers = Epci.objects.create(code="200069854", name="CU du Grand Poitiers", kind="CU")
    Epci.objects.create(code="248600413", name="CA du Grand Châtellerault", kind="CA")
    Epci.objects.create(code="200070043", name="CC du Civraisien en Poitou", kind="CC")
    chatellerault = Commune.objects.create(code="86066", name="Châtellerault", department_id="86")
    PostalCode.objects.create(code="86100", commune=chatellerault)
    return poitiers, chatellerault, grand_poitiers


def _data(dw, **extra):
    return {
        "branch": dw.branch.pk,
        "title": "Diagnostic du Grand Poitiers",
        "summary": "",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "consultation_closes_on": "",
        "departments": [],
        "epci_codes": "",
        "epci_add": "",
        "commune_codes": "",
        "commune_add": "",
        "team": [dw.facilitator.pk],
        **extra,
    }


def test_split_entries_keeps_names_whole_and_splits_lines_of_codes():
    code = __import__("re").compile(r"^\d{5}$")
    assert split_entries("86194 86066\nSaint-Benoît (86), Poitiers", code) == [
        "86194",
        "86066",
        "Saint-Benoît (86)",
        "Poitiers",
    ]
    assert split_entries("La Roche Posay\n\n ;", code) == ["La Roche Posay"]


def test_communes_and_epcis_by_name_code_and_added_one_at_a_time(client, dw, places):
    poitiers, chatellerault, grand_poitiers = places
    client.force_login(dw.facilitator)
    response = client.post(
        reverse("alliances:diagnosis_create"),
        _data(
            dw,
            commune_codes="Poitiers (86)\n",
            commune_add="86100",  # a postal code
            epci_codes="châtellerault",
            epci_add="CU du Grand Poitiers (200069854)",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    diagnosis = Diagnosis.objects.get(title="Diagnostic du Grand Poitiers")
    assert set(diagnosis.communes.values_list("code", flat=True)) == {"86194", "86066"}
    assert set(diagnosis.epcis.values_list("code", flat=True)) == {"200069854", "248600413"}
    # The edit form shows the places by name, with their codes, and reads them back unchanged.
    edit = reverse("alliances:diagnosis_edit", args=[diagnosis.pk])
    page = client.get(edit).content.decode()
    assert "86194 — Poitiers (86)" in page and "CU du Grand Poitiers (200069854)" in page
    assert 'for="id_commune_add"' in page and 'for="id_epci_add"' in page
    assert 'list="id_commune_add-suggestions"' in page and 'list="id_epci_add-suggestions"' in page


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "commune_codes",
            "Poitiers\nNulle-Part-sur-Mer",
            "Aucune commune ne correspond à « Nulle-Part-sur-Mer »",
        ),
        ("commune_codes", "86194 99999", "99999"),
        ("commune_add", "<script>alert(1)</script>", "Aucune commune ne correspond"),
        ("epci_codes", "Grand", "Plusieurs intercommunalités correspondent"),
        ("epci_codes", "123456789", "Aucune intercommunalité n"),
        ("epci_add", "Métropole imaginaire", "Aucune intercommunalité ne correspond"),
        ("epci_codes", "x" * 40001, "40000"),
        ("commune_codes", "\n".join(str(i) for i in range(1001)), "Au plus 1000 lieux"),
    ],
)
def test_bad_places_are_answered_in_french_and_nothing_is_written(client, dw, places, field, value, expected):
    client.force_login(dw.facilitator)
    response = client.post(
        reverse("alliances:diagnosis_create"), _data(dw, **{"commune_codes": "86194", field: value})
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert expected in body.replace("&#x27;", "'"), body[:200]
    assert "<script>alert(1)</script>" not in body
    assert not Diagnosis.objects.filter(title="Diagnostic du Grand Poitiers").exists()


def test_resolve_epci_by_folded_name(places):
    assert resolve_epci("ca du grand chatellerault").code == "248600413"
    assert resolve_epci("200069854 — CU du Grand Poitiers").code == "200069854"


def test_epci_suggestions(client, dw, places):
    url = reverse("alliances:epci_lookup")
    assert client.get(url, {"q": "poit"}).status_code == 302  # signed-in people only
    client.force_login(BranchRoleFactory().user)
    results = client.get(url, {"q": "poit"}).json()["results"]
    by_code = {r["code"]: r for r in results}
    assert set(by_code) == {"200069854", "200070043"}
    assert by_code["200069854"]["label"] == "CU du Grand Poitiers (200069854)"
    assert by_code["200069854"]["kind"] == "Communauté urbaine"
    assert [r["code"] for r in client.get(url, {"q": "2486"}).json()["results"]] == ["248600413"]
    assert [r["code"] for r in client.get(url, {"q": "chatell"}).json()["results"]] == ["248600413"]
    assert client.get(url, {"q": "'; DROP TABLE x; --" * 20}).json() == {"results": []}
    assert client.get(url, {"q": ""}).json() == {"results": []}
