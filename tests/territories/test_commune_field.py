"""The one commune field: what a person may type, and what they are told when it is not enough."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from terreau.events.forms import EventForm
from terreau.territories.forms import CommuneField, commune_label, resolve_commune
from terreau.territories.models import Commune, PostalCode
from tests.factories import CommuneFactory, DepartmentFactory, RegionFactory


@pytest.fixture
def communes(db):
    vienne = DepartmentFactory(code="86", name="Vienne")
    deux_sevres = DepartmentFactory(code="79", name="Deux-Sèvres", region=RegionFactory(code="75"))
    poitiers = CommuneFactory(code="86194", name="Poitiers", department=vienne)
    PostalCode.objects.create(code="86000", commune=poitiers)
    vouille = CommuneFactory(code="86294", name="Vouillé", department=vienne, population=3700)
    beruges = CommuneFactory(code="86022", name="Béruges", department=vienne, population=1300)
    for commune in (vouille, beruges):
        PostalCode.objects.create(code="86190", commune=commune)
    vouille_79 = CommuneFactory(code="79195", name="Vouillé", department=deux_sevres, population=3400)
    PostalCode.objects.create(code="79230", commune=vouille_79)
    return {"poitiers": poitiers, "vouille": vouille, "beruges": beruges, "vouille_79": vouille_79}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Poitiers", "86194"),
        ("  poitiers  ", "86194"),
        ("POITIERS (86)", "86194"),
        ("86000", "86194"),
        ("86194", "86194"),
        ("86194 — Poitiers (86)", "86194"),
        ("Vouillé (86)", "86294"),
        ("vouille (79)", "79195"),
        ("Vouillé 86190", "86294"),
        ("86190 Vouillé", "86294"),
        ("Vouillé (79230)", "79195"),
        ("Béruges", "86022"),
        ("beruges", "86022"),
    ],
)
def test_a_commune_is_found_however_it_is_typed(communes, typed, expected):
    assert resolve_commune(typed).code == expected


def test_a_name_shared_by_two_communes_asks_for_the_department_or_postal_code(communes):
    with pytest.raises(ValidationError) as error:
        resolve_commune("Vouillé")
    message = error.value.messages[0]
    assert error.value.code == "ambiguous"
    assert message.startswith("Plusieurs communes portent ce nom")
    assert "précisez le département ou le code postal" in message.lower()
    assert "Vouillé (86)" in message and "Vouillé (79)" in message


def test_a_postal_code_shared_by_two_communes_offers_both(communes):
    with pytest.raises(ValidationError) as error:
        resolve_commune("86190")
    message = error.value.messages[0]
    assert error.value.code == "ambiguous"
    assert "Béruges (86)" in message and "Vouillé (86)" in message
    # Each candidate as written in the message is itself accepted.
    assert resolve_commune("Béruges (86)").code == "86022"


def test_an_unknown_commune_says_what_may_be_typed(communes):
    with pytest.raises(ValidationError) as error:
        resolve_commune("Atlantide")
    assert error.value.code == "not_found"
    for typed in ("!!!", "— (86)", "()"):
        with pytest.raises(ValidationError) as nothing:
            resolve_commune(typed)
        assert nothing.value.code == "not_found", typed
    assert "Saisissez son nom, son code postal ou son code INSEE" in error.value.messages[0]


def test_a_commune_outside_the_field_queryset_is_refused_with_the_reason(communes):
    field = CommuneField(required=False)
    field.queryset = Commune.objects.filter(department_id="86")
    assert field.clean("Vouillé").code == "86294"  # the Deux-Sèvres homonym is not offered here
    with pytest.raises(ValidationError) as error:
        field.clean("79230")
    assert error.value.code == "outside"
    assert "hors du territoire" in error.value.messages[0]


def test_label_round_trips_and_twins_in_one_department_get_their_code(communes):
    poitiers = communes["poitiers"]
    assert commune_label(poitiers) == "Poitiers (86)"
    assert resolve_commune(commune_label(poitiers)) == poitiers
    twin = CommuneFactory(code="86999", name="Poitiers", department=poitiers.department, population=10)
    assert commune_label(poitiers) == "86194 — Poitiers (86)"
    assert resolve_commune(commune_label(twin)) == twin


def test_required_and_empty_values(communes):
    assert CommuneField(required=False).clean("  ") is None
    with pytest.raises(ValidationError) as error:
        CommuneField().clean("")
    assert error.value.messages == ["Indiquez la commune."]


class _Form(forms.Form):
    commune = CommuneField(label="Commune", required=False)


def test_widget_renders_its_own_suggestion_list_and_the_script(communes):
    html = str(_Form(initial={"commune": "86194"})["commune"])
    assert 'list="id_commune-suggestions"' in html
    assert '<datalist id="id_commune-suggestions">' in html
    assert f'data-lookup-url="{reverse("territories:commune_lookup")}"' in html
    assert 'value="Poitiers (86)"' in html  # a primary key as initial value is shown as the label
    assert 'role="status"' in html and "commune-lookup.js" in html
    assert 'autocomplete="off"' in html


def test_a_bound_form_shows_what_was_typed_not_a_guess(communes):
    form = _Form(data={"commune": "86190"})
    assert not form.is_valid()
    assert 'value="86190"' in str(form["commune"])


def test_has_changed_compares_communes_not_strings(communes):
    field = CommuneField(required=False)
    assert not field.has_changed("86194", "Poitiers")
    assert field.has_changed("86194", "Béruges")
    assert field.has_changed(None, "Poitiers")


def test_event_form_accepts_a_commune_name(communes):
    form = EventForm()
    assert isinstance(form.fields["commune"], CommuneField)
    assert form.fields["commune"].clean("Poitiers") == communes["poitiers"]


def test_lookup_returns_labels_departments_and_postal_codes(client, communes):
    response = client.get(reverse("territories:commune_lookup"), {"q": "vouille"})
    results = response.json()["results"]
    assert {r["label"] for r in results} == {"Vouillé (86)", "Vouillé (79)"}
    by_label = {r["label"]: r for r in results}
    assert by_label["Vouillé (86)"]["department_name"] == "Vienne"
    assert by_label["Vouillé (86)"]["postal_codes"] == ["86190"]
